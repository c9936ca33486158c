/**
 * The local TypeScript engine: converts a cell with tslab's converter and runs the JavaScript in the
 * kernel's own context (as tslab does, so `breakOnSigint` can stop a `while (true) {}`), rather than
 * through tslab's executor, which prints the last value instead of returning it.
 *
 * Declarations of earlier cells live in `variables` (the converter rewrites references to them as
 * `exports.NAME`); the p2p layer reads them to ship a cell's globals to a worker.
 */
import vm from 'node:vm';
import type { ExecuteOutcome, ExecuteRequest, Executor, LanguageInfo, OutputSink, UserExpressionResult } from '../jupyter/executor.js';
import type { JsonObject, MimeBundle } from '../display/bundle.js';
import { createLogger } from '../log.js';
import { version } from '../version.js';
import { captureProcessOutput } from '../display/capture.js';
import { cellSources, type CellSource } from './cell-sources.js';
import { encodePng } from '../display/png.js';
import { createDisplay, type Display, type DisplayTarget } from '../display/display.js';
import { diagnosticsReport, interruptedReport, thrownReport } from './error-report.js';
import { toMimeBundle } from '../display/mime.js';
import { createModuleLoader, type ModuleLoader } from './module-loader.js';
import { describeEngine } from './describe.js';
import { TypeScriptRemote } from './typescript-remote.js';

export { describeEngine };

const log = createLogger('engine');

/** Thrown into a pending cell by interrupt(); recognised when reporting. */
class Interrupted extends Error {
  constructor() {
    super('the cell was interrupted');
  }
}

function isInterrupt(err: unknown): boolean {
  return err instanceof Interrupted || (err as { code?: string } | null)?.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED';
}

export type RunResult = { ok: true; value: unknown } | { ok: false; error: unknown };

export class TypeScriptEngine implements Executor {
  /** Type checking and conversion, in a process or thread of its own that starts at once. */
  readonly ts: TypeScriptRemote;
  /** Values of everything earlier cells declared, by name. */
  readonly variables: Record<string, unknown> = {};
  readonly display: Display;
  readonly languageInfo: LanguageInfo;
  readonly banner: string;
  #modules: ModuleLoader;
  #sink: OutputSink | null = null;
  #running: { reject: (err: Error) => void } | null = null;
  #interruptListeners = new Set<() => void>();
  /** True from the start of a cell to its end; an interrupt in that span that finds no code running yet is
   * kept, so a SIGINT that lands while the cell is still being converted is not lost. */
  #cellActive = false;
  #interruptPending = false;

