/**
 * A worker slot: owns one task-child process and a short FIFO of tasks handed to it (DEPTH), so the child
 * starts its next task the moment one ends instead of waiting for a round trip to the worker. The head of
 * the FIFO is the running task: it "starts" when it gets there (that is when its timeout begins).
 * killHead() ends the child (timeout, cancel, crash), starts a fresh one and hands it the tasks that had not
 * started yet, so a bad task never harms the worker or the tasks behind it. A task asked back (withdraw,
 * cancel) is given up only when the child confirms it had not started it: the slot's view of the FIFO lags
 * the child's by the messages in flight, and guessing there ran tasks twice.
 * With `sandbox`, the child runs sandboxed: see sandbox.ts.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../log.js';
import { sandboxLaunch, type SandboxPolicy } from './sandbox.js';
import type { ChildReport, ChildRun, ToChild } from './task-messages.js';

const log = createLogger('slot');
const CHILD = fileURLToPath(new URL('./task-child.js', import.meta.url));
export const SLOT_DEPTH = 2;

export interface SlotOptions {
  index: number;
  /** Where an unsandboxed slot runs (a sandboxed one gets a fresh empty directory). */
  cwd: string;
  sandbox: SandboxPolicy | null;
  /** The environment of an unsandboxed slot; a sandboxed one gets only `slotEnv` and what its policy keeps. */
  env: NodeJS.ProcessEnv;
  /** What the slot process needs to be told (its worker's name, its value limit). */
  slotEnv: Record<string, string>;
  /** Told of each slot process started (alive) and ended: the worker's reaper ends them if it dies. */
  onProcess?: (pid: number, alive: boolean) => void;
}

interface SlotEvents {
  report: [ChildReport];
  /** `taskId` reached the head of the FIFO: it is running now. */
  started: [taskId: string];
  /** The child ended while running `taskId` (crash, out of memory, killed from outside). */
  died: [taskId: string, reason: string];
  /** The child confirmed it dropped `taskId` before starting it (see withdraw()). */
  withdrawn: [taskId: string];
}

/**
 * Tasks shorter than this are sent to the child ahead of their turn (it starts the next the moment one
 * ends). Longer ones wait here until the child is free: a task the child does not hold can be taken back
 * exactly and at once, while a child busy in a long synchronous task could not even answer.
 */
const SEND_AHEAD_BELOW_MS = 5;

/** A task of this slot: sent to the child yet or not, and whether it was asked back (to move, or cancelled). */
interface SlotTask {
  run: ChildRun;
  /** The member whose task it is (identity key, hex). */
  owner: string;
  sent: boolean;
  asked: 'withdraw' | 'cancel' | null;
}

export class Slot extends EventEmitter<SlotEvents> {
  #child: ChildProcess | null = null;
  #ready: Promise<void> = Promise.resolve();
  #tasks: SlotTask[] = [];
  /** Whether `started` was said for the head. Not for a head that was asked back: only the child knows. */
  #headStarted = false;
  #headSince = 0;
  /**
   * The member whose tasks the current child has been handed (null: none yet). A child serves one member:
   * a task runs with the real `process` and could rewire it (forge what later tasks send, read what they
   * are sent), so before another member's task the child is replaced by a fresh one.
   */
  #childOwner: string | null = null;
  /** How long the last task took here (ms); null until one finished. */
  #lastMs: number | null = null;
  pid = 0;

  constructor(private readonly options: SlotOptions) {
    super();
    this.#spawn();
  }

  /** Tasks handed to this slot (the first one is running). */
  get size(): number {
    return this.#tasks.length;
  }

