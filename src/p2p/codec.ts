/**
 * Structs on compact-encoding, defined once as a field list, used for rosters, certificates and every peer
 * frame. `decode` never returns a half-read value: truncated input, trailing bytes or anything the field
 * encoders reject become a BAD_FRAME error.
 */
import c, { type Encoder } from 'compact-encoding';
import { Tsp2pError } from '../errors.js';

export type { Encoder };
type Decoded<E> = E extends Encoder<unknown, infer O> ? O : never;
export type StructOf<F extends Record<string, Encoder<never, unknown>>> = { [K in keyof F]: Decoded<F[K]> };

export function struct<F extends Record<string, Encoder<never, unknown>>>(fields: F): Encoder<StructOf<F>> {
  const entries = Object.entries(fields) as [string, Encoder<unknown>][];
  return {
    preencode(state, value) {
      for (const [name, enc] of entries) enc.preencode(state, (value as Record<string, unknown>)[name]);
    },
    encode(state, value) {
      for (const [name, enc] of entries) enc.encode(state, (value as Record<string, unknown>)[name]);
    },
    decode(state) {
      const out: Record<string, unknown> = {};
      for (const [name, enc] of entries) out[name] = enc.decode(state);
      return out as StructOf<F>;
    },
  };
}

export function encode<T>(enc: Encoder<T, unknown>, value: T): Buffer {
  return Buffer.from(c.encode(enc, value));
}

export function decode<T>(enc: Encoder<unknown, T>, bytes: Uint8Array, what: string): T {
  const state = c.state(0, bytes.byteLength, bytes);
  let value: T;
  try {
    value = enc.decode(state);
  } catch (err) {
    throw Tsp2pError.BAD_FRAME(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (state.start !== state.end) throw Tsp2pError.BAD_FRAME(`${what}: ${state.end - state.start} unexpected trailing bytes`);
  return value;
}

/** Buffers decoded by compact-encoding are views; callers get Node Buffers. */
export const bytes: Encoder<Uint8Array, Buffer> = {
  preencode: (state, v) => c.buffer.preencode(state, v),
  encode: (state, v) => c.buffer.encode(state, v),
  decode: (state) => {
    const v = c.buffer.decode(state);
    return v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0);
  },
};

export const key32: Encoder<Uint8Array, Buffer> = {
  preencode: (state, v) => c.fixed32.preencode(state, v),
  encode: (state, v) => c.fixed32.encode(state, v),
  decode: (state) => {
    const v = c.fixed32.decode(state);
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  },
};

export const sig64: Encoder<Uint8Array, Buffer> = {
  preencode: (state, v) => c.fixed64.preencode(state, v),
  encode: (state, v) => c.fixed64.encode(state, v),
  decode: (state) => {
    const v = c.fixed64.decode(state);
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  },
};

export { c };
