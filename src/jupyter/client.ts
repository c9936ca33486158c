/**
 * A small Jupyter client over the same wire code the kernel uses: what the tests, the benchmarks, the
 * headless notebook runner and the demo drive kernels with. Replies and iopub messages are routed to the
 * request they answer by parent msg_id.
 */
import { randomUUID } from 'node:crypto';
import * as zmq from 'zeromq';
import { Tsp2pError } from '../errors.js';
import { createLogger } from '../log.js';
import { endpoint, type ConnectionInfo } from './connection.js';
import { newHeader, type Channel, type JsonObject, type Message } from './messages.js';
import { parse, serialize, Signer } from './wire.js';

const log = createLogger('client');

export interface ExecuteResult {
  reply: Message;
  /** The iopub messages of the request, in order, except status and execute_input. */
  outputs: Message[];
}

export interface ExecuteOptions {
  silent?: boolean;
  storeHistory?: boolean;
  userExpressions?: Record<string, string>;
  stopOnError?: boolean;
  allowStdin?: boolean;
  /** Called for each output as it arrives (streams, displays, results, errors). */
  onOutput?: (msg: Message) => void;
  /** Answers input_request on stdin. */
  onInput?: (prompt: string, password: boolean) => string | Promise<string>;
  timeoutMs?: number;
  /** Resolve on the reply alone, without waiting for the idle status (which a new subscriber may miss). */
  replyOnly?: boolean;
}

interface Pending {
  reply?: Message;
  idle: boolean;
  replyOnly: boolean;
  outputs: Message[];
  onOutput?: ((msg: Message) => void) | undefined;
  onInput?: ((prompt: string, password: boolean) => string | Promise<string>) | undefined;
  done: () => void;
}

export class KernelClient {
  readonly session = randomUUID();
  readonly #signer: Signer;
  readonly #shell = new zmq.Dealer();
  readonly #control = new zmq.Dealer();
  readonly #stdin = new zmq.Dealer();
  readonly #iopub = new zmq.Subscriber();
  readonly #pending = new Map<string, Pending>();
  readonly #sending = new Map<zmq.Dealer, Promise<void>>();
  #closed = false;

  constructor(readonly connection: ConnectionInfo) {
    this.#signer = new Signer(connection.signature_scheme, connection.key);
    // A routing id shared by shell and stdin lets the kernel address input_request to us.
    const identity = Buffer.from(this.session);
    this.#shell.routingId = identity.toString();
    this.#stdin.routingId = identity.toString();
    this.#shell.connect(endpoint(connection, 'shell'));
    this.#control.connect(endpoint(connection, 'control'));
    this.#stdin.connect(endpoint(connection, 'stdin'));
    this.#iopub.connect(endpoint(connection, 'iopub'));
    this.#iopub.subscribe();
    for (const [channel, socket] of [['shell', this.#shell], ['control', this.#control], ['stdin', this.#stdin], ['iopub', this.#iopub]] as const) {
      void this.#receive(channel, socket);
    }
  }

  async #receive(channel: Channel, socket: zmq.Dealer | zmq.Subscriber): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: Message;
        try {
          msg = parse(frames, this.#signer);
        } catch (err) {
          log.warn(`${channel}: dropped a message: ${String(err)}`);
          continue;
        }
        this.#route(channel, msg);
      }
    } catch (err) {
      if (!this.#closed) log.error(`${channel} receive loop ended: ${String(err)}`);
    }
  }

  #route(channel: Channel, msg: Message): void {
    log.debug(`${channel} <- ${msg.header.msg_type} (parent ${(msg.parent_header as { msg_id?: string }).msg_id})`);
    const parentId = (msg.parent_header as { msg_id?: string }).msg_id;
    const pending = parentId ? this.#pending.get(parentId) : undefined;
    if (!pending) return;
    if (channel === 'iopub') {
      const type = msg.header.msg_type;
      if (type === 'status') {
        if ((msg.content as { execution_state?: string }).execution_state === 'idle') pending.idle = true;
      } else if (type !== 'execute_input') {
        pending.outputs.push(msg);
        pending.onOutput?.(msg);
      }
    } else if (channel === 'stdin') {
      if (msg.header.msg_type === 'input_request') void this.#answerInput(msg, pending);
      return;
    } else {
      pending.reply = msg;
    }
    if (pending.reply && (pending.idle || pending.replyOnly)) pending.done();
  }