  get running(): string | null {
    return this.#tasks[0]?.run.id ?? null;
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  #spawn(): void {
    this.#childOwner = null;
    const child = this.#start();
    this.#child = child;
    const pid = child.pid;
    if (pid !== undefined) {
      this.options.onProcess?.(pid, true);
      child.once('exit', () => this.options.onProcess?.(pid, false));
    }
    this.#ready = new Promise<void>((resolve) => {
      const onReady = (m: ChildReport) => {
        if (m.type === 'ready') {
          this.pid = m.pid;
          child.off('message', onReady);
          resolve();
        }
      };
      child.on('message', onReady);
      child.once('exit', () => resolve());
    });
    child.on('message', (m: ChildReport) => this.#report(m));
    child.on('error', (err) => log.warn(`slot ${this.options.index}: ${err.message}`));
    child.once('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = null;
      const head = this.#tasks.shift();
      const started = this.#headStarted;
      this.#restart();
      // A head asked back that may have started counts as run: re-running it is then a new attempt.
      if (head && head.asked !== 'cancel' && (started || head.asked === 'withdraw')) {
        this.emit('died', head.run.id, signal ? `killed by ${signal}` : `exited with code ${code}`);
      }
    });
  }

  #start(): ChildProcess {
    const { sandbox, slotEnv } = this.options;
    const stdio: ['ignore', 'ignore', 'inherit', 'ipc'] = ['ignore', 'ignore', 'inherit', 'ipc'];
    if (!sandbox) return fork(CHILD, [], { cwd: this.options.cwd, env: { ...this.options.env, ...slotEnv }, serialization: 'advanced', stdio });
    const launch = sandboxLaunch(sandbox, CHILD, slotEnv);
    // detached: a session of its own, so a task's kill(0) or a Ctrl-C at the worker's terminal stays apart.
    const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: launch.env, serialization: 'advanced', stdio, detached: true });
    child.once('exit', launch.dispose);
    child.once('error', launch.dispose);
    return child;
  }

  #report(m: ChildReport): void {
    if (m.type === 'ready') return;
    const at = this.#tasks.findIndex((t) => t.run.id === m.id);
    const task = this.#tasks[at];
    if (m.type === 'skipped') {
      if (!task) return;
      this.#tasks.splice(at, 1);
      if (task.asked === 'withdraw') this.emit('withdrawn', m.id);
      if (at === 0) this.#startHead();
      return;
    }
    if (at === 0 && !this.#headStarted && task) {
      // The head was asked back, but the child had started it: it runs here after all (or, if it was
      // cancelled, ends now).
      if (task.asked === 'cancel') {
        this.killHead();
        return;
      }
      task.asked = null;
      this.#headStarted = true;
      this.emit('started', m.id);
    }
    // The finished task leaves first, so whoever handles the report sees the room it made.
    const finished = (m.type === 'result' || m.type === 'error') && at === 0;
    if (finished) {
      this.#tasks.shift();
      this.#lastMs = performance.now() - this.#headSince;
    }
    this.emit('report', m);
    if (finished) this.#startHead();
  }

  /** The new head runs now, unless it was asked back: then the child's answer tells (skipped, or reports). */
  #startHead(): void {
    this.#sendDue();
    const head = this.#tasks[0];
    this.#headStarted = head !== undefined && head.asked === null;
    this.#headSince = performance.now();
    if (head && this.#headStarted) this.emit('started', head.run.id);
  }

  /**
   * Hands the child its next task, and the ones behind it too while tasks here are short, as long as they
   * are the same member's. A head of another member gets a fresh child first (nothing else is in the old
   * one then: tasks behind the head are never sent before it).
   */
  #sendDue(): void {
    const ahead = this.#lastMs !== null && this.#lastMs < SEND_AHEAD_BELOW_MS;
    for (const [at, task] of this.#tasks.entries()) {
      if (task.sent) continue;
      if (at > 0 && !ahead) break;
      if (this.#childOwner !== null && this.#childOwner !== task.owner) {
        if (at > 0) break;
        this.#replaceChild();
      }
      this.#childOwner = task.owner;
      task.sent = true;
      this.#send(task.run);
    }
  }

  /** A fresh child for the next member (the old one is ended; it ran nothing of theirs). */
  #replaceChild(): void {
    const child = this.#child;
    this.#child = null;
    child?.kill('SIGKILL');
    this.#spawn();
  }

  /** The member this slot's process serves or will serve next (its last task's), or null. */
  get owner(): string | null {
    return this.#tasks.at(-1)?.owner ?? this.#childOwner;
  }

  /** Drops a task the child never got: exact, and at once. */
  #dropUnsent(at: number): void {
    const [task] = this.#tasks.splice(at, 1);
    if (task?.asked === 'withdraw') this.emit('withdrawn', task.run.id);
  }

  #send(message: ToChild): void {
    const child = this.#child;
    void this.#ready.then(() => child?.connected && child.send(message));
  }

  run(task: ChildRun, owner: string): void {
    this.#tasks.push({ run: task, owner, sent: false, asked: null });
    if (this.#tasks.length === 1) this.#startHead();
    else this.#sendDue();
  }

  /**
   * Asks the child to give back a task that has not started. Returns false when it has started for sure;
   * otherwise `withdrawn` follows if the child dropped it, or the task's reports if it had started.
   */
  withdraw(taskId: string): boolean {
    const at = this.#tasks.findIndex((t) => t.run.id === taskId);
    const task = this.#tasks[at];
    if (!task || task.asked !== null || (at === 0 && this.#headStarted)) return false;
    task.asked = 'withdraw';
    if (task.sent) this.#send({ type: 'skip', id: taskId });
    else this.#dropUnsent(at);
    return true;
  }

  /** Ends a task: the running one with its process; a waiting one is dropped (or ended, if it turns out to have started). */
  cancel(taskId: string): void {
    const at = this.#tasks.findIndex((t) => t.run.id === taskId);
    const task = this.#tasks[at];
    if (!task) return;
    if (at === 0 && this.#headStarted) {
      this.killHead();
      return;
    }
    if (!task.sent) {
      task.asked = 'cancel';
      this.#dropUnsent(at);
      return;
    }
    if (task.asked === null) this.#send({ type: 'skip', id: taskId });
    task.asked = 'cancel';
  }

  /** Ends the child and the task it runs; a fresh child gets the tasks that had not started. */
  killHead(): void {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    this.#tasks.shift();
    child.kill('SIGKILL');
    this.#restart();
  }

  /** A fresh child, handed the tasks that had not started; those asked back never reach it. */
  #restart(): void {
    this.#spawn();
    const asked = this.#tasks.filter((t) => t.asked !== null);
    this.#tasks = this.#tasks.filter((t) => t.asked === null);
    for (const task of this.#tasks) task.sent = false;
    for (const task of asked) if (task.asked === 'withdraw') this.emit('withdrawn', task.run.id);
    this.#startHead();
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    this.#tasks = [];
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
