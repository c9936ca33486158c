/**
 * The client-side scheduler. It tracks the workers it is connected to and what they report, sends each
 * queued task to the worker with the most room (placement.ts: slots × PIPELINE minus what is in flight,
 * ours and other clients'; short tasks over as few workers as it pays to use, spread.ts), keeps a little
 * work queued at each worker so slots never wait for the network, takes back a long task still waiting at a
 * busy worker when another worker has nothing of ours to do, and when a worker vanishes mid-task (its
 * connection closed, or it fell silent: see liveness.ts) or a task's process dies under it, sends the task
 * elsewhere, within its attempt budget. Each task's value is delivered once.
 */
import { nanoid } from 'nanoid';
import { RemoteError, Tsp2pError } from '../errors.js';
import { createLogger } from '../log.js';
import { counted } from '../words.js';
import type { Peer, PeerNetwork } from './peer-network.js';
import { ROLE, type FrameName, type FrameTable } from './protocol.js';
import { parseDisplayEvent, TaskHandle, type TaskSpec, type WorkerInfo } from './task-handle.js';
import { jsonObject } from '../json-fields.js';
import { LONG_TASK_MS, roomAt, SpreadOrder, workerMatches, type WorkerState } from './placement.js';
import { Spread, spreadOver, WorkKind } from './spread.js';
import { DEFAULT_MAX_VALUE_BYTES, fromWire, toWire, type WireValue } from './values.js';

const log = createLogger('scheduler');
const DEFAULT_ATTEMPTS = 3;
/**
 * Every AUDIT_MS a client tells each worker which of its tasks it believes are there (sent at least
 * AUDIT_MS ago, no outcome yet); the worker names those it does not hold, and they run again. Whatever
 * loses a task or its outcome on the way, the task does not wait forever (an attempt is counted).
 */
const AUDIT_MS = 2_000;
/**
 * A task whose process died while its worker lives (it killed itself, ran out of memory, or something
 * killed it) runs again once at most: unlike a lost worker, the task itself is the likely cause.
 */
const MAX_PROCESS_DEATHS = 2;

interface Entry {
  handle: TaskHandle;
  wire: WireValue;
  worker: WorkerState | null;
  /** Asked back from its worker once already: it is not moved again. */
  withdrawn: boolean;
  /** When its worker said it started (performance.now()). */
  startedAt: number;
  /** When it was last sent to a worker (Date.now()). */
  sentAt: number;
  /** Why earlier attempts failed (a worker lost, a process that died). */
  failures: string[];
}

export class Scheduler {
  #workers = new Map<string, WorkerState>();
  #pending: Entry[] = [];
  #tasks = new Map<string, Entry>();
  #listeners: (() => void)[] = [];
  #auditTimer: NodeJS.Timeout;
  readonly #spread = new Spread();
  readonly #work = new WorkKind(LONG_TASK_MS);
  readonly #spreadOrder = new SpreadOrder<WorkerState>();
  /** Unsettled tasks for a named worker (they may go outside the spread). */
  #targeted = 0;

  /** `maxValueBytes`: the largest result or emit taken from a worker. */
  constructor(
    private readonly network: PeerNetwork,
    private readonly maxValueBytes = DEFAULT_MAX_VALUE_BYTES,
  ) {
    const onPeer = (peer: Peer) => this.#addWorker(peer);
    const onClose = (peer: Peer) => this.#removeWorker(peer.id, 'its connection closed');
    // A result or emit too large to take, dropped as it came: the task fails, saying so.
    const onOversize = (peer: Peer, _name: FrameName, id: string | null, size: number) => {
      const entry = id === null ? undefined : this.#tasks.get(id);
      if (entry && entry.worker?.peer.id === peer.id) this.abort(entry.handle, Tsp2pError.VALUE_TOO_LARGE(size, this.maxValueBytes), 'failed');
    };
    network.on('peer', onPeer);
    network.on('close', onClose);
    network.on('oversize', onOversize);
    this.#listeners.push(
      () => network.off('peer', onPeer),
      () => network.off('close', onClose),
      network.handle(this.#frames),
      () => network.off('oversize', onOversize),
    );
    for (const peer of network.peers) this.#addWorker(peer);
    this.#auditTimer = setInterval(() => this.#audit(), AUDIT_MS);
    this.#auditTimer.unref();
  }

