/**
 * One worker slot: a child process that runs tasks one at a time, each in a fresh vm context (made ahead of
 * time while the slot is idle, see task-context.ts). Output, displays and p2p.emit() go to the parent
 * as they happen; the completion value (awaited if it is a promise) or the error comes last. A task that
 * hangs or is cancelled is the parent's to end: it kills this process and starts another.
 */
import { RemoteError } from '../errors.js';
import { hostname } from 'node:os';
import { types } from 'node:util';
import vm from 'node:vm';
import { captureProcessOutput } from '../display/capture.js';
import { createDisplay } from '../display/display.js';
import { inspectValue } from '../display/mime.js';
import type { ChildReport, ChildRun, ToChild } from './task-messages.js';
import { HOST_REALM, rehome } from './realm.js';
import { explainDenial, sandboxKind } from './sandbox-denial.js';
import { clearTimers, declarationConflict, needsPlainContext, prepareContext, type TaskContext } from './task-context.js';
import { DEFAULT_MAX_VALUE_BYTES, fromWire, toWire } from './values.js';

const send = (report: ChildReport) => process.send?.(report);
/** What the pipe to the worker takes at once (its buffer holds ~200 KiB): a message this small is out on send. */
const PIPE_TAKES_BYTES = 64 * 1024;
/**
 * A task's last word. A big result is more than the pipe holds, and the next task's synchronous work would
 * hold back the rest of it: wait until it is written out. A small one is written whole at once: waiting for
 * the write's callback would only idle the slot for a turn of the event loop (1-5 ms with the cores busy).
 */
function sendLast(report: ChildReport): Promise<void> | void {
  const size = report.type === 'result' ? Buffer.byteLength(report.json) + report.buffers.reduce((n, b) => n + b.byteLength, 0) : 0;
  if (size <= PIPE_TAKES_BYTES) return void send(report);
  return new Promise<void>((resolve) => (process.send ? process.send(report, () => resolve()) : resolve()));
}
const workerName = `${process.env.TSP2P_WORKER_USER ?? 'worker'}@${hostname()}`;
/** The worker's --max-value: inputs that would inflate past it are refused before they take the memory. */
const maxValue = Number(process.env.TSP2P_SLOT_MAX_VALUE) || DEFAULT_MAX_VALUE_BYTES;
/** Whether this process runs sandboxed, and with network or not (sandbox.ts): errors it causes say so. */
const sandboxed = sandboxKind(process.env.TSP2P_SANDBOX);
let current: string | null = null;

captureProcessOutput((name, text) => {
  if (current) send({ type: 'stream', id: current, name, text });
});
const display = createDisplay(() => ({
  display: (data, metadata, options) => {
    if (current) send({ type: 'display', id: current, json: JSON.stringify({ data, metadata, displayId: options.displayId, update: options.update === true }) });
  },
  clear: (wait) => {
    if (current) send({ type: 'display', id: current, json: JSON.stringify({ clear: true, wait }) });
  },
}));

/**
 * Functions that use nothing but the language's built-ins, kept per client by their exact source text (the
 * kernel marks them; see ship.ts). Defining one afresh in every task's context would make V8 compile and
 * optimise it again each time: +15% on a tile of the Mandelbrot set, and compiler threads competing with the
 * other slots for the cores. Kept per client, so no client's definition is ever another's.
 */
const REUSE_LIMIT = 128;
const reusable = new Map<string, unknown>();
function reuse(client: string) {
  return (factory: () => unknown): unknown => {
    const key = `${client}\n${Function.prototype.toString.call(factory)}`;
    if (reusable.has(key)) return reusable.get(key);
    const value = factory();
    // Each kept function holds on to the context it was made in: keep a bounded number, oldest out first.
    if (reusable.size >= REUSE_LIMIT) reusable.delete(reusable.keys().next().value as string);
    reusable.set(key, value);
    return value;
  };
}

const prepare = (bind = true) => prepareContext(display, { bind });
let spare: TaskContext | null = null;
function prepareSoon(): void {
  setImmediate(() => {
    spare ??= prepare();
  });
}

/** The task's own frames only: the worker's machinery (vm, this file, Node internals) is noise to its author. */
function taskStack(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => !/^\s+at /.test(line) || !/node:|task-child\.js|processTicksAndRejections/.test(line))
    .join('\n');
}

function errorJson(thrown: unknown): string {
  // Errors made inside the task's context are from another realm: `instanceof Error` is false for them.
  if (types.isNativeError(thrown) || thrown instanceof Error) {
    const error = thrown as Error;
    const denial = explainDenial(error, sandboxed);
    const evalue = denial ? `${error.message}: ${denial}` : error.message;
    // The stack opens with the message: it is what most clients show.
    const stack = denial ? (error.stack ?? '').replace(error.message, evalue) : (error.stack ?? '');
    return RemoteError.toJson({ ename: error.name || 'Error', evalue, stack: taskStack(stack), worker: workerName });
  }
  return RemoteError.toJson({ ename: 'Uncaught', evalue: inspectValue(thrown), stack: '', worker: workerName });
}