  async #answerInput(request: Message, pending: Pending): Promise<void> {
    const { prompt, password } = request.content as { prompt: string; password: boolean };
    const value = pending.onInput ? await pending.onInput(prompt, password) : '';
    await this.#send(this.#stdin, this.#message('input_reply', { value }, request));
  }

  #message(msgType: string, content: JsonObject, parent?: Message): Message<JsonObject> {
    return { ids: [], header: newHeader(msgType, this.session, 'tsp2p-client'), parent_header: parent?.header ?? {}, metadata: {}, content, buffers: [] };
  }

  /** zeromq.js allows one send in flight per socket. */
  #send(socket: zmq.Dealer, msg: Message<unknown>): Promise<void> {
    const previous = this.#sending.get(socket) ?? Promise.resolve();
    const next = previous.then(() => socket.send(serialize(msg, this.#signer)));
    this.#sending.set(socket, next.catch(() => {}));
    return next;
  }

  /** Sends a request and resolves when both its reply and its idle status arrived. */
  async request(channel: 'shell' | 'control', msgType: string, content: JsonObject, options: Omit<ExecuteOptions, 'silent' | 'storeHistory' | 'userExpressions' | 'stopOnError' | 'allowStdin'> = {}): Promise<ExecuteResult> {
    if (this.#closed) throw Tsp2pError.CLOSED('the kernel client');
    const msg = this.#message(msgType, content);
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise<ExecuteResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(msg.header.msg_id);
        reject(Tsp2pError.TIMEOUT(`a reply to ${msgType}`, timeoutMs));
      }, timeoutMs);
      const pending: Pending = {
        idle: false,
        replyOnly: options.replyOnly === true,
        outputs: [],
        onOutput: options.onOutput,
        onInput: options.onInput,
        done: () => {
          clearTimeout(timer);
          this.#pending.delete(msg.header.msg_id);
          resolve({ reply: pending.reply as Message, outputs: pending.outputs });
        },
      };
      this.#pending.set(msg.header.msg_id, pending);
      this.#send(channel === 'shell' ? this.#shell : this.#control, msg).catch((err: unknown) => {
        clearTimeout(timer);
        this.#pending.delete(msg.header.msg_id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    return this.request(
      'shell',
      'execute_request',
      {
        code,
        silent: options.silent ?? false,
        store_history: options.storeHistory ?? true,
        user_expressions: options.userExpressions ?? {},
        allow_stdin: options.allowStdin ?? options.onInput !== undefined,
        stop_on_error: options.stopOnError ?? true,
      },
      options,
    );
  }

  kernelInfo(timeoutMs = 10_000, replyOnly = false): Promise<ExecuteResult> {
    return this.request('shell', 'kernel_info_request', {}, { timeoutMs, replyOnly });
  }

  /**
   * Waits until a kernel_info round trip completes on both shell and iopub. A SUB socket misses what was
   * published before it connected, so keep asking (as jupyter_client does) until the idle status arrives.
   */
  async waitForReady(timeoutMs = 30_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw Tsp2pError.TIMEOUT('kernel start-up', timeoutMs);
      try {
        return (await this.kernelInfo(Math.min(left, 1_000))).reply;
      } catch (err) {
        if ((err as Tsp2pError).code !== 'TIMEOUT') throw err;
      }
    }
  }

  interrupt(): Promise<ExecuteResult> {
    return this.request('control', 'interrupt_request', {});
  }

  shutdown(restart = false): Promise<ExecuteResult> {
    return this.request('control', 'shutdown_request', { restart }, { timeoutMs: 10_000 });
  }

  /** Sends raw frames on shell, e.g. a deliberately forged message in tests. */
  sendRawShell(frames: Buffer[]): Promise<void> {
    return this.#shell.send(frames);
  }

  /** Builds signed frames for a message, to be tampered with. */
  frames(msgType: string, content: JsonObject): { frames: Buffer[]; msgId: string } {
    const msg = this.#message(msgType, content);
    return { frames: serialize(msg, this.#signer), msgId: msg.header.msg_id };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of [this.#shell, this.#control, this.#stdin, this.#iopub]) {
      socket.linger = 0;
      socket.close();
    }
  }
}
