/**
 * The kernel's IO thread: it owns every ZeroMQ socket, signs and verifies, and talks to the main thread
 * through postMessage. Living apart from the main thread is what keeps the heartbeat answering, an
 * interrupt_request working and stdout streaming while a cell blocks the main thread in `while (true) {}`.
 *
 * Interrupt: the request is answered here and turned into SIGINT to our own process. That breaks a
 * synchronous script (vm `breakOnSigint`) or, when no script runs, reaches the main thread's SIGINT
 * handler (pending promises, remote tasks). A SIGINT from the client itself takes the same path.
 * Code that blocks after an `await` runs outside vm's reach; if the main thread still does not answer a
 * ping a second later while a cell runs, the inspector's Runtime.terminateExecution stops that code.
 * (It is never sent to an idle main thread: there it would kill whatever JavaScript ran next.)
 */
import { Session } from 'node:inspector';
import { parentPort, workerData } from 'node:worker_threads';
import * as zmq from 'zeromq';
import { endpoint, type ConnectionInfo } from './connection.js';
import { newHeader, replyTypeOf, type Channel, type Header, type JsonObject, type Message } from './messages.js';
import { parse, serialize, Signer } from './wire.js';
import { createLogger } from '../log.js';
import { EXECUTING, type FromIo, type ToIo, type WireOutgoing } from './io-protocol.js';
import type { StaticReplies } from './static-replies.js';

const log = createLogger('io');
const port = parentPort;
if (!port) throw new Error('io-thread.ts must run as a worker thread');
const { connection, session, state, replies } = workerData as { connection: ConnectionInfo; session: string; state: Int32Array; replies: StaticReplies };
const staticContent = new Map<string, JsonObject>(Object.entries(replies));
const signer = new Signer(connection.signature_scheme, connection.key);

/** zeromq.js allows one send in flight per socket: queue the rest, in order. */
class SendQueue {
  #tail: Promise<void> = Promise.resolve();
  constructor(readonly socket: zmq.Writable) {}
  send(frames: Buffer[]): void {
    this.#tail = this.#tail.then(() => this.socket.send(frames)).catch((err: unknown) => log.warn(`send failed: ${String(err)}`));
  }
  drained(): Promise<void> {
    return this.#tail;
  }
}

const shell = new zmq.Router();
const control = new zmq.Router();
const stdin = new zmq.Router();
// XPUB, to see each client subscribe (greeted below); every subscription, duplicates too.
const iopub = new zmq.XPublisher();
iopub.verbosity = 'allSubs';
const hb = new zmq.Reply();
const queues: Record<Channel, SendQueue> = {
  shell: new SendQueue(shell),
  control: new SendQueue(control),
  stdin: new SendQueue(stdin),
  iopub: new SendQueue(iopub),
};

function post(message: FromIo): void {
  port!.postMessage(message);
}

function sendNow(out: WireOutgoing): void {
  const msg: Message<unknown> = {
    ids: out.channel === 'iopub' ? [Buffer.from(`kernel.${session}.${out.msgType}`)] : (out.ids ?? []).map((id) => Buffer.from(id)),
    header: newHeader(out.msgType, session),
    parent_header: out.parentHeader ?? {},
    metadata: out.metadata ?? {},
    content: out.content,
    buffers: (out.buffers ?? []).map((b) => Buffer.from(b)),
  };
  queues[out.channel].send(serialize(msg, signer));
}

/**
 * Stream text is coalesced: consecutive writes to the same stream under the same parent become one message
 * once 5 ms pass or any other message needs to go out (so ordering and the final flush are exact).
 */
let pendingStream: { parentHeader: Header | JsonObject; name: string; text: string } | null = null;
let streamTimer: NodeJS.Timeout | null = null;
function flushStream(): void {
  if (streamTimer) clearTimeout(streamTimer);
  streamTimer = null;
  if (!pendingStream) return;
  const { parentHeader, name, text } = pendingStream;
  pendingStream = null;
  sendNow({ channel: 'iopub', msgType: 'stream', content: { name, text }, parentHeader });
}

function send(out: WireOutgoing): void {
  if (out.channel === 'iopub' && out.msgType === 'stream') {
    const { name, text } = out.content as { name: string; text: string };
    const parent = out.parentHeader ?? {};
    if (pendingStream && pendingStream.name === name && pendingStream.parentHeader.msg_id === parent.msg_id) {
      pendingStream.text += text;
    } else {
      flushStream();
      pendingStream = { parentHeader: parent, name, text };
    }
    if (pendingStream.text.length > 64 * 1024) flushStream();
    else streamTimer ??= setTimeout(flushStream, 5);
    return;
  }
  flushStream();
  sendNow(out);
}

const ESCALATE_AFTER_MS = 1000;
let nextPing = 0;
const pongs = new Map<number, () => void>();
let inspector: Session | null = null;

/** True when the main thread answered within `ms`. */
function mainThreadAnswers(ms: number): Promise<boolean> {
  const id = nextPing++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pongs.delete(id);
      resolve(false);
    }, ms);
    pongs.set(id, () => {
      clearTimeout(timer);
      resolve(true);
    });
    post({ kind: 'ping', id });
  });
}

