/**
 * A task submitted to the cluster: awaitable (it is a PromiseLike of the task's value), cancellable, with
 * events for what streams back while it runs. The value or error is delivered once, whatever re-runs happen.
 */
import { EventEmitter } from 'node:events';
import { isJsonObject, jsonObject } from '../json-fields.js';
import type { JsonObject, MimeBundle } from '../display/bundle.js';

/** The file name a task's code runs as on its worker: what its stack frames name. */
export function taskFilename(id: string): string {
  return `task-${id.slice(0, 8)}.js`;
}

export type TaskStatus = 'queued' | 'sent' | 'running' | 'done' | 'failed' | 'cancelled';

export interface WorkerInfo {
  /** Session key (hex): unique per worker process. */
  id: string;
  user: string;
  host: string;
  slots: number;
  running: number;
  queued: number;
  /** Tasks finished with a result, with an error (timeouts too), or cancelled, since the worker started. */
  done: number;
  failed: number;
  cancelled: number;
  versions: Record<string, string>;
  /** How this process reaches it: "direct", or "relayed via USER" (relay.ts). */
  path: string;
}

export interface TaskSpec {
  /** JavaScript; the value of its last statement (awaited if a promise) is the result. */
  code: string;
  globals?: Record<string, unknown>;
  timeoutMs?: number;
  /** Run only on this worker: its id (or a prefix), user, or user@host. */
  worker?: string;
  /** Re-runs allowed when a worker vanishes mid-task (default 3 attempts in all). */
  maxAttempts?: number;
  /** Fail if no worker has started it within this long (default: the timeout, if any, else no limit). */
  startWithinMs?: number;
}

export type DisplayEvent = { data: MimeBundle; metadata: JsonObject; displayId?: string; update: boolean } | { clear: true; wait: boolean };

/**
 * A display frame's JSON, checked field by field (it comes from another machine): a display event, or null
 * when it is not one.
 */
export function parseDisplayEvent(json: string): DisplayEvent | null {
  const value = jsonObject(json);
  if (!value) return null;
  if (value.clear === true) return { clear: true, wait: value.wait === true };
  const { data, metadata, displayId } = value;
  if (!isJsonObject(data) || (metadata !== undefined && !isJsonObject(metadata)) || (displayId !== undefined && typeof displayId !== 'string')) return null;
  return { data, metadata: metadata ?? {}, ...(displayId !== undefined ? { displayId } : {}), update: value.update === true };
}

interface TaskEvents {
  status: [TaskStatus];
  started: [WorkerInfo];
  stream: ['stdout' | 'stderr', string];
  display: [DisplayEvent];
  emit: [unknown];
}

export class TaskHandle extends EventEmitter<TaskEvents> implements PromiseLike<unknown> {
  status: TaskStatus = 'queued';
  worker: WorkerInfo | null = null;
  attempts = 0;
  /** Milliseconds the task ran on its worker, once done. */
  ms = 0;
  readonly result: Promise<unknown>;
  #resolve!: (value: unknown) => void;
  #reject!: (err: Error) => void;
  #settled = false;

  constructor(
    readonly id: string,
    readonly spec: TaskSpec,
    private readonly onCancel: (handle: TaskHandle) => void,
  ) {
    super();
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Whoever awaits sees the error; nobody awaiting must not crash the process.
    this.result.catch(() => {});
  }

  get settled(): boolean {
    return this.#settled;
  }

  setStatus(status: TaskStatus): void {
    if (this.#settled || this.status === status) return;
    this.status = status;
    this.emit('status', status);
  }

  resolve(value: unknown): void {
    if (this.#settled) return;
    this.setStatus('done');
    this.#settled = true;
    this.#resolve(value);
  }

  reject(err: Error, status: TaskStatus = 'failed'): void {
    if (this.#settled) return;
    this.setStatus(status);
    this.#settled = true;
    this.#reject(err);
  }

  cancel(): void {
    if (!this.#settled) this.onCancel(this);
  }

  then<T1 = unknown, T2 = never>(onfulfilled?: ((value: unknown) => T1 | PromiseLike<T1>) | null, onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null): Promise<T1 | T2> {
    return this.result.then(onfulfilled, onrejected);
  }
}
