/**
 * The narrow interface between the kernel logic and the wire (tslab keeps the same split): the kernel
 * receives parsed, verified messages and sends Outgoing ones. `IoThreadTransport` runs the wire in a worker
 * thread (see io-thread.ts for why).
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { ConnectionInfo } from './connection.js';
import type { Channel, Message, Outgoing } from './messages.js';
import type { StaticReplies } from './static-replies.js';
import { EXECUTING, type FromIo, type ToIo, type WireOutgoing } from './io-protocol.js';

/** Output a blocking cell may produce: it must leave at once, or it would wait for the cell to end. */
/** How long close() waits for the IO thread to send what is queued and close its sockets (linger 1 s). */
const CLOSE_WAIT_MS = 3_000;
const URGENT = new Set(['stream', 'display_data', 'update_display_data', 'clear_output', 'error']);

export type IncomingHandler = (channel: Exclude<Channel, 'iopub'>, msg: Message) => void;

export interface KernelTransport {
  readonly session: string;
  onMessage(handler: IncomingHandler): void;
  send(out: Outgoing): void;
  /** Resolves once every message received before the call has been delivered to the handler. */
  barrier(): Promise<void>;
  /** Tells the wire side a cell is running, so an unanswered interrupt may be escalated. */
  setExecuting(executing: boolean): void;
  /** Hands everything sent so far to the wire now (before code that may block the thread runs). */
  flush(): void;
  close(): Promise<void>;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class IoThreadTransport implements KernelTransport {
  readonly session: string;
  readonly #worker: Worker;
  readonly #state: Int32Array;
  #handler: IncomingHandler | null = null;
  /**
   * Messages that came before a handler was set: the sockets are bound (and requests answered by the IO
   * thread) while the rest of the kernel still loads (kernel-prestart.ts); they wait for it, in order.
   */
  #early: Array<Parameters<IncomingHandler>> = [];
  #barriers = new Map<number, () => void>();
  #nextBarrier = 0;
  #closed: Promise<void> | null = null;
  /** Messages wait here until the current turn of the event loop ends: one postMessage carries them all. */
  #batch: WireOutgoing[] = [];

  private constructor(worker: Worker, session: string, state: Int32Array) {
    this.#worker = worker;
    this.session = session;
    this.#state = state;
  }

  /** `replies`: static reply contents by request type (static-replies.ts), answered by the IO thread itself while no cell runs. */
  static async start(connection: ConnectionInfo, replies: StaticReplies): Promise<IoThreadTransport> {
    const session = randomUUID();
    const state = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL('./io-thread.js', import.meta.url), {
      workerData: { connection, session, state, replies },
      // The IO thread must not write through the main thread's (captured) stdout/stderr.
      stdout: false,
      stderr: false,
    });
    const transport = new IoThreadTransport(worker, session, state);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      worker.once('error', onError);
      worker.on('message', (m: FromIo) => {
        if (m.kind === 'ready') {
          worker.off('error', onError);
          resolve();
        } else transport.#receive(m);
      });
    });
    // The referenced IO thread keeps the process alive; the kernel exits through close() then process.exit.
    return transport;
  }

  #receive(m: FromIo): void {
    if (m.kind === 'message') {
      const msg = m.msg;
      msg.ids = msg.ids.map(toBuffer);
      msg.buffers = msg.buffers.map(toBuffer);
      if (this.#handler) this.#handler(m.channel, msg);
      else this.#early.push([m.channel, msg]);
    } else if (m.kind === 'barrier') {
      this.#barriers.get(m.id)?.();
      this.#barriers.delete(m.id);
    } else if (m.kind === 'ping') {
      this.#worker.postMessage({ kind: 'pong', id: m.id } satisfies ToIo);
    }
  }

  setExecuting(executing: boolean): void {
    Atomics.store(this.#state, EXECUTING, executing ? 1 : 0);
  }

  onMessage(handler: IncomingHandler): void {
    this.#handler = handler;
    const early = this.#early;
    this.#early = [];
    for (const [channel, msg] of early) handler(channel, msg);
  }

  send(out: Outgoing): void {
    this.#batch.push({
      channel: out.channel,
      msgType: out.msgType,
      content: out.content,
      parentHeader: out.parent?.header,
      ids: out.channel === 'iopub' ? undefined : out.parent?.ids,
      metadata: out.metadata,
      buffers: out.buffers,
    });
    if (URGENT.has(out.msgType)) this.flush();
    else if (this.#batch.length === 1) setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.#batch.length === 0) return;
    const out = this.#batch;
    this.#batch = [];
    this.#worker.postMessage({ kind: 'send', out } satisfies ToIo);
  }

  barrier(): Promise<void> {
    this.flush();
    const id = this.#nextBarrier++;
    return new Promise((resolve) => {
      this.#barriers.set(id, resolve);
      this.#worker.postMessage({ kind: 'barrier', id } satisfies ToIo);
    });
  }

  /**
   * Sends what is queued, closes the sockets (each lingers up to a second for its peer) and ends the
   * thread. Bounded: a thread that has not said it closed within CLOSE_WAIT_MS is ended as it stands.
   */
  close(): Promise<void> {
    this.flush();
    this.#closed ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        void this.#worker.terminate().then(() => resolve());
      };
      const timer = setTimeout(done, CLOSE_WAIT_MS);
      this.#worker.on('message', (m: FromIo) => m.kind === 'closed' && done());
      this.#worker.once('exit', () => resolve());
      this.#worker.postMessage({ kind: 'close' } satisfies ToIo);
    });
    return this.#closed;
  }
}
