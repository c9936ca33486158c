/**
 * The `p2p` object of ordinary cells: run a function on a worker (an awaitable, cancellable future), map a
 * function over items with a live progress bar, list the workers. Functions travel by source with the
 * kernel variables they use, as %%p2p cells do. Output of the tasks streams into the running cell; the
 * stop button cancels them.
 */
import { Tsp2pError } from '../errors.js';
import type { TypeScriptEngine } from '../engine/engine.js';
import { parseDuration } from '../options.js';
import type { TaskHandle, WorkerInfo } from '../p2p/task-handle.js';
import { attachTask, guarded, showWaiting } from './remote-run.js';
import { progressBar, workerName } from './render.js';
import type { P2PSession } from './session.js';
import { shipFunction } from './ship.js';

export const P2P_DECLARATIONS = `
declare global {
  interface TsP2PWorker { readonly id: string; readonly user: string; readonly host: string; readonly slots: number; readonly running: number; readonly queued: number; readonly done: number; readonly failed: number; readonly cancelled: number }
  interface TsP2PRunOptions {
    /** Extra values to send along (kernel variables the function uses are found automatically). */
    globals?: Record<string, unknown>;
    /** Stop the task after this long: milliseconds, or text like "30s". */
    timeout?: number | string;
    /** Run on this worker: id prefix, user or user@host. */
    worker?: string;
    /** Receives what the task sends with p2p.emit(data) while it runs. */
    onEmit?: (data: any) => void;
    /** Called when a worker starts the task (again, if it is re-run elsewhere). */
    onStart?: (worker: TsP2PWorker) => void;
  }
  interface TsP2PMapOptions extends TsP2PRunOptions {
    /** Show a live progress bar (default true); a string labels it. */
    progress?: boolean | string;
    /** Called with each item's result as it arrives (in completion order). */
    onResult?: (result: any, index: number, worker: TsP2PWorker | null) => void;
    /** Called when a worker starts an item's task. */
    onItemStart?: (index: number, worker: TsP2PWorker) => void;
  }
  interface TsP2PFuture<T> extends PromiseLike<T> {
    readonly id: string;
    readonly status: 'queued' | 'sent' | 'running' | 'done' | 'failed' | 'cancelled';
    readonly worker: TsP2PWorker | null;
    cancel(): void;
  }
  interface TsP2P {
    /** Runs fn on a worker of the joined cluster. */
    run<T>(fn: () => T | Promise<T>, options?: TsP2PRunOptions): TsP2PFuture<Awaited<T>>;
    /** One task per item, load-balanced over the workers; results in item order. */
    map<I, T>(items: Iterable<I>, fn: (item: I, index: number) => T | Promise<T>, options?: TsP2PMapOptions): Promise<Awaited<T>[]>;
    workers(): TsP2PWorker[];
    /** The joined cluster (OWNER/NAME), or null. */
    readonly cluster: string | null;
    /** On a worker, inside a task: sends data to the kernel's onEmit handler. */
    emit(data: unknown): void;
    /** On a worker, inside a task: user@host of the worker. */
    readonly worker: string;
  }
  var p2p: TsP2P;
}
`;

interface RunOptions {
  globals?: Record<string, unknown>;
  timeout?: number | string;
  worker?: string;
  onEmit?: (data: unknown) => void;
  onStart?: (worker: WorkerInfo) => void;
}

interface StartOptions extends RunOptions {
  /** Show a line while the task waits for a free worker (p2p.map has its progress bar instead). */
  waitingLine?: boolean;
}

interface MapOptions extends RunOptions {
  progress?: boolean | string;
  onResult?: (result: unknown, index: number, worker: WorkerInfo | null) => void;
  onItemStart?: (index: number, worker: WorkerInfo) => void;
}

function timeoutMs(timeout: number | string | undefined): number | undefined {
  if (timeout === undefined) return undefined;
  return typeof timeout === 'number' ? timeout : parseDuration(timeout);
}

export function createP2PApi(session: P2PSession, engine: TypeScriptEngine) {
  const start = (fn: (...args: never[]) => unknown, args: unknown[], options: StartOptions): TaskHandle => {
    const cluster = session.requireCluster();
    const shipment = shipFunction(fn, args, engine.variables, options.globals ?? {});
    const ms = timeoutMs(options.timeout);
    const handle = cluster.run({ code: shipment.code, globals: shipment.globals, ...(ms ? { timeoutMs: ms } : {}), ...(options.worker ? { worker: options.worker } : {}) });
    attachTask(handle, shipment, engine, engine.output, options.onEmit);
    if (engine.output && options.waitingLine !== false) showWaiting(handle, cluster, engine.output);
    const { onStart } = options;
    if (onStart) handle.on('status', (status) => status === 'running' && handle.worker && guarded(engine, () => onStart(handle.worker as WorkerInfo)));
    return handle;
  };

  return {
    run(fn: () => unknown, options: RunOptions = {}) {
      return start(fn, [], options);
    },

    async map(items: Iterable<unknown>, fn: (item: unknown, index: number) => unknown, options: MapOptions = {}): Promise<unknown[]> {
      const list = [...items];
      const { onItemStart } = options;
      const handles = list.map((item, i) => start(fn as (...args: never[]) => unknown, [item, i], { ...options, waitingLine: false, ...(onItemStart ? { onStart: (w: WorkerInfo) => onItemStart(i, w) } : {}) }));
      const label = typeof options.progress === 'string' ? options.progress : 'p2p.map';
      const bar = options.progress === false ? null : engine.display.create();
      const perWorker = new Map<string, number>();
      let done = 0;
      let lastDraw = 0;
      const draw = (force = false) => {
        if (!bar || (!force && Date.now() - lastDraw < 100)) return;
        lastDraw = Date.now();
        const split = [...perWorker].map(([w, n]) => `${w} ${n}`).join(', ');
        bar.bundle(progressBar(label, done, list.length, split ? `(${split})` : ''));
      };
      draw(true);
      handles.forEach((h, i) =>
        h.result.then((value) => {
          done += 1;
          const w = h.worker ? workerName(h.worker) : 'unknown';
          perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
          guarded(engine, () => options.onResult?.(value, i, h.worker));
          draw(done === list.length);
        }, () => {}),
      );
      try {
        return await Promise.all(handles.map((h) => h.result));
      } catch (err) {
        for (const h of handles) h.cancel();
        draw(true);
        throw err;
      }
    },

    workers(): WorkerInfo[] {
      return session.requireCluster().workers();
    },

    get cluster(): string | null {
      return session.cluster?.label ?? null;
    },

    emit(): void {
      throw Tsp2pError.NOT_ON_WORKER('p2p.emit sends partial results from a task on a worker; in the kernel, pass onEmit to p2p.run or p2p.map');
    },

    get worker(): string {
      throw Tsp2pError.NOT_ON_WORKER('p2p.worker names the worker inside a task; in the kernel, see p2p.workers()');
    },
  };
}
