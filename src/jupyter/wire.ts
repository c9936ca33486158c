/**
 * The Jupyter wire format: routing ids, the `<IDS|MSG>` delimiter, an HMAC signature over header, parent
 * header, metadata and content, then those four JSON frames and any raw buffers.
 * See https://jupyter-client.readthedocs.io/en/latest/messaging.html#the-wire-protocol
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Tsp2pError } from '../errors.js';
import type { Header, JsonObject, Message } from './messages.js';

export const DELIMITER = Buffer.from('<IDS|MSG>');

/** Signs and verifies with the connection file's key; an empty key disables signing, as the spec allows. */
export class Signer {
  readonly #algorithm: string | null;
  readonly #key: Buffer;

  constructor(scheme: string, key: string) {
    this.#key = Buffer.from(key, 'utf8');
    if (key === '') {
      this.#algorithm = null;
      return;
    }
    const match = /^hmac-(sha1|sha224|sha256|sha384|sha512)$/.exec(scheme);
    if (!match?.[1]) throw Tsp2pError.BAD_SIGNATURE_SCHEME(scheme);
    this.#algorithm = match[1];
  }

  sign(parts: readonly Buffer[]): string {
    if (this.#algorithm === null) return '';
    const hmac = createHmac(this.#algorithm, this.#key);
    for (const part of parts) hmac.update(part);
    return hmac.digest('hex');
  }

  /** Timing-safe: the comparison takes as long whatever the first differing byte is. */
  verify(signature: Buffer, parts: readonly Buffer[]): boolean {
    if (this.#algorithm === null) return true;
    const expected = Buffer.from(this.sign(parts), 'utf8');
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
}

export function serialize(msg: Message<unknown>, signer: Signer): Buffer[] {
  const parts = [
    Buffer.from(JSON.stringify(msg.header)),
    Buffer.from(JSON.stringify(msg.parent_header)),
    Buffer.from(JSON.stringify(msg.metadata)),
    Buffer.from(JSON.stringify(msg.content)),
  ];
  return [...msg.ids, DELIMITER, Buffer.from(signer.sign(parts)), ...parts, ...msg.buffers];
}

function parseObject(frame: Buffer, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString('utf8'));
  } catch {
    throw Tsp2pError.BAD_FRAMES(`${what} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw Tsp2pError.BAD_FRAMES(`${what} is not an object`);
  return value as JsonObject;
}

function isHeader(value: JsonObject): value is Header {
  return typeof value.msg_id === 'string' && typeof value.msg_type === 'string' && typeof value.session === 'string';
}

/** Parses and verifies one message; throws a Tsp2pError (BAD_FRAMES, BAD_SIGNATURE) and never anything else. */
export function parse(frames: readonly Buffer[], signer: Signer): Message {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  if (at < 0) throw Tsp2pError.BAD_FRAMES('no <IDS|MSG> delimiter');
  if (frames.length < at + 6) throw Tsp2pError.BAD_FRAMES(`${frames.length - at - 1} frames after the delimiter, need 5`);
  const signature = frames[at + 1] as Buffer;
  const parts = frames.slice(at + 2, at + 6);
  // Verify before parsing: unsigned input must not even reach JSON.parse.
  if (!signer.verify(signature, parts)) throw Tsp2pError.BAD_SIGNATURE();
  const [header, parent, metadata, content] = parts.map((p, i) => parseObject(p, ['header', 'parent_header', 'metadata', 'content'][i] as string)) as [JsonObject, JsonObject, JsonObject, JsonObject];
  if (!isHeader(header)) throw Tsp2pError.BAD_FRAMES('header lacks msg_id, msg_type or session');
  return { ids: frames.slice(0, at), header, parent_header: parent, metadata, content, buffers: frames.slice(at + 6) };
}
