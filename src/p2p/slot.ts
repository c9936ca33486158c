/**
 * A worker slot: owns one task-child process and a short FIFO of tasks handed to it (DEPTH), so the child
 * starts its next task the moment one ends instead of waiting for a round trip to the worker. The head of
 * the FIFO is the running task: it "starts" when it gets there (that is when its timeout begins).
 * killHead() ends the child (timeout, cancel, crash), starts a fresh one and hands it the tasks that had not
 * started yet, so a bad task never harms the worker or the tasks behind it.
 * With `sandbox`, the child runs under Node's permission model: it may read the worker's directory and
 * tsp2p itself, and may not write files, spawn processes or start threads.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../log.js';
import { packageRoot } from '../version.js';
import type { ChildReport, ChildRun, ToChild } from './task-messages.js';

const log = createLogger('slot');
const CHILD = fileURLToPath(new URL('./task-child.js', import.meta.url));
export const SLOT_DEPTH = 2;

export interface SlotOptions {
  index: number;
  cwd: string;
  sandbox: boolean;
  env: NodeJS.ProcessEnv;
}

interface SlotEvents {
  report: [ChildReport];
  /** `taskId` reached the head of the FIFO: it is running now. */
  started: [taskId: string];
  /** The child ended while running `taskId` (crash, out of memory, killed from outside). */
  died: [taskId: string, reason: string];
}

export class Slot extends EventEmitter<SlotEvents> {
  #child: ChildProcess | null = null;
  #ready: Promise<void> = Promise.resolve();
  #tasks: ChildRun[] = [];
  pid = 0;

  constructor(private readonly options: SlotOptions) {
    super();
    this.#spawn();
  }

  /** Tasks handed to this slot (the first one is running). */
  get size(): number {
    return this.#tasks.length;
  }

  get hasRoom(): boolean {
    return this.#tasks.length < SLOT_DEPTH;
  }

  get running(): string | null {
    return this.#tasks[0]?.id ?? null;
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  #spawn(): void {
    const execArgv = this.options.sandbox
      ? ['--experimental-permission', `--allow-fs-read=${fileURLToPath(packageRoot)}`, `--allow-fs-read=${this.options.cwd}`, '--no-warnings']
      : [];
    const child = fork(CHILD, [], {
      cwd: this.options.cwd,
      env: this.options.env,
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.#child = child;
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
      this.#restart();
      if (head) this.emit('died', head.id, signal ? `killed by ${signal}` : `exited with code ${code}`);
    });
  }

  #report(m: ChildReport): void {
    if (m.type === 'ready') return;
    // The finished task leaves first, so whoever handles the report sees the room it made.
    const finished = (m.type === 'result' || m.type === 'error') && m.id === this.running;
    if (finished) this.#tasks.shift();
    const next = finished ? this.running : null;
    this.emit('report', m);
    if (next) this.emit('started', next);
  }

  #send(message: ToChild): void {
    const child = this.#child;
    void this.#ready.then(() => child?.connected && child.send(message));
  }

  run(task: ChildRun): void {
    this.#tasks.push(task);
    this.#send(task);
    if (this.#tasks.length === 1) this.emit('started', task.id);
  }

  /** Takes back a task that has not started; the child will skip it. */
  remove(taskId: string): boolean {
    const at = this.#tasks.findIndex((t) => t.id === taskId);
    if (at <= 0) return false;
    this.#tasks.splice(at, 1);
    this.#send({ type: 'skip', id: taskId });
    return true;
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

  #restart(): void {
    this.#spawn();
    for (const task of this.#tasks) this.#send(task);
    const next = this.running;
    if (next) this.emit('started', next);
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
