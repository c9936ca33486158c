/**
 * The worker: takes `task` frames from clients, queues them per client and serves the queues in turn (so
 * clients sharing a worker get fair shares), runs each on a free slot, and streams the slot's reports back.
 * Timeouts and cancels kill only that task's slot process; a client that disconnects or falls silent (see
 * liveness.ts) takes its tasks along, running and queued. A slot process that dies under a task makes it a
 * lost attempt (`lost`), for its client to run again. Every second it tells clients with work here how
 * loaded it is.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { RemoteError, Tsp2pError } from '../errors.js';
import { createLogger } from '../log.js';
import type { PeerNetwork, Peer } from './peer-network.js';
import type { SandboxPolicy } from './sandbox.js';
import { ROLE, type Frame } from './protocol.js';
import { Slot } from './slot.js';
import { SlotPool } from './slot-pool.js';
import { SlotReaper } from './slot-reaper.js';
import { taskFilename } from './task-handle.js';
import type { ChildReport } from './task-messages.js';
import { DEFAULT_MAX_VALUE_BYTES, wireSize } from './values.js';

/** How a task ended on this worker: `lost` when its process died under it (the client may run it again). */
export type TaskOutcome = 'ok' | 'failed' | 'cancelled' | 'lost';

const log = createLogger('worker');

/** IPC hands over Uint8Arrays: view them as Buffers without copying (results can be large). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
const HEARTBEAT_MS = 1_000;
/** The member a task is of (its client's identity): a slot process serves one. */
const ownerOf = (task: { peer: Peer }): string => task.peer.identity.toString('hex');

export interface WorkerOptions {
  network: PeerNetwork;
  slots: number;
  cwd?: string;
  /** Run tasks sandboxed (checked beforehand with checkSandbox). */
  sandbox?: SandboxPolicy | null;
  /** The largest task inputs taken (`--max-value`; the network drops larger frames as they come). */
  maxValueBytes?: number;
}

interface Task {
  key: string;
  peer: Peer;
  frame: Frame<'task'>;
}

interface Running extends Task {
  slot: Slot;
  timer: NodeJS.Timeout | null;
}

interface WorkerEvents {
  started: [Task];
  finished: [Task, TaskOutcome];
}

export class WorkerService extends EventEmitter<WorkerEvents> {
  /** The slot processes (more than --slots when members take turns: see SlotPool). */
  readonly pool: SlotPool;
  /** How errors name this worker: user@host. */
  readonly name: string;
  /** Tasks finished, by outcome. */
  readonly tally: Frame<'tally'> = { done: 0, failed: 0, cancelled: 0 };
  #queues = new Map<string, Task[]>();
  #turn: string[] = [];
  #running = new Map<string, Running>();
  #heartbeat: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #maxValue: number;
  /** Ends our slot processes if this process dies (see slot-reaper.ts). */
  readonly #reaper = new SlotReaper();

