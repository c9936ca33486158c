/** Messages between a worker and its slot processes (Node IPC, 'advanced' serialization: Buffers pass as bytes). */

export interface ChildRun {
  type: 'run';
  id: string;
  /** Who sent it (the client's session key): functions kept for reuse are kept per client. */
  client: string;
  code: string;
  /** How the task's code is named in stack traces. */
  filename: string;
  json: string;
  buffers: Buffer[];
}

/**
 * Drop a task that has not started. Only the child knows whether it has (the worker's view lags behind by
 * the messages in flight), so it answers `skipped` if it dropped the task, and nothing if the task started.
 */
export interface ChildSkip {
  type: 'skip';
  id: string;
}

export type ToChild = ChildRun | ChildSkip;

export type ChildReport =
  | { type: 'ready'; pid: number }
  | { type: 'skipped'; id: string }
  | { type: 'stream'; id: string; name: 'stdout' | 'stderr'; text: string }
  | { type: 'display'; id: string; json: string }
  | { type: 'emit'; id: string; json: string; buffers: Buffer[] }
  | { type: 'result'; id: string; json: string; buffers: Buffer[]; ms: number }
  | { type: 'error'; id: string; json: string };
