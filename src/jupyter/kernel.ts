/**
 * The kernel logic: one table of handlers keyed by msg_type (as ipykernel builds its shell_handlers), each
 * wrapped in busy/idle on iopub. Shell requests run one at a time, in order; control requests do not wait
 * behind them. A handler that throws is logged and answered with an error reply: it never ends a loop.
 */
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import type { ExecuteOutcome, Executor } from './executor.js';
import { staticReplies, type StaticReplies } from './static-replies.js';
import { KernelOutput, type InputBroker } from './kernel-output.js';
import { replyTo, type Channel, type JsonObject, type Message } from './messages.js';
import type { KernelTransport } from './transport.js';

const log = createLogger('kernel');

type RequestChannel = Exclude<Channel, 'iopub'>;
type Handler = (msg: Message, channel: RequestChannel) => Promise<void>;

export interface KernelOptions {
  /** Called after a shutdown_request is answered; the process entry point decides how to exit. */
  onShutdown?: (restart: boolean) => void;
}

interface HistoryEntry {
  line: number;
  input: string;
}

export class Kernel {
  #executionCount = 0;
  #shellQueue: Message[] = [];
  #shellBusy = false;
  /** execute_requests queued behind a failed cell (stop_on_error): answered 'aborted', not run. */
  #toAbort = new WeakSet<Message>();
  #history: HistoryEntry[] = [];
  #pendingInput: { resolve: (value: string) => void; reject: (err: Error) => void } | null = null;
  readonly #handlers: Record<string, Handler>;
  /** Answered by the IO thread too while no cell runs (static-replies.ts). */
  readonly #static: StaticReplies;

  constructor(
    private readonly transport: KernelTransport,
    private readonly executor: Executor,
    private readonly options: KernelOptions = {},
  ) {
    this.#static = staticReplies(executor);
    this.#handlers = {
      kernel_info_request: async (msg, ch) => this.#reply(msg, ch, this.#static.kernel_info_request),
      execute_request: (msg, ch) => this.#execute(msg, ch),
      complete_request: (msg, ch) => this.#complete(msg, ch),
      inspect_request: (msg, ch) => this.#inspect(msg, ch),
      is_complete_request: (msg, ch) => this.#isComplete(msg, ch),
      history_request: (msg, ch) => this.#historyReply(msg, ch),
      comm_info_request: async (msg, ch) => this.#reply(msg, ch, this.#static.comm_info_request),
      shutdown_request: (msg, ch) => this.#shutdown(msg, ch),
      // Normally answered by the IO thread; a client may also send it on shell.
      interrupt_request: async (msg, ch) => {
        this.executor.interrupt();
        this.#reply(msg, ch, { status: 'ok' });
      },
      // No comm targets are registered: close any comm a client opens so it does not wait for one.
      comm_open: async (msg) => {
        const commId = (msg.content as { comm_id?: string }).comm_id;
        this.transport.send({ channel: 'iopub', msgType: 'comm_close', content: { comm_id: commId, data: {} }, parent: msg });
      },
      comm_msg: async () => {},
      comm_close: async () => {},
    };
    transport.onMessage((channel, msg) => this.#receive(channel, msg));
  }

  get executionCount(): number {
    return this.#executionCount;
  }

  #receive(channel: RequestChannel, msg: Message): void {
    if (channel === 'stdin') return this.#stdin(msg);
    if (channel === 'control') {
      void this.#dispatch(msg, channel);
      return;
    }
    this.#shellQueue.push(msg);
    if (!this.#shellBusy) void this.#drainShell();
  }

  async #drainShell(): Promise<void> {
    this.#shellBusy = true;
    try {
      for (let msg = this.#shellQueue.shift(); msg; msg = this.#shellQueue.shift()) await this.#dispatch(msg, 'shell');
    } finally {
      this.#shellBusy = false;
    }
  }

