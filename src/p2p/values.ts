/**
 * Values on the wire: superjson for structure (Map, Set, Date, BigInt, undefined, RegExp, Error...), with
 * every Buffer, typed array, DataView and ArrayBuffer lifted out and sent as raw bytes beside the JSON
 * (superjson alone would write a Uint8Array as a JSON array of numbers). Parsing builds fresh objects only.
 *
 * Large binary values travel brotli-compressed (at its fastest setting) when that saves at least an eighth.
 * Every byte costs at each hop (slot → worker process → encrypted UDP packets → kernel), and on a home
 * uplink far more: the Mandelbrot notebook's tiles shrink 20x for ~0.3 ms of compression each, and data that
 * does not compress is given up on within ~1 ms per MB.
 */
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { SuperJSON } from 'superjson';
import { messageOf, Tsp2pError } from '../errors.js';

/** Binary values from this size up are worth trying to compress. */
const COMPRESS_MIN_BYTES = 32 * 1024;
/** The largest value a process takes unless told otherwise (`--max-value`): a task's inputs, a result, an emit. */
export const DEFAULT_MAX_VALUE_BYTES = 256 * 1024 * 1024;
/**
 * How much a compressed part may claim to inflate, per compressed byte. Brotli at the quality tsp2p uses
 * (0) tops out near 1,630:1, even on zeros: no honest sender comes close, while without a cap 841 bytes
 * could claim 512 MiB and make the receiver allocate it.
 */
const MAX_INFLATION_RATIO = 2_048;

export interface WireValue {
  json: string;
  buffers: Buffer[];
}

/** How to rebuild each kind over bytes (buffer, offset, length in bytes), and its element size. */
const VIEW_TYPES = {
  Buffer: [1, (b: ArrayBuffer, o: number, n: number) => Buffer.from(b, o, n)],
  Uint8Array: [1, (b: ArrayBuffer, o: number, n: number) => new Uint8Array(b, o, n)],
  Uint8ClampedArray: [1, (b: ArrayBuffer, o: number, n: number) => new Uint8ClampedArray(b, o, n)],
  Int8Array: [1, (b: ArrayBuffer, o: number, n: number) => new Int8Array(b, o, n)],
  Uint16Array: [2, (b: ArrayBuffer, o: number, n: number) => new Uint16Array(b, o, n / 2)],
  Int16Array: [2, (b: ArrayBuffer, o: number, n: number) => new Int16Array(b, o, n / 2)],
  Uint32Array: [4, (b: ArrayBuffer, o: number, n: number) => new Uint32Array(b, o, n / 4)],
  Int32Array: [4, (b: ArrayBuffer, o: number, n: number) => new Int32Array(b, o, n / 4)],
  Float32Array: [4, (b: ArrayBuffer, o: number, n: number) => new Float32Array(b, o, n / 4)],
  Float64Array: [8, (b: ArrayBuffer, o: number, n: number) => new Float64Array(b, o, n / 8)],
  BigInt64Array: [8, (b: ArrayBuffer, o: number, n: number) => new BigInt64Array(b, o, n / 8)],
  BigUint64Array: [8, (b: ArrayBuffer, o: number, n: number) => new BigUint64Array(b, o, n / 8)],
  DataView: [1, (b: ArrayBuffer, o: number, n: number) => new DataView(b, o, n)],
  ArrayBuffer: [0, (b: ArrayBuffer, o: number, n: number) => b.slice(o, o + n)],
} as const;
type ViewType = keyof typeof VIEW_TYPES;

function typeOf(value: ArrayBufferView | ArrayBuffer): ViewType {
  if (Buffer.isBuffer(value)) return 'Buffer';
  const name = value.constructor?.name as ViewType;
  return name in VIEW_TYPES ? name : 'Uint8Array';
}

// serialize/deserialize run synchronously, so the buffer list of the call in progress can live here.
let outgoing: Buffer[] = [];
let incoming: Buffer[] = [];
/** Bytes of the value being read so far (JSON, raw parts, and what compressed parts claim), and its cap. */
let received = 0;
let maxBytes = DEFAULT_MAX_VALUE_BYTES;

/** The bytes to send for `bytes`, and their length before compression when they are compressed. */
function packed(bytes: Buffer): { data: Buffer; z?: number } {
  if (bytes.byteLength < COMPRESS_MIN_BYTES) return { data: bytes };
  const data = brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 0, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength } });
  return data.byteLength <= bytes.byteLength - bytes.byteLength / 8 ? { data, z: bytes.byteLength } : { data: bytes };
}

