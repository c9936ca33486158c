/**
 * A worker slot: owns one task-child process. run() hands it a task and reports what it sends back; kill()
 * ends the process (timeout, cancel, crash) and starts a fresh one, so a bad task never harms the worker.
 * With `sandbox`, the child runs under Node's permission model: it may read the worker's directory and
 * tsp2p itself, and may not write files, spawn processes or start threads.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../log.js';
import { packageRoot } from '../version.js';
import type { ChildReport, ChildRun } from './task-messages.js';

const log = createLogger('slot');
const CHILD = fileURLToPath(new URL('./task-child.js', import.meta.url));

export interface SlotOptions {
  index: number;
  cwd: string;
  sandbox: boolean;
  env: NodeJS.ProcessEnv;
}

interface SlotEvents {
  report: [ChildReport];
  /** The child ended while running `taskId` (crash, out of memory, killed from outside). */
  died: [taskId: string | null, reason: string];
}

export class Slot extends EventEmitter<SlotEvents> {
  #child: ChildProcess | null = null;
  #ready: Promise<void> = Promise.resolve();
  /** The task the child is running, if any. */
  taskId: string | null = null;
  pid = 0;

  constructor(private readonly options: SlotOptions) {
    super();
    this.#spawn();
  }

  get busy(): boolean {
    return this.taskId !== null;
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
    child.on('message', (m: ChildReport) => {
      if (m.type === 'ready') return;
      if ((m.type === 'result' || m.type === 'error') && m.id === this.taskId) this.taskId = null;
      this.emit('report', m);
    });
    child.on('error', (err) => log.warn(`slot ${this.options.index}: ${err.message}`));
    child.once('exit', (code, signal) => {
      if (this.#child !== child) return;
      const taskId = this.taskId;
      this.taskId = null;
      this.#child = null;
      this.emit('died', taskId, signal ? `killed by ${signal}` : `exited with code ${code}`);
      this.#spawn();
    });
  }

  async run(task: ChildRun): Promise<void> {
    this.taskId = task.id;
    await this.#ready;
    if (this.taskId !== task.id) return;
    this.#child?.send(task);
  }

  /** Ends the child (and whatever it runs) and starts a fresh one. */
  kill(): void {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    this.taskId = null;
    child.kill('SIGKILL');
    this.#spawn();
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
