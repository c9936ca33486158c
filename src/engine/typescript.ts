/**
 * The TypeScript side of the engine, on tslab's converter used as a library: conversion of a cell to
 * JavaScript checked against the declarations of earlier cells, completion and hover text.
 *
 * Creating the converter costs over a second (it builds a language service): this runs on the kernel's
 * TypeScript thread (ts-thread.ts), which calls warmUp() as it starts.
 */
import { createRequire } from 'node:module';
import type * as TS from '@tslab/typescript-for-tslab';
import type * as ConverterModule from 'tslab/dist/converter.js';
import type { Converter, ConvertResult, Diagnostic } from 'tslab/dist/converter.js';
import type { CompleteResult, InspectResult, IsCompleteResult } from '../jupyter/executor.js';

const require = createRequire(import.meta.url);

export type { ConvertResult, Diagnostic };

/** Declarations of the kernel's globals, type-checked but defined elsewhere (a virtual module in the converter). */
export const DISPLAY_DECLARATIONS = `
declare global {
  interface TsP2PImage { width: number; height: number; data: Uint8Array | Uint8ClampedArray; channels?: 3 | 4 }
  /** Encodes raw pixels as a PNG file's bytes (e.g. for fs.writeFileSync). */
  function encodePng(image: TsP2PImage): Uint8Array;
  interface TsP2PDisplayOptions { id?: string; update?: boolean; metadata?: Record<string, unknown> }
  interface TsP2PDisplayMethods {
    html(html: string, options?: TsP2PDisplayOptions): void;
    markdown(markdown: string, options?: TsP2PDisplayOptions): void;
    latex(latex: string, options?: TsP2PDisplayOptions): void;
    svg(svg: string, options?: TsP2PDisplayOptions): void;
    png(bytes: Uint8Array, options?: TsP2PDisplayOptions): void;
    /** Raw pixels, row by row, 4 bytes (RGBA) per pixel (or 3 with channels: 3), shown as a PNG. */
    image(image: TsP2PImage, options?: TsP2PDisplayOptions): void;
    jpeg(bytes: Uint8Array, options?: TsP2PDisplayOptions): void;
    gif(bytes: Uint8Array, options?: TsP2PDisplayOptions): void;
    pdf(bytes: Uint8Array, options?: TsP2PDisplayOptions): void;
    json(value: unknown, options?: TsP2PDisplayOptions): void;
    javascript(code: string, options?: TsP2PDisplayOptions): void;
    text(text: string, options?: TsP2PDisplayOptions): void;
    raw(mimeType: string, data: string | Uint8Array | object, options?: TsP2PDisplayOptions): void;
    bundle(data: Record<string, unknown>, options?: TsP2PDisplayOptions): void;
  }
  /** One output: the first call shows it, later calls redraw it in place. */
  interface TsP2PDisplayHandle extends TsP2PDisplayMethods { readonly id: string; (value: unknown): void }
  /** Rich output: display(value), display.html(...), display.png(bytes); { id, update: true } redraws. */
  interface TsP2PDisplay extends TsP2PDisplayMethods {
    (value: unknown, options?: TsP2PDisplayOptions): void;
    create(id?: string): TsP2PDisplayHandle;
    clear(wait?: boolean): void;
  }
  var display: TsP2PDisplay;
  /** Reads a line from the notebook user (the stdin channel). */
  function input(prompt?: string, options?: { password?: boolean }): Promise<string>;
}
`;

/** A dot or an identifier right before the cursor: where completion candidates start. */
function completionStart(code: string, cursor: number): number {
  let start = cursor;
  while (start > 0 && /[\w$]/.test(code[start - 1] ?? '')) start--;
  return start;
}

