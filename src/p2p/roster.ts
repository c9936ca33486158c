/**
 * A cluster's roster: who may connect, signed by the cluster's owner. Peers keep the newest valid one
 * (highest seq, not expired) and hand it to each other, so the cluster works while its host is offline.
 * The roster also carries the cluster's topic secret, so it travels only between members over encrypted
 * connections; the swarm topic and the certificate key derive from that secret, never from names.
 * After a member is removed (a new secret), the roster lists the earlier secrets still in use (`retired`,
 * each until the last roster with it expires): members visit their topics too, so a peer that missed the
 * change and restarted with its stored roster meets them there, and adopts the new roster at once.
 */
import crypto, { type KeyPair } from 'hypercore-crypto';
import { Tsp2pError } from '../errors.js';
import { bytes, c, decode, encode, key32, sig64, struct } from './codec.js';

/** 2 added `retired`; version 1 rosters (stored before it) still open, with none. */
const VERSION = 2;
const SIGNING_PREFIX = Buffer.from('tsp2p/roster/v1\0');

const memberEncoding = struct({ key: key32, name: c.string });
const retiredEncoding = struct({ secret: key32, expires: c.uint });
const v1Fields = {
  version: c.uint,
  owner: key32,
  name: c.string,
  seq: c.uint,
  issued: c.uint,
  expires: c.uint,
  secret: key32,
  members: c.array(memberEncoding),
};
const payloadV1 = struct(v1Fields);
const payloadEncoding = struct({ ...v1Fields, retired: c.array(retiredEncoding) });
const signedEncoding = struct({ payload: bytes, signature: sig64 });

export interface RosterFields {
  owner: Buffer;
  name: string;
  seq: number;
  issued: number;
  expires: number;
  secret: Buffer;
  members: { key: Buffer; name: string }[];
  /** Earlier secrets, and until when a peer may still hold a roster with each. */
  retired: RetiredSecret[];
}

export interface RetiredSecret {
  secret: Buffer;
  expires: number;
}

export interface OpenedRoster extends RosterFields {
  /** The signed bytes, exactly as they travel and are stored. */
  bytes: Buffer;
}

export function signRoster(fields: RosterFields, owner: KeyPair): OpenedRoster {
  if (!fields.owner.equals(owner.publicKey)) throw Tsp2pError.BAD_ROSTER('only the owner signs a roster');
  const payload = encode(payloadEncoding, { version: VERSION, ...fields });
  const signature = crypto.sign(Buffer.concat([SIGNING_PREFIX, payload]), owner.secretKey);
  return { ...fields, bytes: encode(signedEncoding, { payload, signature }) };
}

/** Verifies the owner's signature (and, when given, which cluster it must be). Throws BAD_ROSTER. */
export function openRoster(signed: Buffer, expected?: { owner: Buffer; name: string }): OpenedRoster {
  let fields;
  let outer;
  try {
    outer = decode(signedEncoding, signed, 'roster');
    const version = c.uint.decode(c.state(0, outer.payload.byteLength, outer.payload));
    if (version === 1) fields = { ...decode(payloadV1, outer.payload, 'roster payload'), retired: [] };
    else if (version === VERSION) fields = decode(payloadEncoding, outer.payload, 'roster payload');
    else throw new Error(`unknown roster version ${version}: update tsp2p`);
  } catch (err) {
    throw Tsp2pError.BAD_ROSTER(err instanceof Error ? err.message : String(err));
  }
  if (!crypto.verify(Buffer.concat([SIGNING_PREFIX, outer.payload]), outer.signature, fields.owner)) throw Tsp2pError.BAD_ROSTER('bad signature');
  if (expected && (!expected.owner.equals(fields.owner) || expected.name !== fields.name)) throw Tsp2pError.BAD_ROSTER('it is for another cluster');
  const { version: _version, ...rest } = fields;
  return { ...rest, bytes: Buffer.from(signed) };
}

export function isMember(roster: RosterFields, key: Buffer): boolean {
  return roster.owner.equals(key) || roster.members.some((m) => m.key.equals(key));
}

export function isExpired(roster: RosterFields, now = Date.now()): boolean {
  return roster.expires <= now;
}

/** Whether `candidate` should replace `current`: same cluster, newer, valid. */
export function isNewer(candidate: RosterFields, current: RosterFields | null): boolean {
  if (!current) return true;
  return candidate.owner.equals(current.owner) && candidate.name === current.name && candidate.seq > current.seq;
}

function derive(label: string, secret: Buffer): Buffer {
  return crypto.hash(Buffer.concat([Buffer.from(`tsp2p/${label}\0`), secret]));
}

/** The swarm topic: only someone holding the secret can find the cluster's peers. */
export function topicOf(roster: { secret: Buffer }): Buffer {
  return derive('topic', roster.secret);
}

/** The key that encrypts session certificates of this cluster. */
export function certificateKeyOf(roster: { secret: Buffer }): Buffer {
  return derive('certificate', roster.secret);
}

/** A stable id for a cluster (file names, channel ids): its owner and name, hashed. */
export function clusterId(owner: Buffer, name: string): Buffer {
  return crypto.hash(Buffer.concat([Buffer.from('tsp2p/cluster\0'), owner, Buffer.from(name)]));
}
