/**
 * How many worker slots a client's short tasks spread over: as many as it pays to use. A task of a few
 * milliseconds costs a worker more to receive, hand to its slot and answer than to run, and a client sends
 * a few thousand a second at most: past a handful of slots, spreading them further finishes none sooner,
 * wakes every friend's machine for each trickle of them, and (where workers share cores) makes every task
 * dearer (24 one-slot workers on 2 cores: 1.6 ms of CPU a task instead of 0.75, half the throughput).
 *
 * So while tasks wait for room (the spread, not the code submitting them, sets the pace), the client
 * measures how many finish per second in epochs of EPOCH_MS, and tries a wider spread now and then: it
 * stays if at least GAIN times as many finish (and the next wider is tried at once), else the spread goes
 * back. It tries a narrower one too: it stays if nearly as many finish (KEEP), and so on. Long tasks are
 * not limited (WorkKind says which work is short); nor are tasks sent to a named worker.
 */
import { createLogger } from '../log.js';

const log = createLogger('scheduler');

/** The narrowest spread: two slots, on two workers at least (one slow or lost worker never holds all the work). */
export const MIN_SPREAD = 2;
export const EPOCH_MS = 250;
/** An epoch lasts until this many tasks finished in it too (fewer say too little), up to 4 × EPOCH_MS. */
export const EPOCH_TASKS = 200;
/** A wider spread is kept when it finishes this many times as many tasks per second. */
export const GAIN = 1.1;
/** A narrower spread is kept when it finishes at least this share of the tasks per second. */
export const KEEP = 0.95;
/** Epochs between one trial and the next, once a trial has failed. */
export const HOLD_EPOCHS = 8;

const wider = (width: number): number => Math.ceil(width * 1.5);
const narrower = (width: number): number => Math.max(MIN_SPREAD, width - Math.max(1, Math.round(width / 4)));

export class Spread {
  #width = MIN_SPREAD;
  /** The spread that stands, and the tasks per ms it finished. */
  #base: { width: number; rate: number } | null = null;
  #trial: 'wider' | 'narrower' | null = null;
  #nextTrial: 'wider' | 'narrower' = 'wider';
  #hold = 0;
  /** The rate before this trial's first step. */
  #anchor = 0;
  #epochStart = -1;
  #finished = 0;
  /** Some time in this epoch, no task was waiting for room: its rate says how fast tasks came, not the spread. */
  #starved = false;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Slots short tasks may spread over now. */
  get width(): number {
    return this.#width;
  }

  /** A short task finished (its outcome came from its worker). */
  finished(): void {
    this.#finished += 1;
  }

  /**
   * After each dispatch: `waiting`, whether tasks were left waiting for room in the spread; `slots`, how
   * many slots there are to spread over.
   */
  observe(waiting: boolean, slots: number): void {
    const now = this.now();
    if (!waiting) this.#starved = true;
    if (this.#epochStart < 0) return this.#begin(now);
    const elapsed = now - this.#epochStart;
    if (elapsed < EPOCH_MS || (this.#finished < EPOCH_TASKS && elapsed < 4 * EPOCH_MS)) return;
    const rate = this.#finished / elapsed;
    const judged = !this.#starved && this.#finished >= EPOCH_TASKS;
    this.#begin(now);
    if (judged) this.#decide(rate, Math.max(MIN_SPREAD, slots));
  }

  #begin(now: number): void {
    this.#epochStart = now;
    this.#finished = 0;
    this.#starved = false;
  }

  #decide(rate: number, slots: number): void {
    if (this.#trial && this.#base) {
      // Each wider step must gain on the last; narrower ones together may lose no more than KEEP allows.
      const kept = this.#trial === 'wider' ? rate >= this.#base.rate * GAIN : rate >= this.#anchor * KEEP;
      if (kept) {
        this.#base = { width: this.#width, rate };
        // It paid: further the same way, while that is possible.
        if (this.#trial === 'wider' && this.#width < slots) {
          this.#width = Math.min(slots, wider(this.#width));
          return;
        }
        if (this.#trial === 'narrower' && this.#width > MIN_SPREAD) {
          this.#width = narrower(this.#width);
          return;
        }
      } else {
        this.#width = this.#base.width;
      }
      log.debug(`a ${this.#trial} spread ${kept ? 'paid' : 'did not pay'}: ${this.#width} slots now (${Math.round(rate * 1000)} tasks/s)`);
      this.#trial = null;
      this.#hold = HOLD_EPOCHS;
      return;
    }
    this.#width = Math.min(this.#width, slots);
    this.#base = { width: this.#width, rate };
    if (this.#hold > 0) {
      this.#hold -= 1;
      return;
    }
    // Try the other way next time, when that is possible at all.
    let trial = this.#nextTrial;
    if (trial === 'wider' && this.#width >= slots) trial = 'narrower';
    if (trial === 'narrower' && this.#width <= MIN_SPREAD) trial = 'wider';
    if (trial === 'wider' && this.#width >= slots) return;
    this.#nextTrial = trial === 'wider' ? 'narrower' : 'wider';
    this.#trial = trial;
    this.#anchor = rate;
    this.#width = trial === 'wider' ? Math.min(slots, wider(this.#width)) : narrower(this.#width);
  }
}

/**
 * The workers short tasks go to now: the first ones in the order given (a stable order keeps the same
 * few busy), holding `width` slots, two workers at least; and how many slots all of them have.
 */
export function spreadOver<W extends { readonly info: { readonly slots: number } }>(workers: Iterable<W>, width: number): { over: Set<W>; slots: number } {
  const over = new Set<W>();
  let slots = 0;
  let inOver = 0;
  for (const worker of workers) {
    slots += worker.info.slots;
    if (inOver >= width && over.size >= MIN_SPREAD) continue;
    over.add(worker);
    inOver += worker.info.slots;
  }
  return { over, slots };
}

/**
 * Whether the client's work is short, from its tasks' run times as the workers measured them: it becomes
 * short below SHORT_MS and long again above `longMs` (between the two it stays as it was, so that work
 * near one bound does not flip from one to the other: each flip would send it to other workers).
 */
export const SHORT_MS = 2;
export class WorkKind {
  #ms: number | null = null;
  #short = false;

  constructor(private readonly longMs: number) {}

  get short(): boolean {
    return this.#short;
  }

  /** A task ran `ms` at its worker. */
  ran(ms: number): void {
    this.#ms = this.#ms === null ? ms : 0.8 * this.#ms + 0.2 * ms;
    if (this.#ms < SHORT_MS) this.#short = true;
    else if (this.#ms > this.longMs) this.#short = false;
  }
}
