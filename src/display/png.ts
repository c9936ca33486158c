/**
 * PNG encoding for cells and tasks: `encodePng({ width, height, data })`, synchronous, with pngjs (whose
 * deflate is Node's own zlib: a 1200x1200 Mandelbrot image in ~30 ms, where fast-png's JavaScript deflate
 * took ~170 ms).
 */
import { PNG } from 'pngjs';

/** Pixels, row by row: 4 bytes (RGBA) per pixel, or 3 (RGB) with channels: 3. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
  channels?: 3 | 4;
}

const COLOR_TYPE = { 3: 2, 4: 6 } as const; // PNG colour types: truecolour, truecolour with alpha

export function encodePng(image: RgbaImage): Uint8Array {
  const channels = image.channels ?? 4;
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width <= 0 || image.height <= 0) {
    throw new TypeError(`encodePng: width and height must be positive integers, not ${image.width}x${image.height}`);
  }
  if (channels !== 3 && channels !== 4) throw new TypeError(`encodePng: channels must be 3 (RGB) or 4 (RGBA), not ${String(channels)}`);
  if (image.data?.length !== image.width * image.height * channels) {
    throw new TypeError(`encodePng: ${image.width}x${image.height} with ${channels} channels needs ${image.width * image.height * channels} bytes, not ${image.data?.length}`);
  }
  const data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  // No row filter and deflate level 3 with the default strategy: for the synthetic images notebooks draw,
  // smaller and several times faster than adaptive filtering (and pngjs's default, run-length only).
  return PNG.sync.write(
    { width: image.width, height: image.height, data },
    { colorType: COLOR_TYPE[channels], inputColorType: COLOR_TYPE[channels], inputHasAlpha: channels === 4, bitDepth: 8, filterType: 0, deflateLevel: 3, deflateStrategy: 0 },
  );
}
