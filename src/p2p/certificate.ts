/**
 * Session certificates. Each tsp2p process meets the swarm with its own ephemeral key pair (one user runs a
 * notebook, a worker and a host at once, and peers must tell those apart), so a peer's key alone does not
 * say whose it is. The process's identity key signs "session key S belongs to me in cluster C until T, in
 * roles R" (worker, client, host: a peer decides from them whether to dial, before dialling); the
 * certificate, encrypted with a key only members can derive, is stored in the DHT under S itself (a mutable
 * record only S can write). A firewall fetches and checks it before accepting S: non-members are refused
 * during the handshake, before any data flows. See docs/protocol.md.
 */
import crypto, { type KeyPair } from 'hypercore-crypto';
import sodium from 'sodium-universal';
import { Tsp2pError } from '../errors.js';
import { bytes, c, decode, encode, key32, sig64, struct } from './codec.js';

const SIGNING_PREFIX = Buffer.from('tsp2p/session/v1\0');
export const CERTIFICATE_LIFETIME_MS = 24 * 3_600_000;

const bodyEncoding = struct({ identity: key32, session: key32, cluster: key32, expires: c.uint, roles: c.uint });
const certificateEncoding = struct({ body: bodyEncoding, signature: sig64 });

export interface Certificate {
  identity: Buffer;
  session: Buffer;
  cluster: Buffer;
  expires: number;
  /** The process's roles (protocol.ts ROLE bits). */
  roles: number;
}

function signedPart(body: Certificate): Buffer {
  return Buffer.concat([SIGNING_PREFIX, encode(bodyEncoding, body)]);
}

function seal(plain: Buffer, key: Buffer): Buffer {
  const nonce = Buffer.alloc(sodium.crypto_secretbox_NONCEBYTES);
  sodium.randombytes_buf(nonce);
  const cipher = Buffer.alloc(plain.length + sodium.crypto_secretbox_MACBYTES);
  sodium.crypto_secretbox_easy(cipher, plain, nonce, key);
  return Buffer.concat([nonce, cipher]);
}

function unseal(box: Buffer, key: Buffer): Buffer | null {
  const n = sodium.crypto_secretbox_NONCEBYTES;
  if (box.length < n + sodium.crypto_secretbox_MACBYTES) return null;
  const plain = Buffer.alloc(box.length - n - sodium.crypto_secretbox_MACBYTES);
  return sodium.crypto_secretbox_open_easy(plain, box.subarray(n), box.subarray(0, n), key) ? plain : null;
}

const recordEncoding = c.array(bytes);

/**
 * The record a process publishes under its session key: its certificate sealed once per key it is valid
 * under (during a change of secret, peers that still hold the previous one must be able to verify it too).
 */
export function issueCertificate(identity: KeyPair, session: Buffer, cluster: Buffer, roles: number, certificateKeys: Buffer[], now = Date.now()): Buffer {
  const body: Certificate = { identity: identity.publicKey, session, cluster, expires: now + CERTIFICATE_LIFETIME_MS, roles };
  const signature = crypto.sign(signedPart(body), identity.secretKey);
  const plain = encode(certificateEncoding, { body, signature });
  return encode(recordEncoding, certificateKeys.map((key) => seal(plain, key)));
}

/**
 * Opens a sealed certificate found under `session`; returns it when it is sealed with one of `keys`, is for
 * this session and cluster, unexpired, and signed by its identity. Membership is the caller's check.
 */
export function openCertificate(record: Buffer, session: Buffer, cluster: Buffer, keys: Buffer[], now = Date.now()): Certificate {
  const boxes = decode(recordEncoding, record, 'certificate record');
  const plain = boxes.flatMap((box) => keys.map((k) => unseal(box, k))).find((p): p is Buffer => p !== null);
  if (!plain) throw Tsp2pError.BAD_CERTIFICATE('is not sealed for this cluster');
  const { body, signature } = decode(certificateEncoding, plain, 'certificate');
  if (!body.session.equals(session)) throw Tsp2pError.BAD_CERTIFICATE('is for another session key');
  if (!body.cluster.equals(cluster)) throw Tsp2pError.BAD_CERTIFICATE('is for another cluster');
  if (body.expires <= now) throw Tsp2pError.BAD_CERTIFICATE('has expired');
  if (!crypto.verify(signedPart(body), signature, body.identity)) throw Tsp2pError.BAD_CERTIFICATE('signature does not verify');
  return body;
}
