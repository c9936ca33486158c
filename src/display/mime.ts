/**
 * A value → Jupyter mime bundle. text/plain is always there, in the style of Node's REPL (util.inspect);
 * a value offers richer types through `[Symbol.for("Jupyter.display")]()` returning a bundle, the convention
 * Deno's kernel uses, so objects written for either kernel render in both.
 */
import { inspect } from 'node:util';
import type { MimeBundle } from './bundle.js';

export const DISPLAY_SYMBOL = Symbol.for('Jupyter.display');

export function inspectValue(value: unknown): string {
  return inspect(value, { depth: 4, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

/** Uint8Array (or Buffer) → base64, as Jupyter wants binary image data; strings pass as they are. */
export function encodeMimeData(data: unknown): unknown {
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  return data;
}

export function toMimeBundle(value: unknown): MimeBundle {
  const bundle: MimeBundle = { 'text/plain': inspectValue(value) };
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    const offer = (value as { [DISPLAY_SYMBOL]?: unknown })[DISPLAY_SYMBOL];
    if (typeof offer === 'function') {
      const rich: unknown = offer.call(value);
      if (rich && typeof rich === 'object') {
        for (const [mime, data] of Object.entries(rich)) bundle[mime] = encodeMimeData(data);
      }
    }
  }
  return bundle;
}
