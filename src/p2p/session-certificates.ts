/**
 * This process's side of session certificates (certificate.ts): the cluster secrets it answers to, the
 * certificate it publishes under its session key, and the check of a remote session key's certificate
 * (cached while valid; a refusal is remembered for a while, so a flood of one bad key costs one lookup).
 * The secrets are the roster's and earlier ones still in use (roster.ts `retired`): their topics are
 * visited and certificates are sealed and opened with each.
 */
import type DHT from 'hyperdht';
import type { KeyPair } from 'hypercore-crypto';
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { issueCertificate, openCertificate } from './certificate.js';
import type { Identity } from './identity.js';
import { shortKey } from './keys.js';
import { certificateKeyOf, clusterId, isMember, topicOf, type OpenedRoster } from './roster.js';

const log = createLogger('network');
/** A session key that failed the check is not looked up again for this long. */
const REJECT_FOR_MS = 10_000;

interface Secret {
  secret: Buffer;
  until: number;
}

/** The roster's secret, then its retired ones and `known` earlier ones, each once, while still in use. */
function secretsOf(roster: OpenedRoster, known: Secret[]): Secret[] {
  const all = [{ secret: roster.secret, until: Infinity }, ...roster.retired.map((r) => ({ secret: r.secret, until: r.expires })), ...known];
  const now = Date.now();
  return all.filter((s, i) => s.until > now && all.findIndex((t) => t.secret.equals(s.secret)) === i);
}

export interface Verified {
  identity: Buffer;
  roles: number;
}

export interface CertificateEvents {
  verified(id: string, identity: Buffer): void;
  refused(id: string, why: string): void;
}

export class SessionCertificates {
  #secrets: Secret[];
  #seq = 0;
  #verified = new Map<string, Verified & { expires: number }>();
  #rejected = new Map<string, number>();

  constructor(
    private readonly dht: DHT,
    private readonly identity: Identity,
    private readonly session: KeyPair,
    private readonly roles: number,
    private readonly roster: () => OpenedRoster,
    private readonly events: CertificateEvents,
  ) {
    this.#secrets = secretsOf(roster(), []);
  }

  #active(): Secret[] {
    const now = Date.now();
    this.#secrets = this.#secrets.filter((s) => s.until > now);
    return this.#secrets;
  }

  /** The topics to announce on and look up: the current secret's first. */
  topics(): Buffer[] {
    return this.#active().map(topicOf);
  }

  /** The roster changed secret: the old one stays while a roster with it may be in use. */
  rotated(previous: OpenedRoster): void {
    this.#secrets = secretsOf(this.roster(), [{ secret: previous.secret, until: previous.expires }, ...this.#secrets]);
  }

  get #cluster(): Buffer {
    const roster = this.roster();
    return clusterId(roster.owner, roster.name);
  }

  /** Publishes this process's certificate, sealed for every active secret, under its session key. */
  async publish(): Promise<void> {
    const record = issueCertificate(this.identity.keyPair, this.session.publicKey, this.#cluster, this.roles, this.#active().map(certificateKeyOf));
    await this.dht.mutablePut(this.session, record, { seq: this.#seq++ });
  }

  /** What a session key's certificate proves, if it proves membership of the current roster; else null. */
  async verify(session: Buffer): Promise<Verified | null> {
    const id = session.toString('hex');
    const now = Date.now();
    const cached = this.#verified.get(id);
    if (cached && cached.expires > now) return isMember(this.roster(), cached.identity) ? cached : null;
    if ((this.#rejected.get(id) ?? 0) > now) return null;
    const keys = this.#active().map(certificateKeyOf);
    for (const latest of [false, true]) {
      try {
        const record = await this.dht.mutableGet(session, { latest });
        if (!record) continue;
        const certificate = openCertificate(record.value, session, this.#cluster, keys);
        if (!isMember(this.roster(), certificate.identity)) {
          log.info(`refused peer ${shortKey(session)}: ${shortKey(certificate.identity)} is not on the roster`);
          this.events.refused(id, `${shortKey(certificate.identity)} is not on the roster`);
          break;
        }
        const verified = { identity: certificate.identity, roles: certificate.roles, expires: certificate.expires };
        this.#verified.set(id, verified);
        this.events.verified(id, certificate.identity);
        return verified;
      } catch (err) {
        log.debug(`certificate of peer ${shortKey(session)}: ${messageOf(err)}`);
        this.events.refused(id, `no valid certificate (${messageOf(err)})`);
      }
    }
    this.#rejected.set(id, now + REJECT_FOR_MS);
    return null;
  }

  /** What an earlier verify() proved of `id`, while it holds. */
  known(id: string): Verified | null {
    return this.#verified.get(id) ?? null;
  }
}