  constructor(options: { cwd?: string; ts?: TypeScriptRemote } = {}) {
    const cwd = options.cwd ?? process.cwd();
    this.ts = options.ts ?? new TypeScriptRemote({ cwd });
    ({ languageInfo: this.languageInfo, banner: this.banner } = describeEngine());
    this.display = createDisplay(() => this.#displayTarget);
    this.#modules = createModuleLoader(cwd, { tslab: () => this.#tslabCompat() });
  }

  /** Installs the engine into this process: output capture and the cells' globals. Call once. */
  install(): void {
    captureProcessOutput((name, text) => {
      if (this.#sink) this.#sink.stream(name, text);
      else log.debug(`output outside any cell: ${text}`);
    });
    const globals = globalThis as Record<string, unknown>;
    globals.display = this.display;
    globals.encodePng = encodePng;
    globals.input = (prompt = '', options: { password?: boolean } = {}) => this.#currentSink().input(prompt, options.password === true);
    Object.defineProperty(globalThis, '__tsp2p__', { value: { exports: this.variables, require: this.#modules.require, defineExport: this.#defineExport }, enumerable: false });
  }

  readonly #displayTarget: DisplayTarget = {
    display: (data, metadata, options) => this.#currentSink().display(data, metadata, options),
    clear: (wait) => this.#currentSink().clear(wait),
  };

  #currentSink(): OutputSink {
    if (!this.#sink) throw new Error('no cell is running: display and input work inside cells');
    return this.#sink;
  }

  /**
   * Named imports compile to `Object.defineProperty(exports, NAME, { get })` (non-configurable): the cell's
   * code calls this instead (see runConverted), which stores the plain value so later cells may reassign or
   * import it again. (A Proxy over `variables` did this before, but every `exports.x = ...` the converter
   * writes for a top-level variable then went through it: a loop updating one ran ~10x slower.)
   */
  #defineExport = (target: Record<string, unknown>, prop: string, attributes: PropertyDescriptor): void => {
    if (prop === '__esModule') return;
    target[prop] = attributes.get ? attributes.get() : attributes.value;
  };

  #tslabCompat(): unknown {
    return {
      display: this.display,
      newDisplay: () => this.display.create(),
      versions: { tslab: version, typescript: this.languageInfo.version, node: process.version },
    };
  }

  /**
   * Keeps a value that came from elsewhere (a worker's result) as a kernel variable, declared for the type
   * checker as `any`: its type lives where it was made.
   */
  declareRemote(name: string, value: unknown): void {
    this.variables[name] = value;
    this.ts.prevDecl += `\ndeclare let ${name}: any;\n`;
  }

  /**
   * Runs one cell that something other than the engine carries out (a magic): its output goes to `sink`
   * (the display and print of code it runs too), and interrupts reach onInterrupt listeners meanwhile.
   */
  runCell<T>(sink: OutputSink, run: () => Promise<T>): Promise<T> {
    return this.inCell(() => {
      this.useSink(sink);
      return run();
    });
  }

  /** Type-checks and converts code against the declarations of the cells run so far (it does not run it). */
  convert(code: string): ReturnType<TypeScriptRemote['convert']> {
    return this.ts.convert(code);
  }

  /** Declares globals the kernel defines (the `p2p` object, say) to the type checker. */
  declareGlobals(declarations: string): void {
    this.ts.declareGlobals(declarations);
  }

  /** Runs `interrupt` listeners (remote tasks of the running cell) when the cell is interrupted. */
  onInterrupt(listener: () => void): () => void {
    this.#interruptListeners.add(listener);
    if (this.#interruptPending) queueMicrotask(listener);
    return () => this.#interruptListeners.delete(listener);
  }

  interrupt(): void {
    for (const listener of [...this.#interruptListeners]) listener();
    if (this.#running) this.#running.reject(new Interrupted());
    else if (this.#cellActive) this.#interruptPending = true;
  }

  /** Brackets one cell (see #cellActive); `run` is the whole cell, whatever executes it. */
  async inCell<T>(run: () => Promise<T>): Promise<T> {
    this.#cellActive = true;
    this.#interruptPending = false;
    try {
      return await run();
    } finally {
      this.#cellActive = false;
      this.#interruptPending = false;
    }
  }

  /** Throws Interrupted when the running cell was interrupted before its code started. */
  throwIfInterrupted(): void {
    if (this.#interruptPending) throw new Interrupted();
  }

  /** Sets where output goes: the running cell (and afterwards, for background output, as ipykernel does). */
  useSink(sink: OutputSink): void {
    this.#sink = sink;
  }

  /** The output of the running (or last) cell. */
  get output(): OutputSink | null {
    return this.#sink;
  }

  execute(request: ExecuteRequest, sink: OutputSink): Promise<ExecuteOutcome> {
    return this.inCell(() => this.#execute(request, sink));
  }

  async #execute(request: ExecuteRequest, sink: OutputSink): Promise<ExecuteOutcome> {
    this.useSink(sink);
    const converted = await this.ts.convert(request.code);
    this.#modules.addCompiled(converted.sideOutputs ?? []);
    if (converted.diagnostics.length > 0) {
      const report = diagnosticsReport(request.code, converted.diagnostics);
      sink.error(report);
      return { status: 'error', ...report };
    }
    this.ts.prevDecl = converted.declOutput ?? '';
    const source = { label: `In [${request.executionCount}]`, source: request.code, firstLine: 1 };
    const run = await this.runConverted(converted.output ?? '', converted.hasToplevelAwait === true, converted.lastExpressionVar, `cell-${request.executionCount}.js`, source);
    if (!run.ok) {
      const report = isInterrupt(run.error) ? interruptedReport() : thrownReport(run.error);
      sink.error(report);
      return { status: 'error', ...report };
    }
    if (run.value !== undefined) sink.result(toMimeBundle(run.value), {});
    return { status: 'ok', userExpressions: await this.#userExpressions(request.userExpressions) };
  }

  /**
   * Runs converted JavaScript and returns the value of `lastExpressionVar`. Awaits top-level await code,
   * unless interrupt() comes first. Never throws: failures come back as `{ ok: false }`. With `cell`, stack
   * frames in `filename` are shown as lines of that cell (cell-sources.ts).
   */
  async runConverted(js: string, hasTopLevelAwait: boolean, lastExpressionVar: string | undefined, filename: string, cell?: Omit<CellSource, 'generated'>): Promise<RunResult> {
    if (!js) return { ok: true, value: undefined };
    const interrupted = new Promise<never>((_, reject) => {
      this.#running = { reject };
    });
    interrupted.catch(() => {});
    try {
      this.throwIfInterrupted();
      const body = js.replace(/^Object\.defineProperty\(exports, /gm, '__tsp2p__.defineExport(exports, ');
      const opening = `(${hasTopLevelAwait ? 'async ' : ''}function (exports, require) { `;
      const wrapped = `${opening}${body}\n})(__tsp2p__.exports, __tsp2p__.require)`;
      if (cell) cellSources.add(filename, { ...cell, generated: wrapped, code: { start: opening.length, end: opening.length + body.length } });
      const ret: unknown = vm.runInThisContext(wrapped, { breakOnSigint: true, filename });
      if (hasTopLevelAwait) await Promise.race([ret, interrupted]);
      if (!lastExpressionVar) return { ok: true, value: undefined };
      const value = this.variables[lastExpressionVar];
      delete this.variables[lastExpressionVar];
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    } finally {
      this.#running = null;
    }
  }

  async #userExpressions(expressions: Record<string, string>): Promise<Record<string, UserExpressionResult>> {
    const results: Record<string, UserExpressionResult> = {};
    for (const [name, expression] of Object.entries(expressions)) {
      const converted = await this.ts.convert(expression);
      if (converted.diagnostics.length > 0) {
        results[name] = { status: 'error', ...diagnosticsReport(expression, converted.diagnostics) };
        continue;
      }
      const run = await this.runConverted(converted.output ?? '', converted.hasToplevelAwait === true, converted.lastExpressionVar, 'user-expression.js');
      results[name] = run.ok ? { status: 'ok', data: toMimeBundle(run.value) as MimeBundle, metadata: {} as JsonObject } : { status: 'error', ...thrownReport(run.error) };
    }
    return results;
  }

  async complete(code: string, cursorPos: number) {
    return this.ts.complete(code, cursorPos);
  }

  async inspect(code: string, cursorPos: number, detailLevel: number) {
    return this.ts.inspect(code, cursorPos, detailLevel);
  }

  async isComplete(code: string) {
    return this.ts.isComplete(code);
  }

  /** Errors thrown by background work of a cell (timers, unawaited promises) show in the last cell. */
  reportBackground(error: unknown): void {
    const report = thrownReport(error);
    if (this.#sink) this.#sink.stream('stderr', `${report.traceback.join('\n')}\n`);
    else log.error(`uncaught: ${report.ename}: ${report.evalue}`);
  }

  async shutdown(): Promise<void> {
    await this.ts.close();
  }
}
