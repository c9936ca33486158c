/**
 * The TypeScript side of the engine, on tslab's converter used as a library: conversion of a cell to
 * JavaScript checked against the declarations of earlier cells, completion and hover text.
 *
 * Creating a converter costs over a second (it builds a language service). It runs in the kernel's
 * TypeScript service (a process started from a startup snapshot that holds a converter already built, see
 * ts-snapshot.ts, or else a worker thread, ts-thread.ts): never on the kernel's main thread. This module
 * imports nothing at run time (the snapshot builder loads it as it is): tslab's modules are handed in.
 */
import type * as TS from '@tslab/typescript-for-tslab';
import type * as ConverterModule from 'tslab/dist/converter.js';
import type { Converter, ConvertResult, Diagnostic } from 'tslab/dist/converter.js';
import type { CompleteResult, InspectResult, IsCompleteResult } from '../jupyter/executor.js';

export type { ConvertResult, Diagnostic };

/** tslab's converter module and the very TypeScript it uses. */
export interface TslabModules {
  converter: typeof ConverterModule;
  ts: typeof TS;
}

/**
 * Where the snapshot's converter believes cells live: a directory that does not exist, so nothing is found
 * near it (no node_modules, no @types) and its converter is the one any directory without type roots of its
 * own would get. Cells that read no files convert the same there as in the kernel's directory.
 */
export const NEUTRAL_CWD = '/__tsp2p_cells__';

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

/** What warms a converter up: one conversion through its language service. */
const WARM_CELL = 'const __tsp2p_warm__: number = 1;';
/**
 * What the snapshot's converter converts before the snapshot is taken, so the code paths of a first cell
 * (a last expression, a type error, await, a function) are compiled in it, not on the user's first run.
 */
const SNAPSHOT_CELLS = [
  WARM_CELL,
  'const __tsp2p_a__: number = 1; __tsp2p_a__ + 1',
  'const __tsp2p_b__: number = "one"; __tsp2p_b__',
  'function __tsp2p_c__(xs: string[]) { return xs.map((x) => x.length); }\nawait Promise.resolve(__tsp2p_c__(["a"]));',
];

export class TypeScriptService {
  /** The converter for the kernel's directory, built on first need (its directory is read then). */
  #own: Converter | null = null;
  /** One built at NEUTRAL_CWD by the snapshot builder, and whether it may serve the kernel's directory. */
  #neutral: Converter | null = null;
  #neutralServes = false;
  /** The kernel's directory (startIn). */
  #cwd = process.cwd();
  /**
   * Conversions of recent cells by (declarations so far, source). Conversion is a pure function of those
   * (and of the kernel globals, which reset the cache) for cells that read no files, so re-running an
   * unchanged cell skips the type checker.
   */
  #cache = new Map<string, ConvertResult>();
  #declarations: string[] = [DISPLAY_DECLARATIONS];
  /** Declarations of everything earlier cells defined (tslab's `declOutput`). */
  prevDecl = '';

  constructor(readonly modules: TslabModules) {}