  constructor(private readonly options: WorkerOptions) {
    super();
    this.name = `${options.network.identity.name}@${hostname()}`;
    this.#maxValue = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    // The slot process inflates the inputs: it holds them to the same limit.
    const slotEnv = { TSP2P_WORKER_USER: options.network.identity.name, TSP2P_SLOT_MAX_VALUE: `${this.#maxValue}` };
    const onProcess = (pid: number, alive: boolean) => this.#reaper.track(pid, alive);
    this.pool = new SlotPool(options.slots, (index) => {
      const slot = new Slot({ index, cwd: options.cwd ?? process.cwd(), sandbox: options.sandbox ?? null, env: process.env, slotEnv, onProcess });
      slot.on('report', (report) => this.#report(report));
      slot.on('started', (taskId) => this.#started(taskId));
      slot.on('died', (taskId, reason) => this.#lost(taskId, reason));
      slot.on('withdrawn', (taskId) => this.#withdrawn(taskId));
      return slot;
    });
    // Listening starts now, before the network does: a task that arrives while slots start waits for them.
    const network = options.network;
    network.handle({
      task: (peer, frame) => this.#enqueue(peer, frame),
      cancel: (peer, frame) => this.#cancel(this.#key(peer, frame.id)),
      withdraw: (peer, frame) => this.#withdraw(peer, frame.id),
      inflight: (peer, frame) => this.#audit(peer, frame.ids),
    });
    network.on('close', (peer) => this.#dropPeer(peer));
    network.on('oversize', (peer, name, id, size) => name === 'task' && id !== null && this.#refuse(peer, id, Tsp2pError.VALUE_TOO_LARGE(size, this.#maxValue)));
    network.on('peer', (peer) => (peer.hello.roles & ROLE.client) !== 0 && this.#sendLoad([peer]));
    // A client that vanishes while its tasks are here is noticed within 2 s, and they are stopped.
    network.heedSilenceOf((peer) => this.#clientsWithTasks().has(peer.id));
  }

  /** The clients whose tasks are here, running or queued, by session id. */
  #clientsWithTasks(): Map<string, Peer> {
    const clients = new Map<string, Peer>();
    for (const running of this.#running.values()) clients.set(running.peer.id, running.peer);
    for (const queue of this.#queues.values()) for (const task of queue) clients.set(task.peer.id, task.peer);
    return clients;
  }

  /** Resolves when every slot process is up. */
  async ready(): Promise<void> {
    await this.pool.ready();
  }

  get load(): Frame<'load'> {
    const waiting = [...this.#queues.values()].reduce((n, q) => n + q.length, 0);
    const running = this.pool.slots.filter((s) => s.running !== null).length;
    const { done, failed, cancelled } = this.tally;
    return { slots: this.pool.capacity, running, queued: waiting + this.#running.size - running, done: done + failed + cancelled };
  }

  /** The load, and the tally that tells its finished tasks apart (a separate frame: older clients drop it). */
  #sendLoad(peers: Iterable<Peer>): void {
    const load = this.load;
    for (const peer of peers) {
      peer.channel.send('load', load);
      peer.channel.send('tally', this.tally);
    }
  }

  #key(peer: Peer, id: string): string {
    return `${peer.id}:${id}`;
  }

  /** Answers a task with an error before it runs (its frame or its inputs were more than this worker takes). */
  #refuse(peer: Peer, id: string, error: Tsp2pError): void {
    log.info(`refused a task from ${peer.hello.user}: ${error.message}`);
    peer.channel.send('error', { id, json: RemoteError.toJson({ ename: error.code, evalue: `the task's inputs: ${error.message}`, stack: '', worker: this.name }) });
  }

  /** Which of the tasks a client believes are here this worker does not hold: it will run them again. */
  #audit(peer: Peer, ids: string[]): void {
    const unknown = ids.filter((id) => {
      const key = this.#key(peer, id);
      return !this.#running.has(key) && !this.#queues.get(peer.id)?.some((t) => t.key === key);
    });
    if (unknown.length) peer.channel.send('unknown', { ids: unknown.slice(0, 1_000) });
  }

  #enqueue(peer: Peer, frame: Frame<'task'>): void {
    const key = this.#key(peer, frame.id);
    if (this.#closed || this.#running.has(key) || this.#queues.get(peer.id)?.some((t) => t.key === key)) return;
    const size = wireSize(frame);
    if (size > this.#maxValue) return this.#refuse(peer, frame.id, Tsp2pError.VALUE_TOO_LARGE(size, this.#maxValue));
    const queue = this.#queues.get(peer.id) ?? [];
    if (queue.length === 0) this.#turn.push(peer.id);
    queue.push({ key, peer, frame });
    this.#queues.set(peer.id, queue);
    this.options.network.heedNow();
    this.#schedule();
    // Load reports go out while there is work; an idle worker's event loop sleeps (issue: ≤ 1 ms CPU/s).
    if (!this.#heartbeat && !this.#closed) {
      this.#heartbeat = setInterval(() => this.#beat(), HEARTBEAT_MS);
      this.#heartbeat.unref();
    }
  }

  /**
   * Hands out queued tasks while slots can take them, the clients' queues in turn, one task each: an idle
   * slot first (all run at once), then one to wait behind a running task of the same member (sent ahead).
   * Which process a task goes to, and how long a member keeps one while others wait: SlotPool.
   */
  #schedule(): void {
    while (this.#placeOne());
  }

  /** Places the next task of the first client in turn that can be placed now; false if none can. */
  #placeOne(): boolean {
    const owners = new Set<string>();
    for (const queue of this.#queues.values()) if (queue[0]) owners.add(ownerOf(queue[0]));
    for (const [at, peerId] of this.#turn.entries()) {
      const queue = this.#queues.get(peerId);
      const task = queue?.[0];
      if (!queue || !task) continue;
      const owner = ownerOf(task);
      const slot = this.pool.place(owner, owners.size > 1);
      if (!slot) continue;
      queue.shift();
      this.#turn.splice(at, 1);
      if (queue.length > 0) this.#turn.push(peerId);
      else this.#queues.delete(peerId);
      this.pool.used(slot, slot.size === 0);
      this.#assign(slot, task);
      return true;
    }
    return false;
  }

  #assign(slot: Slot, task: Task): void {
    const { frame } = task;
    this.#running.set(task.key, { ...task, slot, timer: null });
    slot.run({ type: 'run', id: task.key, client: task.peer.id, code: frame.code, filename: taskFilename(frame.id), json: frame.json, buffers: frame.buffers }, ownerOf(task));
  }

  /** The task reached the head of its slot: it runs now, and its timeout counts from here. */
  #started(key: string): void {
    const running = this.#running.get(key);
    if (!running) return;
    const { frame, slot } = running;
    if (frame.timeoutMs > 0) {
      running.timer = setTimeout(() => {
        slot.killHead();
        this.#fail(key, Tsp2pError.TASK_TIMEOUT(frame.timeoutMs), 'failed');
      }, frame.timeoutMs);
    }
    running.peer.channel.send('started', { id: frame.id });
    this.emit('started', running);
  }

  #report(report: ChildReport): void {
    if (report.type === 'ready') return;
    const running = this.#running.get(report.id);
    if (!running) return;
    const id = running.frame.id;
    const channel = running.peer.channel;
    switch (report.type) {
      case 'stream':
        channel.send('stream', { id, name: report.name, text: report.text });
        break;
      case 'display':
        channel.send('display', { id, json: report.json });
        break;
      case 'emit':
        channel.send('emit', { id, json: report.json, buffers: report.buffers.map(asBuffer) });
        break;
      case 'result':
        channel.send('result', { id, json: report.json, buffers: report.buffers.map(asBuffer), ms: report.ms });
        this.#finish(running, 'ok');
        break;
      case 'error':
        channel.send('error', { id, json: report.json });
        this.#finish(running, 'failed');
        break;
    }
  }

  #finish(running: Running, outcome: TaskOutcome): void {
    if (running.timer) clearTimeout(running.timer);
    this.#running.delete(running.key);
    this.tally[outcome === 'ok' ? 'done' : outcome === 'cancelled' ? 'cancelled' : 'failed'] += 1;
    this.emit('finished', running, outcome);
    this.#schedule();
    // Going idle is news to clients sharing this worker: they may count on its room now.
    // (To clients only: in a cluster of N workers a broadcast to all made every task cost O(N).)
    if (this.#running.size === 0) this.#sendLoad(this.options.network.peersWith(ROLE.client));
  }

  /** The worker ends a task itself (`error`: TASK_TIMEOUT, TASK_CANCELLED): its client learns which, by code. */
  #fail(key: string, error: Tsp2pError, outcome: TaskOutcome): void {
    const running = this.#running.get(key);
    if (!running) return;
    running.peer.channel.send('error', { id: running.frame.id, json: this.#endedJson(error) });
    this.#finish(running, outcome);
  }

  #endedJson(error: Tsp2pError): string {
    return RemoteError.toJson({ ename: error.name, evalue: error.message, stack: '', worker: this.name, code: error.code });
  }

  /** The task's process died under it: not the task's error, so its client may run it again. */
  #lost(key: string, reason: string): void {
    const running = this.#running.get(key);
    if (!running) return;
    log.info(`task ${running.frame.id.slice(0, 8)} from ${running.peer.hello.user}: its process ${reason}`);
    running.peer.channel.send('lost', { id: running.frame.id, reason });
    this.#finish(running, 'lost');
  }

  #cancel(key: string): void {
    const running = this.#running.get(key);
    if (running) {
      running.slot.cancel(key);
      this.#fail(key, Tsp2pError.TASK_CANCELLED(), 'cancelled');
      return;
    }
    const task = this.#takeQueued(key);
    task?.peer.channel.send('error', { id: task.frame.id, json: this.#endedJson(Tsp2pError.TASK_CANCELLED()) });
  }

  /**
   * Gives a task back to its client if it has not started. One waiting in our queue goes back at once; one
   * handed to a slot goes back only when the slot's process confirms it had not started it (withdrawn
   * below). One that started stays: its `started` frame tells the client.
   */
  #withdraw(peer: Peer, id: string): void {
    const key = this.#key(peer, id);
    const running = this.#running.get(key);
    if (running) running.slot.withdraw(key);
    else if (this.#takeQueued(key)) {
      peer.channel.send('withdrawn', { id });
      this.#schedule();
    }
  }

  #withdrawn(key: string): void {
    const running = this.#running.get(key);
    if (!running) return;
    this.#running.delete(key);
    if (running.timer) clearTimeout(running.timer);
    running.peer.channel.send('withdrawn', { id: running.frame.id });
    this.#schedule();
  }

  /** Takes a task out of its client's queue. */
  #takeQueued(key: string): Task | undefined {
    for (const [peerId, queue] of this.#queues) {
      const at = queue.findIndex((t) => t.key === key);
      if (at < 0) continue;
      const [task] = queue.splice(at, 1);
      if (queue.length === 0) {
        this.#queues.delete(peerId);
        this.#turn = this.#turn.filter((p) => p !== peerId);
      }
      return task;
    }
    return undefined;
  }

  #dropPeer(peer: Peer): void {
    this.#queues.delete(peer.id);
    this.#turn = this.#turn.filter((p) => p !== peer.id);
    for (const running of [...this.#running.values()]) {
      if (running.peer.id !== peer.id) continue;
      if (running.slot.running === running.key) log.info(`${peer.hello.user} left: stopping its task`);
      running.slot.cancel(running.key);
      if (running.timer) clearTimeout(running.timer);
      this.#running.delete(running.key);
    }
    this.#schedule();
  }

  #beat(): void {
    const clients = this.#clientsWithTasks();
    this.#sendLoad(clients.values());
    if (clients.size === 0 && this.#heartbeat) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = null;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    await this.pool.close();
    await this.#reaper.close();
  }
}