  workers(): WorkerInfo[] {
    return [...this.#workers.values()].map((w) => {
      const relay = this.network.relayedVia(w.peer);
      return { ...w.info, path: relay ? `relayed via ${relay}` : 'direct' };
    });
  }

  #addWorker(peer: Peer): void {
    if (!(peer.hello.roles & ROLE.worker) || this.#workers.has(peer.id)) return;
    // What it runs (tsp2p, Node, platform; who started it), as text fields only: a worker with unreadable
    // versions is still a worker.
    const versions: Record<string, string> = {};
    for (const [name, value] of Object.entries(jsonObject(peer.hello.versions) ?? {})) if (typeof value === 'string') versions[name] = value;
    const info: WorkerInfo = { id: peer.id, user: peer.hello.user, host: peer.hello.host, slots: peer.hello.slots, running: 0, queued: 0, done: 0, failed: 0, cancelled: 0, versions, path: 'direct' };
    const state: WorkerState = { peer, info, inflight: new Set(), others: 0, taskMs: null, tallied: false };
    this.#workers.set(peer.id, state);
    this.#spreadOrder.add(state);
    log.debug(`worker ${info.user}@${info.host} with ${counted(info.slots, 'slot')}`);
    this.#dispatch();
  }

  #removeWorker(id: string, why: string): void {
    const worker = this.#workers.get(id);
    if (!worker) return;
    this.#workers.delete(id);
    this.#spreadOrder.remove(worker);
    const lost = [...worker.inflight].map((t) => this.#tasks.get(t)).filter((e): e is Entry => e !== undefined);
    if (lost.length) log.info(`worker ${worker.info.user}@${worker.info.host} lost (${why}): re-running ${counted(lost.length, 'task')}`);
    for (const entry of lost) this.#retry(entry, `its worker ${worker.info.user}@${worker.info.host} was lost (${why})`);
    this.#dispatch();
  }

  /** An attempt failed through no fault of the task: run it again if its budget allows, first in line. */
  #retry(entry: Entry, why: string): void {
    entry.worker?.inflight.delete(entry.handle.id);
    entry.worker = null;
    entry.failures.push(why);
    const deaths = entry.failures.filter((f) => f.startsWith('its process ')).length;
    if (entry.handle.attempts >= (entry.handle.spec.maxAttempts ?? DEFAULT_ATTEMPTS) || deaths >= MAX_PROCESS_DEATHS) {
      this.#settle(entry, () => entry.handle.reject(Tsp2pError.GAVE_UP(entry.handle.attempts, entry.failures)));
    } else {
      entry.handle.setStatus('queued');
      this.#pending.unshift(entry);
    }
  }

  submit(spec: TaskSpec): TaskHandle {
    const handle = new TaskHandle(nanoid(), spec, (h) => this.abort(h, Tsp2pError.TASK_CANCELLED(), 'cancelled'));
    const entry: Entry = { handle, wire: toWire(spec.globals ?? {}), worker: null, withdrawn: false, startedAt: 0, sentAt: 0, failures: [] };
    this.#tasks.set(handle.id, entry);
    if (spec.worker) this.#targeted += 1;
    this.#pending.push(entry);
    this.#dispatch();
    return handle;
  }

  #matches(worker: WorkerState, wanted: string | undefined): boolean {
    return workerMatches(worker.info, wanted);
  }

  /** In queue order; stops as soon as no worker has room, so a long queue costs nothing per call. */
  #dispatch(): void {
    if (this.#pending.length === 0) this.#rebalance();
    // (An empty queue: the spread is not what sets the pace now.)
    if (this.#pending.length === 0 || this.#workers.size === 0) return this.#spread.observe(false, 0);
    const room = new Map<WorkerState, number>();
    const spread = this.#work.short ? spreadOver(this.#spreadOrder.workers, this.#spread.width) : null;
    let total = 0;
    for (const worker of this.#workers.values()) {
      // Outside the spread, room serves tasks for a named worker only: uncounted when there are none, so
      // that a long queue is not walked in vain.
      const outside = spread !== null && this.#targeted === 0 && !spread.over.has(worker);
      const r = outside ? 0 : Math.max(0, roomAt(worker));
      room.set(worker, r);
      total += r;
    }
    if (total === 0) return this.#spread.observe(spread !== null, spread?.slots ?? 0);
    let kept = 0;
    let at = 0;
    for (; at < this.#pending.length && total > 0; at++) {
      const entry = this.#pending[at] as Entry;
      let best: WorkerState | null = null;
      const wanted = entry.handle.spec.worker;
      for (const [worker, r] of room) {
        if (r > 0 && (wanted ? this.#matches(worker, wanted) : !spread || spread.over.has(worker)) && (!best || r > (room.get(best) as number))) best = worker;
      }
      if (!best) {
        this.#pending[kept++] = entry;
        continue;
      }
      room.set(best, (room.get(best) as number) - 1);
      total -= 1;
      this.#send(entry, best);
    }
    // Keep what could not be placed, then everything not looked at, in order.
    this.#pending.splice(kept, at - kept);
    this.#spread.observe(spread !== null && this.#pending.length > 0, spread?.slots ?? 0);
  }

  /**
   * The tail of a batch of long tasks: a worker with none of ours in flight while another holds one of ours
   * that waits behind a running task. That one is asked back (`withdraw`) to run on the idle worker; if it
   * started meanwhile, the worker says nothing and it finishes there. Short tasks are not worth the trip.
   */
  #rebalance(): void {
    for (const idle of this.#workers.values()) {
      if (idle.inflight.size > 0 || roomAt(idle) <= 0) continue;
      const waiting = this.#waitingBehind(idle);
      if (!waiting) continue;
      waiting.withdrawn = true;
      waiting.worker?.peer.channel.send('withdraw', { id: waiting.handle.id });
    }
  }

  /** Our newest task that is waiting at a worker whose slots are all busy with long work, and could run on `idle`. */
  #waitingBehind(idle: WorkerState): Entry | null {
    const now = performance.now();
    for (const worker of this.#workers.values()) {
      if (worker === idle) continue;
      const ours = [...worker.inflight].map((id) => this.#tasks.get(id)).filter((e): e is Entry => e !== undefined);
      const running = ours.filter((e) => e.handle.status === 'running');
      if (running.length + worker.others < worker.info.slots) continue;
      const long = (worker.taskMs ?? 0) > LONG_TASK_MS || running.some((e) => now - e.startedAt > LONG_TASK_MS);
      if (!long) continue;
      const waiting = ours.filter((e) => e.handle.status === 'sent' && !e.withdrawn && this.#matches(idle, e.handle.spec.worker));
      if (waiting.length > 0) return waiting[waiting.length - 1] as Entry;
    }
    return null;
  }

  /** The worker gave a task back: it goes first in the queue, and its attempt did not count. */
  #withdrawn(worker: WorkerState, entry: Entry): void {
    worker.inflight.delete(entry.handle.id);
    entry.worker = null;
    entry.handle.attempts -= 1;
    entry.handle.setStatus('queued');
    this.#pending.unshift(entry);
    this.#dispatch();
  }

  #send(entry: Entry, worker: WorkerState): void {
    const { handle } = entry;
    handle.attempts += 1;
    entry.worker = worker;
    entry.sentAt = Date.now();
    worker.inflight.add(handle.id);
    handle.worker = { ...worker.info };
    handle.setStatus('sent');
    worker.peer.channel.send('task', { id: handle.id, code: handle.spec.code, json: entry.wire.json, buffers: entry.wire.buffers, timeoutMs: handle.spec.timeoutMs ?? 0, attempt: handle.attempts });
  }

  /** The worker a frame came from, if it is one of ours. */
  #workerOf(peer: Peer): WorkerState | undefined {
    return this.#workers.get(peer.id);
  }

  /**
   * The task a frame is about, if it is ours and still at that worker: frames of a task re-run elsewhere,
   * or already settled, are stale and dropped.
   */
  #taskAt(peer: Peer, id: string): { entry: Entry; worker: WorkerState } | null {
    const worker = this.#workerOf(peer);
    const entry = this.#tasks.get(id);
    return worker && entry && entry.worker === worker ? { entry, worker } : null;
  }

  /** Workers' frames, one handler each (as the kernel's msg_type table). */
  readonly #frames: FrameTable<Peer> = {
    unknown: (peer, frame) => {
      const worker = this.#workerOf(peer);
      if (worker) this.#unknown(worker, frame.ids);
    },
    load: (peer, load) => {
      const worker = this.#workerOf(peer);
      if (!worker) return;
      Object.assign(worker.info, { slots: load.slots, running: load.running, queued: load.queued });
      // An older worker sends no tally: its finished tasks all count as done.
      if (!worker.tallied) worker.info.done = load.done;
      // Frames are ordered: what the worker counted that is not ours in flight now belongs to other clients.
      // (Computed here, once: as our tasks finish, the count must not keep standing in for them.)
      worker.others = Math.max(0, load.running + load.queued - worker.inflight.size);
      this.#dispatch();
    },
    tally: (peer, { done, failed, cancelled }) => {
      const worker = this.#workerOf(peer);
      if (!worker) return;
      Object.assign(worker.info, { done, failed, cancelled });
      worker.tallied = true;
    },
    started: (peer, frame) => {
      const at = this.#taskAt(peer, frame.id);
      if (!at) return;
      at.entry.startedAt = performance.now();
      at.entry.handle.setStatus('running');
      at.entry.handle.emit('started', { ...at.worker.info });
    },
    stream: (peer, frame) => this.#taskAt(peer, frame.id)?.entry.handle.emit('stream', frame.name === 'stderr' ? 'stderr' : 'stdout', frame.text),
    display: (peer, frame) => {
      const at = this.#taskAt(peer, frame.id);
      if (!at) return;
      const event = parseDisplayEvent(frame.json);
      if (event) at.entry.handle.emit('display', event);
      else log.warn('dropped an unreadable display frame');
    },
    emit: (peer, frame) => {
      const at = this.#taskAt(peer, frame.id);
      if (!at) return;
      let data: unknown;
      try {
        data = fromWire(frame, this.maxValueBytes);
      } catch (err) {
        // Nothing the task emits may cost more than a result may: it ends, saying why.
        this.abort(at.entry.handle, err instanceof Error ? err : new Error(String(err)), 'failed');
        return;
      }
      at.entry.handle.emit('emit', data);
    },
    result: (peer, frame) => {
      const at = this.#taskAt(peer, frame.id);
      if (!at) return;
      const { entry, worker } = at;
      const { handle } = entry;
      handle.ms = frame.ms;
      worker.taskMs = worker.taskMs === null ? frame.ms : 0.7 * worker.taskMs + 0.3 * frame.ms;
      this.#spread.finished();
      this.#work.ran(frame.ms);
      this.#settle(entry, () => {
        try {
          handle.resolve(fromWire(frame, this.maxValueBytes));
        } catch (err) {
          handle.reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    },
    withdrawn: (peer, frame) => {
      const at = this.#taskAt(peer, frame.id);
      if (at) this.#withdrawn(at.worker, at.entry);
    },
    lost: (peer, frame) => {
      const at = this.#taskAt(peer, frame.id);
      if (!at) return;
      this.#retry(at.entry, `its process ${frame.reason}`);
      this.#dispatch();
    },
    error: (peer, frame) => {
      const at = this.#taskAt(peer, frame.id);
      if (!at) return;
      const { entry } = at;
      const { handle } = entry;
      const remote = RemoteError.fromJson(frame.json);
      this.#spread.finished();
      // What the worker did to the task is ours to say, in our own words and codes; the task's errors are data.
      if (remote.workerCode === 'TASK_CANCELLED') this.#settle(entry, () => handle.reject(Tsp2pError.TASK_CANCELLED(), 'cancelled'));
      else if (remote.workerCode === 'TASK_TIMEOUT') this.#settle(entry, () => handle.reject(Tsp2pError.TASK_TIMEOUT(handle.spec.timeoutMs ?? 0, remote.worker)));
      else this.#settle(entry, () => handle.reject(remote, remote.ename === 'CancelledError' ? 'cancelled' : 'failed'));
    },
  };

  /** Asks each worker holding tasks of ours sent a while ago whether it still holds them. */
  #audit(): void {
    const before = Date.now() - AUDIT_MS;
    for (const worker of this.#workers.values()) {
      const ids = [...worker.inflight].filter((id) => (this.#tasks.get(id)?.sentAt ?? Infinity) < before);
      if (ids.length) worker.peer.channel.send('inflight', { ids: ids.slice(0, 1_000) });
    }
  }

  #unknown(worker: WorkerState, ids: string[]): void {
    for (const id of ids) {
      const entry = this.#tasks.get(id);
      if (!entry || entry.worker !== worker) continue;
      log.info(`worker ${worker.info.user}@${worker.info.host} does not hold task ${id.slice(0, 8)} (it or its outcome went missing): running it again`);
      this.#retry(entry, `its worker ${worker.info.user}@${worker.info.host} lost track of it`);
    }
    this.#dispatch();
  }

  #settle(entry: Entry, settle: () => void): void {
    entry.worker?.inflight.delete(entry.handle.id);
    entry.worker = null;
    if (this.#tasks.delete(entry.handle.id) && entry.handle.spec.worker) this.#targeted -= 1;
    settle();
    this.#dispatch();
  }

  /** Ends a task with `error`: dropped from the queue, or cancelled at its worker (which kills its slot). */
  abort(handle: TaskHandle, error: Error, status: 'cancelled' | 'failed'): void {
    const entry = this.#tasks.get(handle.id);
    if (!entry) return;
    const at = this.#pending.indexOf(entry);
    if (at >= 0) this.#pending.splice(at, 1);
    entry.worker?.peer.channel.send('cancel', { id: handle.id });
    this.#settle(entry, () => handle.reject(error, status));
  }

  get pending(): number {
    return this.#pending.length;
  }

  close(): void {
    clearInterval(this.#auditTimer);
    for (const off of this.#listeners) off();
    for (const entry of [...this.#tasks.values()]) this.#settle(entry, () => entry.handle.reject(Tsp2pError.CLOSED('the cluster connection'), 'cancelled'));
  }
}