/** Cells that may read files (imports, references) are converted afresh every time: their inputs can change. */
const READS_FILES = /\bimport\b|\brequire\s*\(|\/\/\/\s*<reference/;
const CACHE_SIZE = 32;
const AWAIT_CALL = /\bawait\s*\(/;

export class TypeScriptService {
  #converter: Converter | null = null;
  /**
   * Conversions of recent cells by (declarations so far, source). Conversion is a pure function of those
   * (and of the kernel globals, which reset the cache) for cells that read no files, so re-running an
   * unchanged cell skips the type checker.
   */
  #cache = new Map<string, ConvertResult>();
  #module: typeof ConverterModule | null = null;
  #declarations: string[] = [DISPLAY_DECLARATIONS];
  /** Declarations of everything earlier cells defined (tslab's `declOutput`). */
  prevDecl = '';

  #load(): typeof ConverterModule {
    this.#module ??= require('tslab/dist/converter.js') as typeof ConverterModule;
    return this.#module;
  }

  get converter(): Converter {
    if (!this.#converter) {
      const converter = this.#load().createConverter();
      this.#declarations.forEach((text, i) => converter.addModule(`__tsp2p_globals_${i}__`, text));
      this.#converter = converter;
    }
    return this.#converter;
  }

  /** Adds global declarations (the p2p layer declares `p2p`); they are checked, never rewritten. */
  declareGlobals(text: string): void {
    this.#cache.clear();
    this.#declarations.push(text);
    this.#converter?.addModule(`__tsp2p_globals_${this.#declarations.length - 1}__`, text);
  }

  /** Builds the language service and runs one conversion so the first real cell is fast. */
  warmUp(): void {
    this.converter.convert('', 'const __tsp2p_warm__: number = 1;');
  }

  convert(code: string): ConvertResult {
    const result = this.#convertCached(code);
    // tslab looks for top-level await in the cell read as a script, where `await (f)()` is a call of a
    // function named await: the cell would not become async and fail with "await is not defined". Read as a
    // module, it is the await everybody means.
    if (!result.hasToplevelAwait && AWAIT_CALL.test(code) && this.#awaitsAtTopLevel(code)) return { ...result, hasToplevelAwait: true };
    return result;
  }

  #awaitsAtTopLevel(code: string): boolean {
    const ts = this.#typescript();
    const file = ts.createSourceFile('cell.ts', `${code}\nexport {};`, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    let found = false;
    const visit = (node: TS.Node): void => {
      if (found || ts.isFunctionLike(node) || ts.isClassLike(node)) return;
      if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier)) found = true;
      else ts.forEachChild(node, visit);
    };
    visit(file);
    return found;
  }

  #convertCached(code: string): ConvertResult {
    if (READS_FILES.test(code)) return this.converter.convert(this.prevDecl, code);
    const key = `${this.prevDecl}\u0000${code}`;
    const cached = this.#cache.get(key);
    if (cached) {
      // Refresh its place in the LRU order.
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    const result = this.converter.convert(this.prevDecl, code);
    this.#cache.set(key, result);
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
    return result;
  }

  complete(code: string, cursor: number): CompleteResult {
    const info = this.converter.complete(this.prevDecl, code, cursor);
    const entries = info.original?.entries ?? [];
    // Order by TypeScript's own relevance (locals and members before globals and keywords), then by name.
    const rank = new Map(entries.map((e) => [e.name, e.sortText] as const));
    const matches = [...info.candidates].sort((a, b) => (rank.get(a) ?? '~').localeCompare(rank.get(b) ?? '~') || a.localeCompare(b));
    const start = info.start === info.end ? completionStart(code, cursor) : info.start;
    const prefix = code.slice(start, cursor);
    return { matches: matches.filter((m) => m.startsWith(prefix)), cursorStart: start, cursorEnd: Math.max(info.end, cursor), metadata: {} };
  }

  inspect(code: string, cursor: number, detailLevel: number): InspectResult {
    // Hover text is found on an identifier; at its end (where a user's cursor usually is) look one back.
    let info = this.converter.inspect(this.prevDecl, code, cursor);
    if (!info && cursor > 0) info = this.converter.inspect(this.prevDecl, code, cursor - 1);
    if (!info) return { found: false, data: {}, metadata: {} };
    const signature = (info.displayParts ?? []).map((p) => p.text).join('');
    const docs = (info.documentation ?? []).map((p) => p.text).join('');
    const tags = detailLevel > 0 ? (info.tags ?? []).map((t) => `@${t.name} ${(t.text ?? []).map((p) => p.text).join('')}`) : [];
    const text = [signature, docs, ...tags].filter(Boolean).join('\n\n');
    const markdown = ['```typescript\n' + signature + '\n```', docs, ...tags].filter(Boolean).join('\n\n');
    return { found: true, data: { 'text/plain': text, 'text/markdown': markdown }, metadata: {} };
  }

  /**
   * complete, incomplete (the parser wants more at the very end: an open block, a dangling operator, an
   * unterminated template) or invalid (a syntax error elsewhere). Two trailing blank lines force complete.
   */
  isComplete(code: string): IsCompleteResult {
    if (/(^|\n)\s*\n\s*$/.test(code) || code.trim() === '') return { status: 'complete' };
    const ts = this.#typescript();
    const file = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const diagnostics = (file as unknown as { parseDiagnostics?: { start: number; messageText: unknown; code: number }[] }).parseDiagnostics ?? [];
    if (diagnostics.length === 0) return { status: 'complete' };
    const atEnd = diagnostics.every((d) => d.start >= code.trimEnd().length || d.code === 1160 /* unterminated template */);
    if (!atEnd) return { status: 'invalid' };
    const result = this.#load().isCompleteCode(code);
    return { status: 'incomplete', indent: result.indent ?? '' };
  }

  #typescript(): typeof TS {
    // tslab's own TypeScript, resolved from tslab so it is the very copy the converter uses (require caches it).
    return createRequire(require.resolve('tslab/dist/converter.js'))('@tslab/typescript-for-tslab') as typeof TS;
  }

  close(): void {
    this.#converter?.close();
    this.#converter = null;
  }
}
