/**
 * The kernel's handle on its TypeScript thread (ts-thread.ts): the same service as typescript.ts, asked
 * asynchronously, so building the language service (over a second) never holds up the main thread: it
 * answers requests and runs cells meanwhile, and the first cell's conversion waits for the service as it
 * would have waited anyway. Type errors are still reported before a cell runs: nothing is skipped.
 * Lifecycle: constructed (the thread starts and warms up at once) … close().
 */
import { Worker } from 'node:worker_threads';
import type { CompleteResult, InspectResult, IsCompleteResult } from '../jupyter/executor.js';
import { createLogger } from '../log.js';
import type { TsAnswer, TsCalls, TsOp } from './ts-protocol.js';
import type { ConvertResult } from './typescript.js';

const log = createLogger('typescript');

export class TypeScriptThread {
  /** Declarations of everything earlier cells defined (tslab's `declOutput`), sent with each request. */
  prevDecl = '';
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (value: never) => void; reject: (err: Error) => void }>();
  #nextId = 0;
  #stopped: Error | null = null;
  readonly #started = performance.now();

  constructor() {
    this.#worker = new Worker(new URL('./ts-thread.js', import.meta.url), {
      // Its output must not go through the main thread's stdout (captured for cells).
      stdout: true,
      stderr: true,
    });
    // A kernel ends by process.exit; an engine made elsewhere (tests) must not be kept alive by this thread.
    this.#worker.unref();
    this.#worker.on('message', (answer: TsAnswer) => this.#answered(answer));
    this.#worker.on('error', (err: Error) => this.#stop(new Error(`the TypeScript service failed: ${err.message}; restart the kernel`)));
    this.#worker.on('exit', (code) => this.#stop(new Error(`the TypeScript service stopped (exit code ${code}); restart the kernel`)));
  }

  #answered(answer: TsAnswer): void {
    if (answer.kind === 'ready') {
      log.debug(`TypeScript service ready: ${Math.round(performance.now() - this.#started)} ms after start (${answer.ms} ms building it)`);
      return;
    }
    const pending = this.#pending.get(answer.id);
    this.#pending.delete(answer.id);
    if (!pending) return;
    // The id ties the answer to its request's op, and so to the type its caller awaits.
    if (answer.ok) pending.resolve(answer.value as never);
    else pending.reject(new Error(answer.message));
  }

  #stop(err: Error): void {
    this.#stopped ??= err;
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
  }

  #call<K extends TsOp>(op: K, args: TsCalls[K]['args']): Promise<TsCalls[K]['result']> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    return new Promise<TsCalls[K]['result']>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args });
    });
  }

  convert(code: string): Promise<ConvertResult> {
    return this.#call('convert', { prevDecl: this.prevDecl, code });
  }

  complete(code: string, cursor: number): Promise<CompleteResult> {
    return this.#call('complete', { prevDecl: this.prevDecl, code, cursor });
  }

  inspect(code: string, cursor: number, detailLevel: number): Promise<InspectResult> {
    return this.#call('inspect', { prevDecl: this.prevDecl, code, cursor, detailLevel });
  }

  isComplete(code: string): Promise<IsCompleteResult> {
    return this.#call('isComplete', { code });
  }

  /** Adds global declarations (the p2p layer declares `p2p`); requests after this one see them. */
  declareGlobals(text: string): void {
    this.#call('declareGlobals', { text }).catch((err: unknown) => log.error(`declaring globals: ${String(err)}`));
  }

  async close(): Promise<void> {
    this.#stop(new Error('the TypeScript service was closed'));
    await this.#worker.terminate();
  }
}