  async #dispatch(msg: Message, channel: RequestChannel): Promise<void> {
    const type = msg.header.msg_type;
    const handler = this.#handlers[type];
    log.debug(`${channel}: ${type} handled from here`);
    this.#status(msg, 'busy');
    try {
      if (!handler) log.warn(`${channel}: ignored a message of unknown type ${type}`);
      else await handler(msg, channel);
    } catch (err) {
      log.error(`${type} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (type.endsWith('_request')) this.#reply(msg, channel, { status: 'error', ename: 'KernelError', evalue: messageOf(err), traceback: [] });
    } finally {
      this.#status(msg, 'idle');
      log.debug(`${channel}: ${type} done`);
    }
  }

  #status(parent: Message, state: 'busy' | 'idle' | 'starting'): void {
    this.transport.send({ channel: 'iopub', msgType: 'status', content: { execution_state: state }, parent });
  }

  #reply(request: Message, channel: RequestChannel, content: JsonObject): void {
    this.transport.send(replyTo(request, channel, content));
  }

  async #execute(msg: Message, channel: RequestChannel): Promise<void> {
    const c = msg.content as { code?: unknown; silent?: boolean; store_history?: boolean; user_expressions?: Record<string, string>; allow_stdin?: boolean; stop_on_error?: boolean };
    if (this.#toAbort.has(msg)) {
      this.#reply(msg, channel, { status: 'aborted', execution_count: this.#executionCount });
      return;
    }
    const code = typeof c.code === 'string' ? c.code : '';
    const silent = c.silent === true;
    const storeHistory = silent ? false : c.store_history !== false;
    if (storeHistory) {
      this.#executionCount += 1;
      this.#history.push({ line: this.#executionCount, input: code });
    }
    const count = this.#executionCount;
    if (!silent) this.transport.send({ channel: 'iopub', msgType: 'execute_input', content: { code, execution_count: count }, parent: msg });
    const output = new KernelOutput((out) => this.transport.send(out), msg, count, { silent, allowStdin: c.allow_stdin === true, input: this.#inputBroker });
    let outcome: ExecuteOutcome;
    this.transport.setExecuting(true);
    // busy and execute_input leave before the cell can block this thread.
    this.transport.flush();
    try {
      outcome = await this.executor.execute(
        { code, silent, storeHistory, userExpressions: c.user_expressions ?? {}, allowStdin: c.allow_stdin === true, stopOnError: c.stop_on_error !== false, executionCount: count },
        output,
      );
    } catch (err) {
      // The executor reports user errors itself; reaching here is a bug in it, shown rather than hidden.
      outcome = { status: 'error', ename: 'InternalError', evalue: messageOf(err), traceback: [err instanceof Error ? (err.stack ?? err.message) : String(err)] };
      output.error(outcome);
    } finally {
      this.transport.setExecuting(false);
    }
    if (outcome.status === 'ok') {
      this.#reply(msg, channel, { status: 'ok', execution_count: count, user_expressions: outcome.userExpressions, payload: [] });
      return;
    }
    const { ename, evalue, traceback } = outcome;
    this.#reply(msg, channel, { status: 'error', execution_count: count, ename, evalue, traceback });
    if (c.stop_on_error !== false) await this.#abortQueuedExecutes();
  }

  /** Marks the execute_requests that arrived before this point (a "run all" after a failing cell). */
  async #abortQueuedExecutes(): Promise<void> {
    await this.transport.barrier();
    for (const msg of this.#shellQueue) this.#toAbort.add(msg);
  }

  async #complete(msg: Message, channel: RequestChannel): Promise<void> {
    const { code, cursor_pos } = msg.content as { code: string; cursor_pos: number };
    const r = await this.executor.complete(String(code ?? ''), Number(cursor_pos ?? 0));
    this.#reply(msg, channel, { status: 'ok', matches: r.matches, cursor_start: r.cursorStart, cursor_end: r.cursorEnd, metadata: r.metadata });
  }

  async #inspect(msg: Message, channel: RequestChannel): Promise<void> {
    const { code, cursor_pos, detail_level } = msg.content as { code: string; cursor_pos: number; detail_level?: number };
    const r = await this.executor.inspect(String(code ?? ''), Number(cursor_pos ?? 0), Number(detail_level ?? 0));
    this.#reply(msg, channel, { status: 'ok', found: r.found, data: r.data, metadata: r.metadata });
  }

  async #isComplete(msg: Message, channel: RequestChannel): Promise<void> {
    const { code } = msg.content as { code: string };
    this.#reply(msg, channel, { ...(await this.executor.isComplete(String(code ?? ''))) });
  }

  async #historyReply(msg: Message, channel: RequestChannel): Promise<void> {
    const c = msg.content as { hist_access_type?: string; n?: number; start?: number; stop?: number; pattern?: string; output?: boolean };
    let entries = this.#history;
    if (c.hist_access_type === 'tail') entries = entries.slice(-Math.max(0, c.n ?? 10));
    else if (c.hist_access_type === 'range') entries = entries.filter((e) => e.line >= (c.start ?? 0) && (c.stop === undefined || c.stop === null || e.line < c.stop));
    else if (c.hist_access_type === 'search') {
      const glob = new RegExp('^' + (c.pattern ?? '*').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
      entries = entries.filter((e) => glob.test(e.input)).slice(-(c.n ?? entries.length));
    }
    // Session 0 means "this session" in the history protocol.
    this.#reply(msg, channel, { status: 'ok', history: entries.map((e) => (c.output ? [0, e.line, [e.input, null]] : [0, e.line, e.input])) });
  }

  async #shutdown(msg: Message, channel: RequestChannel): Promise<void> {
    const restart = (msg.content as { restart?: boolean }).restart === true;
    await this.executor.shutdown(restart);
    log.debug(`shutdown_request: executor shut down (restart: ${restart})`);
    this.#reply(msg, channel, { status: 'ok', restart });
    // Close once the idle that ends this handler has been handed to the transport.
    setImmediate(() => void this.transport.close().then(() => this.options.onShutdown?.(restart)));
  }

  readonly #inputBroker: InputBroker = {
    request: (parent, prompt, password) => {
      this.#pendingInput?.reject(new Error('superseded by a newer input request'));
      return new Promise<string>((resolve, reject) => {
        this.#pendingInput = { resolve, reject };
        this.transport.send({ channel: 'stdin', msgType: 'input_request', content: { prompt, password }, parent });
      });
    },
  };

  #stdin(msg: Message): void {
    if (msg.header.msg_type !== 'input_reply' || !this.#pendingInput) {
      log.warn(`stdin: ignored an unexpected ${msg.header.msg_type}`);
      return;
    }
    const pending = this.#pendingInput;
    this.#pendingInput = null;
    pending.resolve(String((msg.content as { value?: unknown }).value ?? ''));
  }

  /** The interrupt also abandons a pending input request, as ipykernel does. */
  interruptInput(): void {
    this.#pendingInput?.reject(new Error('interrupted'));
    this.#pendingInput = null;
  }
}
