/**
 * What a worker's terminal shows of the tasks it runs: a line per task while they come slowly, a summary
 * every few seconds while they come fast. A map of tiny tasks finishes thousands a second: a line each
 * floods the terminal and costs the worker a synchronous write per task.
 */
import type { TaskOutcome as Outcome } from '../p2p/worker.js';

/** How each outcome reads in a summary ("3 ok, 1 cancelled"). */
const OUTCOMES: readonly Outcome[] = ['ok', 'failed', 'cancelled', 'lost'];

export interface ActivityLogOptions {
  /** Lines a second, one per task, before tasks are counted instead. */
  linesPerSecond: number;
  /** How often counted tasks are summed up. */
  summaryEveryMs: number;
}

const DEFAULTS: ActivityLogOptions = { linesPerSecond: 5, summaryEveryMs: 2_000 };

/** 12345 → "12,345". (Not toLocaleString: its first call loads ICU's formatters, 10–100 ms of a busy worker's event loop.) */
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export class ActivityLog {
  /** When each of the last second's task lines was printed. */
  #printed: number[] = [];
  /** Tasks counted since the last summary, per member. */
  #counted = new Map<string, Record<Outcome, number>>();
  #since = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly say: (line: string) => void,
    private readonly options: ActivityLogOptions = DEFAULTS,
  ) {}

  finished(taskId: string, user: string, outcome: Outcome): void {
    const now = performance.now();
    while (this.#printed.length > 0 && now - (this.#printed[0] as number) > 1_000) this.#printed.shift();
    if (this.#counted.size === 0 && this.#printed.length < this.options.linesPerSecond) {
      this.#printed.push(now);
      this.say(`task ${taskId} from ${user}: ${outcome}`);
      return;
    }
    if (this.#counted.size === 0) this.#since = now;
    const counts = this.#counted.get(user) ?? { ok: 0, failed: 0, cancelled: 0, lost: 0 };
    counts[outcome] += 1;
    this.#counted.set(user, counts);
    // The worker runs until stopped: this timer must not be what keeps it alive, nor delay its exit.
    this.#timer ??= setTimeout(() => this.flush(), this.options.summaryEveryMs).unref();
  }

  /** Prints what was counted, if anything. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#counted.size === 0) return;
    let total = 0;
    const parts: string[] = [];
    for (const [user, counts] of this.#counted) {
      const said = OUTCOMES.filter((o) => counts[o] > 0).map((o) => `${grouped(counts[o])} ${o}`);
      total += OUTCOMES.reduce((n, o) => n + counts[o], 0);
      parts.push(`${user} ${said.join(', ')}`);
    }
    const seconds = Math.max(1, Math.round((performance.now() - this.#since) / 1_000));
    this.#counted.clear();
    this.say(`${grouped(total)} more ${total === 1 ? 'task' : 'tasks'} finished in the last ${seconds} s: ${parts.join('; ')}`);
  }
}
