/** Public keys as users see them: z32 (52 characters), as the holepunch stack prints them. */
import ids from 'hypercore-id-encoding';
import { Tsp2pError } from '../errors.js';

export function encodeKey(key: Buffer): string {
  return ids.encode(key);
}

export function decodeKey(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.length !== 52 && trimmed.length !== 64) throw Tsp2pError.BAD_KEY(text, `expected 52 z32 characters, got ${trimmed.length}`);
  try {
    return ids.decode(trimmed);
  } catch {
    throw Tsp2pError.BAD_KEY(text, 'not z32 (or hex) text');
  }
}

/** A short form for logs and tables: the first 8 characters of the z32 key. */
export function shortKey(key: Buffer): string {
  return encodeKey(key).slice(0, 8);
}
