/**
 * The cluster as a library: join it, see its workers, run tasks on them. What the kernel's %p2p magics, the
 * `p2p` object in cells and `tsp2p exec` all use. Lifecycle: Cluster.join() → run()... → close().
 *
 *   const cluster = await Cluster.join({ cluster: 'alice/friends' });
 *   const pid = await cluster.run({ code: 'process.pid' });
 */
import { Tsp2pError } from '../errors.js';
import { openNode, type ClusterNode } from './node.js';
import { ROLE } from './protocol.js';
import type { OpenedRoster } from './roster.js';
import { Scheduler, workerMatches } from './scheduler.js';
import { TaskHandle, type TaskSpec, type WorkerInfo } from './task-handle.js';
import { WorkerService } from './worker.js';

export interface JoinOptions {
  /** OWNER/NAME; default: your personal cluster. */
  cluster?: string | undefined;
  /** host:port[,...]; default TSP2P_BOOTSTRAP, else the public DHT. */
  bootstrap?: string | undefined;
  invite?: string | undefined;
  /** How long a task waits for a worker to exist before failing with NO_WORKERS (default 30 s). */
  noWorkerTimeoutMs?: number;
}

export class Cluster {
  readonly #scheduler: Scheduler;
  readonly #noWorkerTimeoutMs: number;

  private constructor(
    readonly node: ClusterNode,
    options: JoinOptions,
  ) {
    this.#scheduler = new Scheduler(node.network);
    this.#noWorkerTimeoutMs = options.noWorkerTimeoutMs ?? 30_000;
  }

  static async join(options: JoinOptions = {}): Promise<Cluster> {
    const node = await openNode({ cluster: options.cluster, bootstrap: options.bootstrap, invite: options.invite, roles: ROLE.client });
    return new Cluster(node, options);
  }

  /** alice/friends */
  get label(): string {
    return this.node.ref.label;
  }

  get roster(): OpenedRoster {
    return this.node.network.roster;
  }

  workers(): WorkerInfo[] {
    return this.#scheduler.workers();
  }

  /** Resolves once at least `count` workers (answering to `worker`, if given) are connected. */
  async waitForWorkers(count = 1, timeoutMs = 15_000, worker?: string): Promise<WorkerInfo[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.workers().filter((w) => workerMatches(w, worker)).length < count) {
      if (Date.now() > deadline) throw Tsp2pError.NO_WORKERS(this.label, timeoutMs, worker);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.node.network.off('peer', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, Math.min(200, deadline - Date.now())));
        this.node.network.on('peer', done);
      });
    }
    return this.workers();
  }

  /**
   * Waits until no new worker has appeared for `quietMs` (at most `maxMs`): peers are found one by one, so
   * a report right after the first would undercount.
   */
  async settle(quietMs = 500, maxMs = 3_000): Promise<WorkerInfo[]> {
    const deadline = Date.now() + maxMs;
    for (;;) {
      const before = this.workers().length;
      const wait = Math.min(quietMs, deadline - Date.now());
      if (wait <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.workers().length === before) break;
    }
    return this.workers();
  }

  run(spec: TaskSpec): TaskHandle {
    const handle = this.#scheduler.submit(spec);
    const matching = () => this.workers().some((w) => workerMatches(w, spec.worker));
    if (!matching()) {
      // Wait a while for a worker that can take it; then say so rather than wait forever.
      const timer = setTimeout(() => {
        if (handle.status === 'queued' && !matching()) this.#scheduler.abort(handle, Tsp2pError.NO_WORKERS(this.label, this.#noWorkerTimeoutMs, spec.worker), 'failed');
      }, this.#noWorkerTimeoutMs);
      timer.unref();
      void handle.result.finally(() => clearTimeout(timer)).catch(() => {});
    }
    return handle;
  }

  async close(): Promise<void> {
    this.#scheduler.close();
    await this.node.close();
  }
}

export interface WorkerProcess {
  node: ClusterNode;
  worker: WorkerService;
  close(): Promise<void>;
}

/** Joins as a worker with `slots` slot processes (what `tsp2p worker` runs). */
export async function startWorker(options: { cluster?: string | undefined; bootstrap?: string | undefined; slots: number; sandbox?: boolean; cwd?: string }): Promise<WorkerProcess> {
  let worker: WorkerService | null = null;
  const node = await openNode({
    cluster: options.cluster,
    bootstrap: options.bootstrap,
    roles: ROLE.worker,
    slots: options.slots,
    setup: (network) => {
      worker = new WorkerService({ network, slots: options.slots, sandbox: options.sandbox === true, ...(options.cwd ? { cwd: options.cwd } : {}) });
    },
  });
  if (!worker) throw new Error('worker was not set up');
  const service: WorkerService = worker;
  await service.ready();
  return {
    node,
    worker: service,
    async close() {
      await service.close();
      await node.close();
    },
  };
}