async function escalate(): Promise<void> {
  if (Atomics.load(state, EXECUTING) !== 1) return;
  if (await mainThreadAnswers(ESCALATE_AFTER_MS)) return;
  if (Atomics.load(state, EXECUTING) !== 1) return;
  log.warn('the cell did not stop on SIGINT: terminating its JavaScript execution');
  if (!inspector) {
    inspector = new Session();
    inspector.connectToMainThread();
  }
  inspector.post('Runtime.terminateExecution');
}

function interrupt(request: Message): void {
  const parentHeader = request.header;
  send({ channel: 'iopub', msgType: 'status', content: { execution_state: 'busy' }, parentHeader });
  process.kill(process.pid, 'SIGINT');
  send({ channel: 'control', msgType: 'interrupt_reply', content: { status: 'ok' }, parentHeader, ids: request.ids });
  send({ channel: 'iopub', msgType: 'status', content: { execution_state: 'idle' }, parentHeader });
  escalate().catch((err: unknown) => log.error(`interrupt escalation failed: ${String(err)}`));
}

/**
 * kernel_info (and comm_info) are answered here while no cell runs: their content never changes, and a
 * client that asks (Jupyter's wait_for_ready asks until iopub answers too) is not kept waiting behind the
 * main thread. While a cell runs they go to the main thread and wait their turn, as in ipykernel: a status
 * of idle for them would tell the notebook the kernel is idle while the cell still runs.
 */
function staticReply(request: Message, channel: Channel, content: JsonObject): void {
  const parentHeader = request.header;
  send({ channel: 'iopub', msgType: 'status', content: { execution_state: 'busy' }, parentHeader });
  send({ channel, msgType: replyTypeOf(request.header.msg_type), content, parentHeader, ids: request.ids });
  send({ channel: 'iopub', msgType: 'status', content: { execution_state: 'idle' }, parentHeader });
}

/**
 * A client that subscribes to iopub is told the kernel's state at once. What a SUB socket misses while it
 * connects is lost (ZeroMQ's slow joiner), and Jupyter's wait_for_ready takes no reply to kernel_info as
 * ready until some iopub message follows it within 0.2 s: the busy/idle around the first reply was often
 * missed, and start_new_kernel asked again (0.2 s more). ipykernel's XPUB welcome (JEP 65) answers the same
 * need; a status message is understood by every client.
 */
async function greetSubscribers(): Promise<void> {
  for await (const [frame] of iopub) {
    if (frame?.[0] !== 1) continue;
    log.debug('iopub: a client subscribed');
    send({ channel: 'iopub', msgType: 'status', content: { execution_state: Atomics.load(state, EXECUTING) === 1 ? 'busy' : 'idle' } });
  }
}

/** A bad message is logged and dropped: it never ends the loop. */
async function receiveLoop(channel: Exclude<Channel, 'iopub'>, socket: zmq.Router): Promise<void> {
  for await (const frames of socket) {
    let msg: Message;
    try {
      msg = parse(frames, signer);
    } catch (err) {
      log.warn(`${channel}: dropped a message: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (channel === 'control' && msg.header.msg_type === 'interrupt_request') interrupt(msg);
    else {
      const content = channel === 'stdin' ? undefined : staticContent.get(msg.header.msg_type);
      log.debug(`${channel}: ${msg.header.msg_type} came`);
      if (content && Atomics.load(state, EXECUTING) !== 1) staticReply(msg, channel, content);
      else post({ kind: 'message', channel, msg });
    }
  }
}

async function heartbeat(): Promise<void> {
  for await (const frames of hb) await hb.send(frames);
}

port.on('message', (message: ToIo) => {
  switch (message.kind) {
    case 'send':
      for (const out of message.out) send(out);
      break;
    case 'barrier':
      flushStream();
      post({ kind: 'barrier', id: message.id });
      break;
    case 'pong':
      pongs.get(message.id)?.();
      pongs.delete(message.id);
      break;
    case 'close':
      flushStream();
      // Queued sends leave first; linger gives ZeroMQ a moment to put them on the wire.
      // (A send that never completes must not keep the kernel from exiting: a second at most.)
      void Promise.race([Promise.all(Object.values(queues).map((q) => q.drained())), new Promise((resolve) => setTimeout(resolve, 1_000))]).then(() => {
        for (const socket of [shell, control, stdin, iopub, hb]) {
          socket.linger = 1000;
          socket.close();
        }
        post({ kind: 'closed' });
      });
      break;
  }
});

await Promise.all([
  shell.bind(endpoint(connection, 'shell')),
  control.bind(endpoint(connection, 'control')),
  stdin.bind(endpoint(connection, 'stdin')),
  iopub.bind(endpoint(connection, 'iopub')),
  hb.bind(endpoint(connection, 'hb')),
]);
log.debug('sockets bound');
post({ kind: 'ready' });
for (const [channel, socket] of [['shell', shell], ['control', control], ['stdin', stdin]] as const) {
  receiveLoop(channel, socket).catch((err: unknown) => {
    if (!socket.closed) log.error(`${channel} loop ended: ${String(err)}`);
  });
}
heartbeat().catch((err: unknown) => {
  if (!hb.closed) log.error(`heartbeat ended: ${String(err)}`);
});
greetSubscribers().catch((err: unknown) => {
  if (!iopub.closed) log.error(`iopub subscriptions ended: ${String(err)}`);
});