  /** A converter for cells in `cwd` (tslab's reads the current directory as it is built: told here). */
  #create(cwd: string): Converter {
    const sys = this.modules.ts.sys;
    const getCurrentDirectory = sys.getCurrentDirectory;
    sys.getCurrentDirectory = () => cwd;
    try {
      const converter = this.modules.converter.createConverter();
      this.#declarations.forEach((text, i) => converter.addModule(`__tsp2p_globals_${i}__`, text));
      return converter;
    } finally {
      sys.getCurrentDirectory = getCurrentDirectory;
    }
  }

  /**
   * The converter for a request. The neutral one serves while it converts exactly as the kernel's own
   * would: no type roots of the kernel's directory to miss, a request that reads no files, and no earlier
   * one that did (once built, the kernel's own converter serves everything, so results never mix).
   */
  #converterFor(code: string): Converter {
    if (this.#neutral && this.#neutralServes && !this.#own && !READS_FILES.test(code) && !READS_FILES.test(this.prevDecl)) return this.#neutral;
    return this.#ownConverter();
  }

  #ownConverter(): Converter {
    this.#own ??= this.#create(this.#cwd);
    return this.#own;
  }

  /** Builds the converter at NEUTRAL_CWD, warm (the snapshot builder does, so a kernel starts with one). */
  buildNeutral(): void {
    this.#neutral = this.#create(NEUTRAL_CWD);
    // Through the service's own path (the await check too), as a first cell goes; startIn() decides later.
    this.#neutralServes = true;
    for (const cell of SNAPSHOT_CELLS) this.convert(cell);
    this.#neutralServes = false;
    this.#cache.clear();
  }

  /**
   * Where the kernel's cells live. The neutral converter serves them unless type roots are found there
   * (node_modules/@types in it or above it): the kernel's own converter reads those, the neutral cannot.
   */
  startIn(cwd: string): void {
    this.#cwd = cwd;
    this.#neutralServes = this.#neutral !== null && !this.modules.ts.getDefaultTypeRoots(cwd, this.modules.ts.sys);
  }

  /**
   * Adds global declarations (the p2p layer declares `p2p`); they are checked, never rewritten. Ones the
   * snapshot's builder declared already (the same text) cost nothing: adding a module checks it (~50 ms).
   */
  declareGlobals(text: string): void {
    if (this.#declarations.includes(text)) return;
    this.#cache.clear();
    this.#declarations.push(text);
    const name = `__tsp2p_globals_${this.#declarations.length - 1}__`;
    this.#own?.addModule(name, text);
    this.#neutral?.addModule(name, text);
  }

  /** Makes the first cell fast: builds the converter it will use, unless the neutral one will serve it. */
  warmUp(): void {
    if (!this.#neutralServes) this.#ownConverter().convert('', WARM_CELL);
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
    const ts = this.modules.ts;
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
    if (READS_FILES.test(code)) return this.#converterFor(code).convert(this.prevDecl, code);
    const key = `${this.prevDecl}\u0000${code}`;
    const cached = this.#cache.get(key);
    if (cached) {
      // Refresh its place in the LRU order.
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    const result = this.#converterFor(code).convert(this.prevDecl, code);
    this.#cache.set(key, result);
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
    return result;
  }

  complete(code: string, cursor: number): CompleteResult {
    const info = this.#converterFor(code).complete(this.prevDecl, code, cursor);
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
    const converter = this.#converterFor(code);
    let info = converter.inspect(this.prevDecl, code, cursor);
    if (!info && cursor > 0) info = converter.inspect(this.prevDecl, code, cursor - 1);
    if (!info) return { found: false, data: {}, metadata: {} };
    const signature = (info.displayParts ?? []).map((p) => p.text).join('');
    const docs = (info.documentation ?? []).map((p) => p.text).join('');
    // JSDoc tags (@param, @returns, @example) at every detail level: Shift-Tab (level 0) is where they are read.
    const tags = (info.tags ?? []).map((t) => `@${t.name} ${(t.text ?? []).map((p) => p.text).join('')}`.trimEnd());
    const text = [signature, docs, tags.join('\n')].filter(Boolean).join('\n\n');
    const markdown = ['```typescript\n' + signature + '\n```', docs, tags.map((t) => `- ${t}`).join('\n')].filter(Boolean).join('\n\n');
    return { found: true, data: { 'text/plain': text, 'text/markdown': markdown }, metadata: {} };
  }

  /**
   * complete, incomplete (the parser wants more at the very end: an open block, a dangling operator, an
   * unterminated template) or invalid (a syntax error elsewhere). Two trailing blank lines force complete.
   */
  isComplete(code: string): IsCompleteResult {
    if (/(^|\n)\s*\n\s*$/.test(code) || code.trim() === '') return { status: 'complete' };
    const ts = this.modules.ts;
    const file = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const diagnostics = (file as unknown as { parseDiagnostics?: { start: number; messageText: unknown; code: number }[] }).parseDiagnostics ?? [];
    if (diagnostics.length === 0) return { status: 'complete' };
    const atEnd = diagnostics.every((d) => d.start >= code.trimEnd().length || d.code === 1160 /* unterminated template */);
    if (!atEnd) return { status: 'invalid' };
    const result = this.modules.converter.isCompleteCode(code);
    return { status: 'incomplete', indent: result.indent ?? '' };
  }

  close(): void {
    this.#own?.close();
    this.#neutral?.close();
    this.#own = this.#neutral = null;
  }
}
