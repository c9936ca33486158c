/**
 * What hosting a cluster means on disk: $TSP2P_HOME/hosted/NAME.json (mode 0600) holds the members, pending
 * invites, the topic secret and the latest roster signed by you. Re-hosting with a new --users list signs a
 * new roster (seq + 1); removing anyone also draws a new secret, so the removed member can no longer even
 * find the cluster. Unknown names get one-time invite codes instead of an error.
 */
import crypto from 'hypercore-crypto';
import ids from 'hypercore-id-encoding';
import { Tsp2pError } from '../errors.js';
import { listFriends } from './friends.js';
import { homePath, readJson, writePrivateJson } from './home.js';
import type { Identity } from './identity.js';
import { decodeKey, encodeKey } from './keys.js';
import { openRoster, signRoster, type OpenedRoster } from './roster.js';

/**
 * How long a roster stays valid without its host. Short, because a member removed while the host was
 * offline keeps access wherever only older rosters are known, until they expire; a running host re-signs
 * when half of it is left, so members never hold an expired one while it runs.
 */
export const DEFAULT_DURATION_MS = 86_400_000;
export const INVITE_LIFETIME_MS = 7 * 86_400_000;

export interface Invite {
  name: string;
  /** hex */
  seed: string;
  expires: number;
}

export interface HostedCluster {
  name: string;
  members: { name: string; key: string }[];
  invites: Invite[];
  seq: number;
  /** hex */
  secret: string;
  durationMs: number;
  /** base64 of the signed roster */
  roster: string;
  /**
   * Earlier secrets (hex) and until when a roster with each may still be in use: the roster lists them, so
   * members meet peers that missed a removal (see roster.ts).
   */
  retired?: { secret: string; expires: number }[];
}

export function hostedFile(name: string): string {
  return homePath('hosted', `${name}.json`);
}

export function loadHosted(name: string): HostedCluster | null {
  return readJson<HostedCluster>(hostedFile(name));
}

export function saveHosted(hosted: HostedCluster): void {
  writePrivateJson(hostedFile(hosted.name), hosted);
}

export function rosterOf(hosted: HostedCluster): OpenedRoster {
  return openRoster(Buffer.from(hosted.roster, 'base64'));
}

/** Signs the hosted cluster's roster anew (seq + 1, fresh expiry) and stores it. */
export function resign(hosted: HostedCluster, me: Identity, now = Date.now()): OpenedRoster {
  hosted.seq += 1;
  const roster = signRoster(
    {
      owner: me.keyPair.publicKey,
      name: hosted.name,
      seq: hosted.seq,
      issued: now,
      expires: now + hosted.durationMs,
      secret: Buffer.from(hosted.secret, 'hex'),
      members: hosted.members.map((m) => ({ key: decodeKey(m.key), name: m.name })),
      retired: (hosted.retired ?? []).filter((r) => r.expires > now).map((r) => ({ secret: Buffer.from(r.secret, 'hex'), expires: r.expires })),
    },
    me.keyPair,
  );
  hosted.roster = roster.bytes.toString('base64');
  saveHosted(hosted);
  return roster;
}

export interface HostingPlan {
  hosted: HostedCluster;
  roster: OpenedRoster;
  added: string[];
  removed: string[];
  invites: { name: string; code: string }[];
}

/** The earlier secrets still in use after re-hosting; with a new secret, the one it replaces joins them. */
function retiredAfter(previous: HostedCluster | null, newSecret: boolean, now: number): { secret: string; expires: number }[] {
  const retired = (previous?.retired ?? []).filter((r) => r.expires > now);
  if (previous && newSecret && previous.roster) retired.push({ secret: previous.secret, expires: rosterOf(previous).expires });
  return retired;
}

/** Applies `tsp2p host --users=... --cluster=me/NAME`: members from the friends book, invites for the rest. */
export function planHosting(me: Identity, name: string, users: string[], durationMs = DEFAULT_DURATION_MS, now = Date.now()): HostingPlan {
  const previous = loadHosted(name);
  const friends = new Map(listFriends().map((f) => [f.name, f.key]));
  const members: { name: string; key: string }[] = [];
  const invites: Invite[] = [];
  for (const user of new Set(users)) {
    if (user === me.name) continue;
    const key = friends.get(user) ?? (user.length === 52 && ids.isValid(user) ? user : undefined);
    if (key) members.push({ name: user, key });
    else invites.push(previous?.invites.find((i) => i.name === user && i.expires > now) ?? { name: user, seed: crypto.randomBytes(32).toString('hex'), expires: now + INVITE_LIFETIME_MS });
  }
  const before = new Set(previous?.members.map((m) => m.key) ?? []);
  const after = new Set(members.map((m) => m.key));
  const removed = (previous?.members ?? []).filter((m) => !after.has(m.key)).map((m) => m.name);
  const added = members.filter((m) => !before.has(m.key)).map((m) => m.name);
  const hosted: HostedCluster = {
    name,
    members,
    invites,
    seq: previous?.seq ?? 0,
    // A removed member knows the old secret: draw a new one so they cannot even find the cluster.
    secret: previous && removed.length === 0 ? previous.secret : crypto.randomBytes(32).toString('hex'),
    durationMs,
    roster: '',
    retired: retiredAfter(previous, removed.length > 0, now),
  };
  const roster = resign(hosted, me, now);
  return { hosted, roster, added, removed, invites: invites.map((i) => ({ name: i.name, code: inviteCode(me.keyPair.publicKey, Buffer.from(i.seed, 'hex')) })) };
}

/** An invite code: the owner's key and a one-time secret, z32 (what `tsp2p join --invite` takes). */
export function inviteCode(owner: Buffer, seed: Buffer): string {
  return `${encodeKey(owner)}${encodeKey(seed)}`;
}

export function parseInvite(code: string): { owner: Buffer; seed: Buffer } {
  const text = code.trim();
  if (text.length !== 104) throw Tsp2pError.BAD_INVITE(`an invite code has 104 characters, this one ${text.length}`);
  try {
    return { owner: decodeKey(text.slice(0, 52)), seed: decodeKey(text.slice(52)) };
  } catch {
    throw Tsp2pError.BAD_INVITE('it is not a tsp2p invite code (z32 text)');
  }
}

/** The key pair an invite is redeemed at: only holders of the code can find or reach it. */
export function inviteKeyPair(seed: Buffer) {
  return crypto.keyPair(crypto.hash(Buffer.concat([Buffer.from('tsp2p/invite\0'), seed])));
}
