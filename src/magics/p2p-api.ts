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
