/**
 * Values on the wire: superjson for structure (Map, Set, Date, BigInt, undefined, RegExp, Error...), with
 * every Buffer, typed array, DataView and ArrayBuffer lifted out and sent as raw bytes beside the JSON
 * (superjson alone would write a Uint8Array as a JSON array of numbers). Parsing builds fresh objects only.
 */
import { SuperJSON } from 'superjson';
import { Tsp2pError } from '../errors.js';

export interface WireValue {
  json: string;
  buffers: Buffer[];
}

const VIEW_TYPES = {
  Buffer: (b: ArrayBuffer) => Buffer.from(b),
  Uint8Array: (b: ArrayBuffer) => new Uint8Array(b),
  Uint8ClampedArray: (b: ArrayBuffer) => new Uint8ClampedArray(b),
  Int8Array: (b: ArrayBuffer) => new Int8Array(b),
  Uint16Array: (b: ArrayBuffer) => new Uint16Array(b),
  Int16Array: (b: ArrayBuffer) => new Int16Array(b),
  Uint32Array: (b: ArrayBuffer) => new Uint32Array(b),
  Int32Array: (b: ArrayBuffer) => new Int32Array(b),
  Float32Array: (b: ArrayBuffer) => new Float32Array(b),
  Float64Array: (b: ArrayBuffer) => new Float64Array(b),
  BigInt64Array: (b: ArrayBuffer) => new BigInt64Array(b),
  BigUint64Array: (b: ArrayBuffer) => new BigUint64Array(b),
  DataView: (b: ArrayBuffer) => new DataView(b),
  ArrayBuffer: (b: ArrayBuffer) => b,
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

const serializer = new SuperJSON();
serializer.registerCustom<ArrayBufferView | ArrayBuffer, { i: number; t: ViewType }>(
  {
    isApplicable: (v): v is ArrayBufferView | ArrayBuffer => ArrayBuffer.isView(v) || v instanceof ArrayBuffer,
    serialize: (v) => {
      const bytes = v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      outgoing.push(bytes);
      return { i: outgoing.length - 1, t: typeOf(v) };
    },
    deserialize: ({ i, t }) => {
      const bytes = incoming[i];
      const make = VIEW_TYPES[t];
      if (!bytes || !make) throw Tsp2pError.BAD_FRAME(`binary value ${i} (${String(t)}) is missing`);
      // A fresh, aligned ArrayBuffer: typed arrays need their byte offset to be a multiple of the element size.
      const copy = new ArrayBuffer(bytes.byteLength);
      new Uint8Array(copy).set(bytes);
      return make(copy);
    },
  },
  'tsp2p-binary',
);

export function toWire(value: unknown): WireValue {
  outgoing = [];
  try {
    const json = serializer.stringify(value);
    return { json, buffers: outgoing };
  } finally {
    outgoing = [];
  }
}

export function fromWire(wire: WireValue): unknown {
  incoming = wire.buffers;
  try {
    return serializer.parse(wire.json);
  } catch (err) {
    throw err instanceof Tsp2pError ? err : Tsp2pError.BAD_FRAME(`value: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    incoming = [];
  }
}
