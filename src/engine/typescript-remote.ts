/**
 * The kernel's handle on its TypeScript service: the same service as typescript.ts, asked asynchronously,
 * so the main thread answers requests and runs cells while the service works. It runs in a process started
 * from the startup snapshot (ts-process.ts; its converter built and warm: the first cell is checked at
 * once) or, when there is no usable snapshot, on a worker thread (ts-thread.ts; building the language
 * service there takes over a second, which the first cell waits for). Type errors are reported before a
 * cell runs either way: nothing is skipped. A snapshot process that fails before it is ready hands its
 * requests to a thread. Lifecycle: constructed (the service starts at once) … close().
 */
import { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { CompleteResult, InspectResult, IsCompleteResult } from '../jupyter/executor.js';
import { createLogger } from '../log.js';
import { CHANNEL_FD, FrameDecoder, encodeFrame } from './ts-frames.js';
import type { TsAnswer, TsCalls, TsOp } from './ts-protocol.js';
import { startSnapshotProcess, type StartedProcess } from './ts-snapshot.js';
import type { ConvertResult } from './typescript.js';

const log = createLogger('typescript');

/** A request as sent (the service reads it as ts-protocol.ts's TsRequest, one member per op). */
interface Request<K extends TsOp = TsOp> {
  id: number;
  op: K;
  args: TsCalls[K]['args'];
}

/** Where the service runs: how to send it a request, and how it ends. */
interface ServiceChannel {
  readonly kind: 'snapshot process' | 'thread';
  send(request: Request): void;
  /** Keeps the process alive while requests are pending (and only then: a kernel ends by process.exit). */
  hold(pending: boolean): void;
  close(): Promise<void>;
}

interface ChannelEvents {
  answer(answer: TsAnswer): void;
  /** It ended on its own (crashed, or failed to start). */
  ended(reason: string): void;
}

function threadChannel(cwd: string, events: ChannelEvents): ServiceChannel {
  const worker = new Worker(new URL('./ts-thread.js', import.meta.url), {
    workerData: { cwd },
    // Its output must not go through the main thread's stdout (captured for cells).
    stdout: true,
    stderr: true,
  });
  worker.on('message', (answer: TsAnswer) => events.answer(answer));
  worker.on('error', (err: Error) => events.ended(`failed: ${err.message}`));
  worker.on('exit', (code) => events.ended(`stopped (exit code ${code})`));
  return {
    kind: 'thread',
    send: (request) => worker.postMessage(request),
    hold: (pending) => (pending ? worker.ref() : worker.unref()),
    close: async () => void (await worker.terminate()),
  };
}

function snapshotChannel(started: StartedProcess, events: ChannelEvents): ServiceChannel {
  const { child } = started;
  const pipe = child.stdio[CHANNEL_FD];
  if (!(pipe instanceof Socket)) throw new Error('the TypeScript process has no channel');
  const decoder = new FrameDecoder<TsAnswer>();
  pipe.on('data', (chunk: Buffer) => decoder.push(chunk).forEach((answer) => events.answer(answer)));
  pipe.on('error', () => undefined);
  started.onEnded((reason) => events.ended(reason));
  return {
    kind: 'snapshot process',
    send: (request) => pipe.write(encodeFrame(request)),
    hold: (pending) => {
      // The process too: if it dies, its exit (which hands the requests over) must still be heard.
      if (pending) [child, pipe].forEach((handle) => handle.ref());
      else [child, pipe].forEach((handle) => handle.unref());
    },
    close: async () => void child.kill(),
  };
}

export class TypeScriptRemote {
  /** Declarations of everything earlier cells defined (tslab's `declOutput`), sent with each request. */
  prevDecl = '';
  #channel: ServiceChannel;
  /** Requests not answered yet, kept to be sent again if the snapshot process fails before it is ready. */
  readonly #pending = new Map<number, { request: Request; sent: number; resolve: (value: never) => void; reject: (err: Error) => void }>();
  #nextId = 0;
  #generation = 0;
  #ready = false;
  #stopped: Error | null = null;
  readonly #started: number;

  readonly #cwd: string;

  /**
   * `cwd`: where the cells live (relative imports, node_modules, type roots); the process's by default.
   * `started`: the snapshot process already started for it (startSnapshotProcess), or why there is none.
   */
  constructor(options: { cwd?: string; started?: StartedProcess | { reason: string } } = {}) {
    this.#cwd = options.cwd ?? process.cwd();
    const started = options.started ?? startSnapshotProcess(this.#cwd);
    this.#started = 'at' in started ? started.at : performance.now();
    this.#channel = 'child' in started ? snapshotChannel(started, this.#events()) : threadChannel(this.#cwd, this.#events());
    // Held only while requests are pending: a kernel ends by process.exit (the process's pipe closing ends
    // it), and an engine made elsewhere (tests) must not be kept alive by its service.
    this.#channel.hold(false);
    if ('reason' in started) log.debug(`TypeScript service on a thread: ${started.reason}`);
  }

  /** Events for a new channel: once it is replaced, its late events are ignored. */
  #events(): ChannelEvents {
    const generation = ++this.#generation;
    return {
      answer: (answer) => generation === this.#generation && this.#answered(answer),
      ended: (reason) => generation === this.#generation && this.#ended(reason),
    };
  }

  /** Where the service runs (for doctor-like reports and tests). */
  get runsIn(): ServiceChannel['kind'] {
    return this.#channel.kind;
  }

  #answered(answer: TsAnswer): void {
    if (answer.kind === 'ready') {
      this.#ready = true;
      log.debug(`TypeScript service ready (${this.#channel.kind}): ${Math.round(performance.now() - this.#started)} ms after start (${answer.ms} ms warming up)`);
      return;
    }
    const pending = this.#pending.get(answer.id);
    this.#pending.delete(answer.id);
    if (!pending) return;
    if (this.#pending.size === 0) this.#channel.hold(false);
    log.debug(`${pending.request.op} answered in ${Math.round(performance.now() - pending.sent)} ms${this.#ready ? '' : ' (before the service was ready)'}`);
    // The id ties the answer to its request's op, and so to the type its caller awaits.
    if (answer.ok) pending.resolve(answer.value as never);
    else pending.reject(new Error(answer.message));
  }

  #ended(reason: string): void {
    if (this.#stopped) return;
    if (this.#channel.kind === 'snapshot process' && !this.#ready) {
      log.warn(`the TypeScript snapshot process ${reason} before it was ready: using a thread (run \`npm run build\` to rebuild the snapshot)`);
      this.#channel = threadChannel(this.#cwd, this.#events());
      this.#channel.hold(this.#pending.size > 0);
      for (const { request } of this.#pending.values()) this.#channel.send(request);
      return;
    }
    this.#stop(new Error(`the TypeScript service ${reason}; restart the kernel`));
  }

  #stop(err: Error): void {
    this.#stopped ??= err;
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
    this.#channel.hold(false);
  }

  #call<K extends TsOp>(op: K, args: TsCalls[K]['args']): Promise<TsCalls[K]['result']> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    const request: Request = { id, op, args };
    return new Promise<TsCalls[K]['result']>((resolve, reject) => {
      this.#pending.set(id, { request, sent: performance.now(), resolve, reject });
      this.#channel.hold(true);
      this.#channel.send(request);
    });
  }

  convert(code: string): Promise<ConvertResult> {
    return this.#call('convert', { prevDecl: this.prevDecl, code });
  }

  complete(code: string, cursor: number): Promise<CompleteResult> {
    return this.#call('complete', { prevDecl: this.prevDecl, code, cursor });
  }

  inspect(code: string, cursor: number, detailLevel: number): Promise<InspectResult> {
    return this.#call('inspect', { prevDecl: this.prevDecl, code, cursor, detailLevel });
  }

  isComplete(code: string): Promise<IsCompleteResult> {
    return this.#call('isComplete', { code });
  }

  /** Adds global declarations (the p2p layer declares `p2p`); requests after this one see them. */
  declareGlobals(text: string): void {
    this.#call('declareGlobals', { text }).catch((err: unknown) => log.error(`declaring globals: ${String(err)}`));
  }

  async close(): Promise<void> {
    this.#stop(new Error('the TypeScript service was closed'));
    await this.#channel.close();
  }
}
