/**
 * The `display` global of cells: `display(value)`, `display.html(...)` and friends, each emitting
 * display_data. Pass `{ id }` to name an output and `{ id, update: true }` to redraw it in place
 * (update_display_data); `display.create()` returns a handle whose first call shows and later calls update.
 * The same object serves `import * as tslab from "tslab"` (its Display interface is a subset).
 */
import { randomBytes } from 'node:crypto';
import type { JsonObject, MimeBundle } from './bundle.js';
import { encodeMimeData, toMimeBundle } from './mime.js';
import { encodePng, type RgbaImage } from './png.js';

export interface DisplayCallOptions {
  id?: string;
  update?: boolean;
  metadata?: JsonObject;
}

/** Where displays go: the kernel's current cell, or a task's frame stream on a worker. */
export interface DisplayTarget {
  display(data: MimeBundle, metadata: JsonObject, options: { displayId?: string | undefined; update?: boolean }): void;
  clear(wait: boolean): void;
}

/** Like IPython's display(), these return nothing, so a display call as a cell's last line adds no Out[n]. */
export interface DisplayMethods {
  html(html: string, options?: DisplayCallOptions): void;
  markdown(markdown: string, options?: DisplayCallOptions): void;
  latex(latex: string, options?: DisplayCallOptions): void;
  svg(svg: string, options?: DisplayCallOptions): void;
  png(bytes: Uint8Array, options?: DisplayCallOptions): void;
  /** Raw pixels (RGBA or RGB), shown as a PNG. */
  image(image: RgbaImage, options?: DisplayCallOptions): void;
  jpeg(bytes: Uint8Array, options?: DisplayCallOptions): void;
  gif(bytes: Uint8Array, options?: DisplayCallOptions): void;
  pdf(bytes: Uint8Array, options?: DisplayCallOptions): void;
  json(value: unknown, options?: DisplayCallOptions): void;
  javascript(code: string, options?: DisplayCallOptions): void;
  text(text: string, options?: DisplayCallOptions): void;
  raw(mimeType: string, data: string | Uint8Array | object, options?: DisplayCallOptions): void;
  bundle(data: MimeBundle, options?: DisplayCallOptions): void;
}

export interface DisplayHandle extends DisplayMethods {
  readonly id: string;
  (value: unknown): void;
}

export interface Display extends DisplayMethods {
  (value: unknown, options?: DisplayCallOptions): void;
  /** A handle on one output: the first call shows it, later calls redraw it in place. */
  create(id?: string): DisplayHandle;
  clear(wait?: boolean): void;
}

export function newDisplayId(): string {
  return randomBytes(8).toString('hex');
}

function methods(show: (data: MimeBundle, options?: DisplayCallOptions) => void): DisplayMethods {
  const one = (mime: string) => (data: unknown, options?: DisplayCallOptions) => show({ [mime]: encodeMimeData(data) }, options);
  return {
    html: one('text/html'),
    markdown: one('text/markdown'),
    latex: one('text/latex'),
    svg: one('image/svg+xml'),
    png: one('image/png'),
    image: (image, options) => show({ 'image/png': encodeMimeData(encodePng(image)) }, { ...options, metadata: { 'image/png': { width: image.width, height: image.height }, ...options?.metadata } }),
    jpeg: one('image/jpeg'),
    gif: one('image/gif'),
    pdf: one('application/pdf'),
    json: one('application/json'),
    javascript: one('application/javascript'),
    text: one('text/plain'),
    raw: (mimeType, data, options) => show({ [mimeType]: encodeMimeData(data) }, options),
    bundle: (data, options) => show(data, options),
  };
}

export function createDisplay(target: () => DisplayTarget): Display {
  function createHandle(id: string, shown = false): DisplayHandle {
    const show = (data: MimeBundle, options?: DisplayCallOptions): void => {
      target().display(data, options?.metadata ?? {}, { displayId: id, update: shown });
      shown = true;
    };
    const handle = Object.assign((value: unknown) => show(toMimeBundle(value)), methods(show), { id }) as DisplayHandle;
    return handle;
  }
  const show = (data: MimeBundle, options?: DisplayCallOptions): void => {
    target().display(data, options?.metadata ?? {}, { displayId: options?.id ?? newDisplayId(), update: options?.update === true });
  };
  const display = ((value: unknown, options?: DisplayCallOptions) => show(toMimeBundle(value), options)) as Display;
  Object.assign(display, methods(show), {
    create: (id?: string) => createHandle(id ?? newDisplayId()),
    clear: (wait = false) => target().clear(wait),
  });
  return display;
}
