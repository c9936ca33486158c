/**
 * The cluster as a library: join it, see its workers, run tasks on them. What the kernel's %p2p magics, the
 * `p2p` object in cells and `tsp2p exec` all use. Lifecycle: Cluster.join() → run()... → close().
 *
 *   const cluster = await Cluster.join({ cluster: 'alice/friends' });
 *   const pid = await cluster.run({ code: 'process.pid' });
 */
import { Tsp2pError } from '../errors.js';
import { homeDir } from './home.js';
import { natProblem, slowPunch } from './nat-words.js';
import { openNode, type ClusterNode } from './node.js';
import { ROLE } from './protocol.js';
import type { OpenedRoster } from './roster.js';
import type { RosterWait } from './roster-source.js';
import { checkSandbox, type SandboxPolicy } from './sandbox.js';
import { workerMatches } from './placement.js';
import { Scheduler } from './scheduler.js';
import { TaskHandle, type TaskSpec, type WorkerInfo } from './task-handle.js';
import { WorkerService } from './worker.js';

export interface JoinOptions {
  /** OWNER/NAME; default: your personal cluster. */
  cluster?: string | undefined;
  /** host:port[,...]; default TSP2P_BOOTSTRAP, else the public DHT. */
  bootstrap?: string | undefined;
  invite?: string | undefined;
  /** Waiting for the host when no roster is at hand (default: until it answers). */
  wait?: RosterWait;
  /** How long a task waits for a worker to exist before failing with NO_WORKERS (default 30 s). */
  noWorkerTimeoutMs?: number;
  /** The largest result or emit taken from a worker (default 256 MiB); a larger one fails its task. */
  maxValueBytes?: number;
  /** Hears each step of joining (reaching the DHT, the roster, listening, the certificate). */
  onPhase?: (phase: string) => void;
}

/** Slots of the connected workers, and how many are busy (as the workers last said, with ours). */
export interface Capacity {
  workers: number;
  slots: number;
  busy: number;
}

export class Cluster {
  readonly #scheduler: Scheduler;
  readonly #noWorkerTimeoutMs: number;

  private constructor(
    readonly node: ClusterNode,
    options: JoinOptions,
  ) {
    this.#scheduler = new Scheduler(node.network, options.maxValueBytes);
    this.#noWorkerTimeoutMs = options.noWorkerTimeoutMs ?? 30_000;
  }

