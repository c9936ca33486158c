/**
 * Which cluster, and the roster that lets you in. A cluster is OWNER/NAME: the owner resolves through your
 * friends book (or is you). Rosters you hold are stored in $TSP2P_HOME/clusters (mode 0600: they carry the
 * topic secret). A member gets the newest roster from the owner's host, which it reaches by the owner's
 * public key, proving who it is in the Noise handshake; your personal cluster (you/personal) needs no host.
 */
import crypto from 'hypercore-crypto';
import type DHT from 'hyperdht';
import { Tsp2pError } from '../errors.js';
import { c } from './codec.js';
import { readdirSync } from 'node:fs';
import { nameOfKey, resolveUser } from './friends.js';
import { homePath, readJson, writePrivateJson } from './home.js';
import type { Identity } from './identity.js';
import { decodeKey, encodeKey } from './keys.js';
import { openRoster, signRoster, type OpenedRoster } from './roster.js';
import { request } from './rpc.js';

export const PERSONAL = 'personal';
export const HOST_PROTOCOL = 'tsp2p-host/1';
/** Fixed, so the personal roster is byte-identical on every machine and every start. */
const PERSONAL_EXPIRES = Date.UTC(2100, 0, 1);

export interface ClusterRef {
  owner: Buffer;
  ownerName: string;
  name: string;
  /** As the user wrote it (or would): alice/friends. */
  label: string;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/i;

/** `alice/friends` → the owner's key and the cluster name; no argument means your personal cluster. */
export function resolveClusterRef(text: string | undefined, me: Identity): ClusterRef {
  if (!text) return { owner: me.keyPair.publicKey, ownerName: me.name, name: PERSONAL, label: `${me.name}/${PERSONAL}` };
  const parts = text.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1] || !NAME.test(parts[1])) throw Tsp2pError.BAD_CLUSTER_NAME(text);
  const [ownerName, name] = parts as [string, string];
  return { owner: resolveUser(ownerName, me), ownerName, name, label: text };
}

export function isPersonal(ref: ClusterRef, me: Identity): boolean {
  return ref.name === PERSONAL && ref.owner.equals(me.keyPair.publicKey);
}

function rosterFile(owner: Buffer, name: string): string {
  return homePath('clusters', `${encodeKey(owner)}.${name}.json`);
}

/**
 * The clusters this home knows by name: your personal one, those you host, and those whose roster you hold
 * (named by their owner's petname; an owner not in your friends book is left out: it could not be typed).
 */
export function knownClusters(me: Identity): string[] {
  const names = new Set([`${me.name}/${PERSONAL}`]);
  const files = (dir: string) => {
    try {
      return readdirSync(homePath(dir)).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
  };
  for (const file of files('hosted')) names.add(`${me.name}/${file.slice(0, -'.json'.length)}`);
  for (const file of files('clusters')) {
    const match = /^([a-z0-9]{52})\.(.+)\.json$/.exec(file);
    if (!match) continue;
    let owner: string | null = null;
    try {
      owner = nameOfKey(decodeKey(match[1] as string), me);
    } catch {
      continue;
    }
    if (owner) names.add(`${owner}/${match[2]}`);
  }
  return [...names].sort();
}

export function loadStoredRoster(ref: ClusterRef): OpenedRoster | null {
  const stored = readJson<{ roster: string }>(rosterFile(ref.owner, ref.name));
  if (!stored) return null;
  try {
    return openRoster(Buffer.from(stored.roster, 'base64'), { owner: ref.owner, name: ref.name });
  } catch {
    return null;
  }
}

export function storeRoster(roster: OpenedRoster): void {
  writePrivateJson(rosterFile(roster.owner, roster.name), { cluster: roster.name, seq: roster.seq, roster: roster.bytes.toString('base64') });
}

/** Your personal cluster: only you, its secret derived from your secret key so all your machines agree. */
export function personalRoster(me: Identity): OpenedRoster {
  const secret = crypto.hash(Buffer.concat([Buffer.from('tsp2p/personal\0'), me.keyPair.secretKey]));
  // A fixed issue time keeps the roster byte-identical wherever it is made.
  return signRoster({ owner: me.keyPair.publicKey, name: PERSONAL, seq: 1, issued: 0, expires: PERSONAL_EXPIRES, secret, members: [], retired: [] }, me.keyPair);
}

const hostRequest = { name: c.string };
const hostResponse = { roster: c.buffer, error: c.string };

/** Asks the owner's host for the newest roster; the host answers members only. */
export async function fetchRosterFromHost(dht: DHT, me: Identity, ref: ClusterRef, timeoutMs: number): Promise<OpenedRoster> {
  // A failure to connect is thrown as it is (with hyperdht's code): callers word it (roster-source.ts).
  const reply = await request(dht, ref.owner, me.keyPair, HOST_PROTOCOL, hostRequest, hostResponse, { name: ref.name }, timeoutMs);
  if (reply.error === 'NOT_HOSTED') throw Tsp2pError.NOT_HOSTED(ref.ownerName, ref.label);
  if (reply.error) throw reply.error === 'NOT_A_MEMBER' ? Tsp2pError.NOT_A_MEMBER(ref.label) : Tsp2pError.BAD_ROSTER(reply.error);
  return openRoster(Buffer.from(reply.roster), { owner: ref.owner, name: ref.name });
}

export const HOST_MESSAGES = { request: hostRequest, response: hostResponse };
