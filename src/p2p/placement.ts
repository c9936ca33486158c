/**
 * Where a client's tasks may go: what it knows of each worker, how much room a worker has (its pipeline,
 * deeper for short tasks), which workers a task for a named one may go to, and the order short work fills
 * workers in (spread.ts says how many). The scheduler (scheduler.ts) decides with these.
 */
import type { Peer } from './peer-network.js';
import type { WorkerInfo } from './task-handle.js';

/** Tasks in flight per worker slot for short tasks: one running, one waiting in the slot, one on its way. */
const PIPELINE = 3;
/**
 * Tasks that run longer than this (as measured at the worker) get a shorter queue: one waiting behind the
 * running one hides the trip of the result back and of the next task out, while a deeper queue would bind
 * work to a worker before it is known which one frees up first (9 heavy tiles over 2 workers went 3+3 at
 * once, then ran unevenly).
 */
export const LONG_TASK_MS = 5;
const LONG_TASK_PIPELINE = 2;

/** A worker as the client's scheduler knows it. */
export interface WorkerState {
  peer: Peer;
  info: WorkerInfo;
  inflight: Set<string>;
  /** Other clients' tasks at this worker, as of its last load frame. */
  others: number;
  /** Moving average of our tasks' run time there (ms); null until one finished. */
  taskMs: number | null;
  /** It sends `tally` frames (newer workers): its counts by outcome come from them, not from `load`. */
  tallied: boolean;
}

/** Room at a worker: its pipeline minus what is in flight there, ours and (as it last said) others'. */
export function roomAt(worker: WorkerState): number {
  // Until a task's cost is known, the short queue: the first results tell which kind of work this is.
  const depth = worker.taskMs === null || worker.taskMs > LONG_TASK_MS ? LONG_TASK_PIPELINE : PIPELINE;
  return worker.info.slots * depth - worker.inflight.size - worker.others;
}

/** Whether a worker answers to `wanted`: its id (or a prefix), its user, or user@host; anything when unset. */
export function workerMatches(info: WorkerInfo, wanted: string | undefined): boolean {
  if (!wanted) return true;
  return info.id.startsWith(wanted) || info.user === wanted || `${info.user}@${info.host}` === wanted;
}

/**
 * The workers in the order short work fills them: an order of this client's own (worker ids mixed with a
 * salt), so that two members' short tasks start out on different workers.
 */
export class SpreadOrder<W extends { readonly peer: { readonly id: string } }> {
  #workers: W[] = [];
  readonly #salt = crypto.getRandomValues(new Uint32Array(1))[0] as number;

  get workers(): readonly W[] {
    return this.#workers;
  }

  add(worker: W): void {
    const rank = (w: W) => (Number.parseInt(w.peer.id.slice(0, 8), 16) ^ this.#salt) >>> 0;
    this.#workers = [...this.#workers, worker].sort((a, b) => rank(a) - rank(b));
  }

  remove(worker: W): void {
    this.#workers = this.#workers.filter((w) => w !== worker);
  }
}