  static async join(options: JoinOptions = {}): Promise<Cluster> {
    const node = await openNode({
      cluster: options.cluster,
      bootstrap: options.bootstrap,
      invite: options.invite,
      roles: ROLE.client,
      ...(options.wait ? { wait: options.wait } : {}),
      ...(options.maxValueBytes ? { maxValueBytes: options.maxValueBytes } : {}),
      ...(options.onPhase ? { onPhase: options.onPhase } : {}),
    });
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

  capacity(): Capacity {
    const workers = this.workers();
    const slots = workers.reduce((n, w) => n + w.slots, 0);
    return { workers: workers.length, slots, busy: workers.reduce((n, w) => n + Math.min(w.slots, w.running), 0) };
  }

  /** What this member sees of the cluster, for errors that must say what was found. */
  diagnosis(): string {
    const roster = this.roster;
    const nameOf = (key: Buffer | null) => (key === null ? 'a non-member' : key.equals(roster.owner) ? this.node.ref.ownerName : (roster.members.find((m) => m.key.equals(key))?.name ?? 'a removed member'));
    const roles = (r: number) => [r & ROLE.host ? 'host' : '', r & ROLE.relay ? 'relay' : '', r & ROLE.worker ? 'worker' : '', r & ROLE.client ? 'client' : ''].filter(Boolean).join('+');
    const summary = this.node.network.dialSummary();
    const peers = this.node.network.peers.map((p) => `${p.hello.user}@${p.hello.host} (${roles(p.hello.roles)})`);
    const failures = summary.failures.slice(0, 5).map((f) => `${nameOf(f.identity)}: ${f.reason}`);
    const connecting = summary.connecting.slice(0, 5).map((c) => `${nameOf(c.identity)} (for ${Math.round(c.ms / 1000)} s)`);
    const network = this.node.network;
    const relay = network.peers.some((p) => p.hello.relay.length > 0);
    const nat = natProblem(
      summary.failures.map((f) => ({ name: nameOf(f.identity), reason: f.reason })),
      { randomized: this.node.dht.randomized, relay, owner: this.node.ref.ownerName },
    );
    return [
      `roster ${this.node.rosterSource}`,
      `${summary.found} process(es) of the cluster found on the DHT, ${peers.length} connected${peers.length ? ` (${peers.join(', ')})` : ''}`,
      ...(failures.length ? [`not connected: ${failures.join('; ')}`] : []),
      ...(connecting.length ? [`still connecting to ${connecting.join(', ')}${this.node.dht.randomized && !nat && !relay ? `: ${slowPunch(this.node.ref.ownerName)}` : ''}`] : []),
      ...(nat ? [nat] : []),
    ].join('; ');
  }

  /** The error for no worker within `ms`: what was found, and a next step that fits it. */
  noWorkers(ms: number, worker?: string): Tsp2pError {
    const summary = this.node.network.dialSummary();
    return Tsp2pError.NO_WORKERS(this.label, ms, worker, this.diagnosis(), summary.connecting.length + summary.failures.length > 0);
  }

  /** Resolves once at least `count` workers (answering to `worker`, if given) are connected. */
  async waitForWorkers(count = 1, timeoutMs = 15_000, worker?: string): Promise<WorkerInfo[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.workers().filter((w) => workerMatches(w, worker)).length < count) {
      if (Date.now() > deadline) throw this.noWorkers(timeoutMs, worker);
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

  /**
   * Runs a task on a worker. A task asking for a worker that is not connected fails at once, naming those
   * that are. With no worker at all it waits for one (noWorkerTimeoutMs); with a timeout, the wait for a
   * worker to start it counts against that timeout too.
   */
  run(spec: TaskSpec): TaskHandle {
    if (spec.worker && !this.workers().some((w) => workerMatches(w, spec.worker))) {
      const names = this.workers().map((w) => `${w.user}@${w.host} (${w.id.slice(0, 8)})`);
      throw Tsp2pError.NO_SUCH_WORKER(spec.worker, this.label, names);
    }
    const handle = this.#scheduler.submit(spec);
    const waiting = () => handle.status === 'queued' || handle.status === 'sent';
    const timers: NodeJS.Timeout[] = [];
    if (this.workers().length === 0) {
      // Wait a while for a worker to appear; then say so rather than wait forever.
      timers.push(setTimeout(() => {
        if (handle.status === 'queued' && this.workers().length === 0) this.#scheduler.abort(handle, this.noWorkers(this.#noWorkerTimeoutMs, spec.worker), 'failed');
      }, this.#noWorkerTimeoutMs));
    }
    const startWithinMs = spec.startWithinMs ?? spec.timeoutMs;
    if (startWithinMs) {
      timers.push(setTimeout(() => {
        if (waiting()) this.#scheduler.abort(handle, Tsp2pError.NO_FREE_WORKER(this.label, startWithinMs, this.capacity(), this.diagnosis()), 'failed');
      }, startWithinMs));
    }
    for (const timer of timers) timer.unref();
    if (timers.length) void handle.result.finally(() => timers.forEach(clearTimeout)).catch(() => {});
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
export interface WorkerStartOptions {
  cluster?: string | undefined;
  bootstrap?: string | undefined;
  slots: number;
  /** Run tasks sandboxed (see sandbox.ts); refused at once where that sandbox would not hold. */
  sandbox?: SandboxPolicy | null;
  cwd?: string;
  wait?: RosterWait;
  /** The largest task inputs taken (default 256 MiB); a larger task is refused with a clear error. */
  maxValueBytes?: number;
  /** Who started this process, told to peers in the hello (`notebook:ID` for one a notebook started). */
  origin?: string;
}

export async function startWorker(options: WorkerStartOptions): Promise<WorkerProcess> {
  if (options.sandbox) checkSandbox(options.sandbox, [homeDir()]);
  let worker: WorkerService | null = null;
  const node = await openNode({
    cluster: options.cluster,
    bootstrap: options.bootstrap,
    roles: ROLE.worker,
    slots: options.slots,
    ...(options.wait ? { wait: options.wait } : {}),
    ...(options.maxValueBytes ? { maxValueBytes: options.maxValueBytes } : {}),
    ...(options.origin ? { origin: options.origin } : {}),
    setup: (network) => {
      worker = new WorkerService({
        network,
        slots: options.slots,
        sandbox: options.sandbox ?? null,
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.maxValueBytes ? { maxValueBytes: options.maxValueBytes } : {}),
      });
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
