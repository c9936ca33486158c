/**
 * What discovery found and how dialling each peer went: who to dial now, who to leave alone for a while, and
 * why the others failed (for errors that name the cause). A peer that failed is dialled again after 1, 2,
 * 4 … 60 s, so a dead peer whose announcement lingers in the DHT is not redialled every discovery round.
 */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;
/** Records of peers not seen for this long are forgotten (bounded memory on a busy topic). */
const FORGET_MS = 10 * 60_000;
const MAX_RECORDS = 1_024;

interface DialRecord {
  /** The member behind the session key, once its certificate was verified. */
  identity: Buffer | null;
  failures: number;
  retryAt: number;
  reason: string | null;
  seen: number;
  /** When discovery first found it (a peer that should dial us gets a while to do so: dial-policy.ts). */
  firstSeen: number;
  /** When the dial in progress began (null: none is). */
  dialSince: number | null;
}

export interface DialSummary {
  /** Session keys found on the cluster's topic. */
  found: number;
  /** Of those, proven members of the cluster. */
  members: number;
  /** Why the ones that are not connected failed, newest first (identity null: not a proven member). */
  failures: { identity: Buffer | null; reason: string }[];
  /** Dials in progress, and for how long (a random punch takes seconds). */
  connecting: { identity: Buffer | null; ms: number }[];
}

export class DialBook {
  #records = new Map<string, DialRecord>();

  #record(id: string): DialRecord {
    let record = this.#records.get(id);
    if (!record) {
      if (this.#records.size >= MAX_RECORDS) this.#forget();
      record = { identity: null, failures: 0, retryAt: 0, reason: null, seen: Date.now(), firstSeen: Date.now(), dialSince: null };
      this.#records.set(id, record);
    }
    return record;
  }

  #forget(): void {
    const old = Date.now() - FORGET_MS;
    for (const [id, r] of this.#records) if (r.seen < old) this.#records.delete(id);
    // Still full: the oldest goes (Map keeps insertion order).
    if (this.#records.size >= MAX_RECORDS) this.#records.delete(this.#records.keys().next().value as string);
  }

  found(id: string): void {
    this.#record(id).seen = Date.now();
  }

  /** How long ago discovery first found `id` (0 if it never did). */
  foundFor(id: string): number {
    const record = this.#records.get(id);
    return record ? Date.now() - record.firstSeen : 0;
  }

  /** Whether `id` is on record (found and not forgotten since). */
  knows(id: string): boolean {
    return this.#records.has(id);
  }

  /** Failed dials since the last connection, and the last one's reason. */
  failures(id: string): { count: number; reason: string | null } {
    const record = this.#records.get(id);
    return { count: record?.failures ?? 0, reason: record?.reason ?? null };
  }

  verified(id: string, identity: Buffer): void {
    this.#record(id).identity = identity;
  }

  /** Whether dialling `id` now is in order (it never failed, or its back-off has passed). */
  due(id: string): boolean {
    const record = this.#records.get(id);
    return !record || Date.now() >= record.retryAt;
  }

  /** A dial of `id` began. */
  dialling(id: string): void {
    this.#record(id).dialSince = Date.now();
  }

  /** A dial failed; the next is due after the back-off, or after `retryInMs` when the cause says when. */
  failed(id: string, reason: string, retryInMs?: number): void {
    const record = this.#record(id);
    record.dialSince = null;
    record.failures += 1;
    record.reason = reason;
    record.retryAt = Date.now() + (retryInMs ?? Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (record.failures - 1)));
  }

  connected(id: string): void {
    const record = this.#record(id);
    record.failures = 0;
    record.retryAt = 0;
    record.reason = null;
    record.dialSince = null;
  }

  summary(connected: ReadonlySet<string>): DialSummary {
    const records = [...this.#records].filter(([, r]) => r.seen > Date.now() - FORGET_MS);
    return {
      found: records.length,
      members: records.filter(([, r]) => r.identity !== null).length,
      failures: records
        .filter(([id, r]) => !connected.has(id) && r.reason !== null)
        .sort(([, a], [, b]) => b.seen - a.seen)
        .map(([, r]) => ({ identity: r.identity, reason: r.reason as string })),
      connecting: records
        .filter(([id, r]) => !connected.has(id) && r.dialSince !== null)
        .map(([, r]) => ({ identity: r.identity, ms: Date.now() - (r.dialSince as number) })),
    };
  }
}