/** Puts the task's globals, `exports`, `p2p` and the reuse cache in `prepared` and runs its code there. */
function start(task: ChildRun, received: Record<string, unknown>, prepared: TaskContext): unknown {
  const globals = rehome(received, prepared.realm) as Record<string, unknown>;
  const sandbox = prepared.context as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals ?? {})) sandbox[name] = value;
  // Code converted by the kernel reads earlier cells' names as exports.NAME.
  sandbox.exports = Object.assign(Object.create(prepared.realm.objectPrototype) as object, globals);
  sandbox.__tsp2p_reuse__ = reuse(task.client);
  sandbox.p2p = {
    worker: workerName,
    taskId: task.id,
    emit: (data: unknown) => {
      const wire = toWire(rehome(data, HOST_REALM));
      send({ type: 'emit', id: task.id, json: wire.json, buffers: wire.buffers });
    },
  };
  // displayErrors: false keeps V8 from prefixing the stack with a source excerpt: name and message come first.
  return vm.runInContext(task.code, prepared.context, { filename: task.filename, displayErrors: false });
}

async function run(task: ChildRun): Promise<void> {
  const started = performance.now();
  let prepared = spare ?? prepare();
  spare = null;
  current = task.id;
  try {
    const received = (fromWire({ json: task.json, buffers: task.buffers }, maxValue) ?? {}) as Record<string, unknown>;
    if (needsPlainContext(prepared, Object.keys(received))) {
      spare = prepared; // unused: the next task's
      prepared = prepare(false);
    }
    let value: unknown;
    try {
      value = start(task, received, prepared);
    } catch (err) {
      const conflict = declarationConflict(err, prepared, task.filename);
      if (!conflict) throw err;
      prepared = prepare(false);
      // The block opens on the first line, so line numbers in stacks stay the task's own.
      value = start(conflict === 'restricted' ? { ...task, code: `{${task.code}\n}` } : task, received, prepared);
    }
    if (value && typeof (value as { then?: unknown }).then === 'function') value = await value;
    let wire;
    try {
      wire = toWire(rehome(value, HOST_REALM));
    } catch (err) {
      throw new TypeError(`the task's value cannot be sent back: ${err instanceof Error ? err.message : String(err)}`);
    }
    await sendLast({ type: 'result', id: task.id, json: wire.json, buffers: wire.buffers, ms: Math.round(performance.now() - started) });
  } catch (err) {
    await sendLast({ type: 'error', id: task.id, json: errorJson(err) });
  } finally {
    clearTimers(prepared.timers);
    current = null;
    prepareSoon();
  }
}

// A task's stray exception or rejection is reported against it (if it is still running), never fatal.
process.on('uncaughtException', (err) => {
  if (current) send({ type: 'error', id: current, json: errorJson(err) });
});
process.on('unhandledRejection', (reason) => {
  if (current) send({ type: 'error', id: current, json: errorJson(reason) });
});

/**
 * Tasks run one after another, in the order they came. A task asked back (`skip`) before it started is
 * dropped and confirmed (`skipped`); one that started runs on, and its result answers instead. After a long
 * task, messages that came meanwhile are read first: a task waiting behind it may have been taken back (to
 * run on a worker that went idle). Two turns of the event loop: the first may end before the loop's next
 * read of the pipe.
 */
const LONG_TASK_MS = 20;
let queue: Promise<void> = Promise.resolve();
let readFirst = false;
/** Tasks received that have not started. */
const waiting = new Set<string>();
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
process.on('message', (message: ToChild) => {
  if (message?.type === 'skip') {
    if (waiting.delete(message.id)) send({ type: 'skipped', id: message.id });
  } else if (message?.type === 'run') {
    waiting.add(message.id);
    // The chain must never reject: a rejected link would skip every task after it, silently.
    queue = queue.then(async () => {
      try {
        if (readFirst) {
          readFirst = false;
          await nextTurn();
          await nextTurn();
        }
        if (!waiting.delete(message.id)) return;
        const started = performance.now();
        await run(message);
        readFirst = performance.now() - started >= LONG_TASK_MS;
      } catch (err) {
        // Reporting the task's own error failed (a thrown value that cannot even be described, say).
        send({ type: 'error', id: message.id, json: RemoteError.toJson({ ename: 'Error', evalue: `the task's error could not be reported: ${String((err as Error)?.message ?? 'unknown')}`, stack: '', worker: workerName }) });
      }
    });
  }
});
// The worker went away. (If it died while a task blocks this thread, its reaper ends us: slot-reaper.ts.)
process.on('disconnect', () => process.exit(0));

spare = prepare();
send({ type: 'ready', pid: process.pid });
