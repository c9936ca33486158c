/**
 * PNG encoding for cells and tasks (fast-png). fast-png is an ES module, which cells' `require` cannot load on
 * Node 20, so the kernel loads it itself, in the background from start-up: `encodePng` is synchronous.
 */
import type * as FastPng from 'fast-png';

/** Pixels, row by row: 4 bytes (RGBA) per pixel, or 3 (RGB) with channels: 3. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
  channels?: 3 | 4;
}

let fastPng: typeof FastPng | null = null;
let loadError: unknown = null;

/** Resolves when the encoder is loaded; started on import so it is ready by the first cell. */
export const pngReady: Promise<void> = import('fast-png').then(
  (m) => {
    fastPng = m;
  },
  (err: unknown) => {
    loadError = err;
  },
);

export function encodePng(image: RgbaImage): Uint8Array {
  if (!fastPng) throw new Error(loadError ? `the PNG encoder (fast-png) did not load: ${String(loadError)}` : 'the PNG encoder is still loading: `await pngReady` first');
  const channels = image.channels ?? 4;
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width <= 0 || image.height <= 0) {
    throw new TypeError(`encodePng: width and height must be positive integers, not ${image.width}x${image.height}`);
  }
  if (image.data.length !== image.width * image.height * channels) {
    throw new TypeError(`encodePng: ${image.width}x${image.height} with ${channels} channels needs ${image.width * image.height * channels} bytes, not ${image.data.length}`);
  }
  // Level 3 deflate: a fraction of the default's time for images that redraw as they arrive, a little larger.
  return fastPng.encode({ width: image.width, height: image.height, data: image.data, channels, depth: 8 }, { zlib: { level: 3 } });
}
