/**
 * Messages between the kernel and its TypeScript process (ts-process.ts) over a pipe: each one
 * v8-serialized (what a worker thread's postMessage would clone) behind its length (4 bytes, big-endian).
 */
import { deserialize, serialize } from 'node:v8';

/** The descriptor the kernel's pipe is on in the TypeScript process (the fourth of its stdio). */
export const CHANNEL_FD = 3;

export function encodeFrame(message: unknown): Buffer {
  const body = serialize(message);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** Reassembles frames from a stream's chunks; both ends are this package's own code. */
export class FrameDecoder<T> {
  #buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): T[] {
    this.#buffered = this.#buffered.length ? Buffer.concat([this.#buffered, chunk]) : chunk;
    const messages: T[] = [];
    while (this.#buffered.length >= 4) {
      const size = this.#buffered.readUInt32BE(0);
      if (this.#buffered.length < 4 + size) break;
      messages.push(deserialize(this.#buffered.subarray(4, 4 + size)));
      this.#buffered = this.#buffered.subarray(4 + size);
    }
    return messages;
  }
}