/** The bytes of binary value `i`, inflated when the sender compressed them (to exactly the length it gave). */
function unpacked(i: number, z: unknown): Buffer {
  const bytes = incoming[i];
  if (!bytes) throw Tsp2pError.BAD_FRAME(`binary value ${i} is missing`);
  if (z === undefined) return bytes;
  if (!Number.isSafeInteger(z) || (z as number) < 0 || (z as number) > Math.max(COMPRESS_MIN_BYTES, bytes.byteLength * MAX_INFLATION_RATIO)) {
    throw Tsp2pError.BAD_FRAME(`binary value ${i} claims ${String(z)} bytes from ${bytes.byteLength} compressed (more than ${MAX_INFLATION_RATIO}:1)`);
  }
  // Counted before inflating: memory is only spent on what fits.
  received += (z as number) - bytes.byteLength;
  if (received > maxBytes) throw Tsp2pError.VALUE_TOO_LARGE(received, maxBytes);
  let data: Buffer;
  try {
    data = brotliDecompressSync(bytes, { maxOutputLength: Math.max(1, z as number) });
  } catch (err) {
    throw Tsp2pError.BAD_FRAME(`binary value ${i} does not inflate to its ${String(z)} bytes: ${messageOf(err)}`);
  }
  if (data.byteLength !== z) throw Tsp2pError.BAD_FRAME(`binary value ${i} inflates to ${data.byteLength} bytes, not ${String(z)}`);
  return data;
}

const serializer = new SuperJSON();
/** Binary value `i` of the list beside the JSON; `z`: its length before compression, when it is compressed. */
serializer.registerCustom<ArrayBufferView | ArrayBuffer, { i: number; t: ViewType; z?: number }>(
  {
    isApplicable: (v): v is ArrayBufferView | ArrayBuffer => ArrayBuffer.isView(v) || v instanceof ArrayBuffer,
    serialize: (v) => {
      const { data, z } = packed(v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      outgoing.push(data);
      return z === undefined ? { i: outgoing.length - 1, t: typeOf(v) } : { i: outgoing.length - 1, t: typeOf(v), z };
    },
    deserialize: ({ i, t, z }) => {
      const kind = VIEW_TYPES[t];
      if (!kind) throw Tsp2pError.BAD_FRAME(`binary value ${i} has an unknown type ${String(t)}`);
      const bytes = unpacked(i, z);
      const [size, make] = kind;
      if (size > 1 && bytes.byteLength % size !== 0) throw Tsp2pError.BAD_FRAME(`binary value ${i} is not a whole ${t}`);
      // A view over the received bytes when they are aligned for the type; a copy only when they are not.
      if (size <= 1 || bytes.byteOffset % size === 0) return make(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
      const copy = new ArrayBuffer(bytes.byteLength);
      new Uint8Array(copy).set(bytes);
      return make(copy, 0, bytes.byteLength);
    },
  },
  'tsp2p-binary',
);

/** Values JSON carries exactly (no undefined, NaN, -0, dates, binary...), which skip superjson's walk. */
function isPlainJson(value: unknown, depth = 0): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (depth > 2 || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value)) return value.length <= 16 && value.every((v) => isPlainJson(v, depth + 1));
  if (proto !== Object.prototype && proto !== null) return false;
  const entries = Object.entries(value);
  return entries.length <= 16 && entries.every(([, v]) => isPlainJson(v, depth + 1));
}

export function toWire(value: unknown): WireValue {
  // superjson writes such values as {"json": value}: produce exactly that, without the walk.
  if (isPlainJson(value)) return { json: JSON.stringify({ json: value }), buffers: [] };
  outgoing = [];
  try {
    const json = serializer.stringify(value);
    return { json, buffers: outgoing };
  } finally {
    outgoing = [];
  }
}

/** The size of a value as it travels (its JSON and its parts, compressed as they are). */
export function wireSize(wire: WireValue): number {
  return Buffer.byteLength(wire.json) + wire.buffers.reduce((n, b) => n + b.byteLength, 0);
}

/**
 * Rebuilds a value. One larger than `limit` bytes (counting what its compressed parts would inflate to,
 * before inflating any) is a VALUE_TOO_LARGE error, and costs no more memory than it arrived in.
 */
export function fromWire(wire: WireValue, limit = DEFAULT_MAX_VALUE_BYTES): unknown {
  const size = wireSize(wire);
  if (size > limit) throw Tsp2pError.VALUE_TOO_LARGE(size, limit);
  // Without "meta" there is nothing for superjson to restore: plain JSON.
  if (!wire.json.includes('"meta"')) {
    try {
      const parsed = JSON.parse(wire.json) as { json?: unknown } | null;
      if (parsed && typeof parsed === 'object' && !('meta' in parsed)) return parsed.json;
    } catch (err) {
      throw Tsp2pError.BAD_FRAME(`value: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  incoming = wire.buffers;
  received = size;
  maxBytes = limit;
  try {
    return serializer.parse(wire.json);
  } catch (err) {
    throw err instanceof Tsp2pError ? err : Tsp2pError.BAD_FRAME(`value: ${messageOf(err)}`);
  } finally {
    incoming = [];
  }
}
