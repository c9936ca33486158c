/**
 * A progress bar for long CLI work: redrawn in place on a terminal, one line per step otherwise (CI logs).
 * Writes to stderr so stdout stays clean for results.
 */
import { bar } from '../words.js';

export class ProgressBar {
  #done = 0;
  readonly #tty = process.stderr.isTTY === true;
  readonly #started = Date.now();

  constructor(
    private readonly total: number,
    private readonly label: string,
  ) {}

  tick(detail = '', amount = 1): void {
    this.#done = Math.min(this.total, this.#done + amount);
    this.#draw(detail);
  }

  #draw(detail: string): void {
    const seconds = ((Date.now() - this.#started) / 1000).toFixed(1);
    const line = `${this.label} ${bar(this.#done, this.total)} ${seconds}s ${detail}`.trimEnd();
    if (this.#tty) process.stderr.write(`\r\x1b[2K${line}${this.#done === this.total ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  }

  /** Leaves the line as it is (on a terminal, moves below it). */
  end(): void {
    if (this.#tty && this.#done < this.total) process.stderr.write('\n');
  }
}

/**
 * A line saying what a command waits for ("waiting for alice's host (alice/friends)… 4 s"), on stderr:
 * redrawn in place on a terminal; in a log, said when it starts and then every 5 s.
 */
export function waitLine(): { update(message: string, waitedMs: number): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let shown = false;
  let lastLogged = -Infinity;
  return {
    update(message, waitedMs) {
      if (tty) process.stderr.write(`\r\x1b[2K${message}`);
      else if (waitedMs - lastLogged >= 5_000 || !shown) {
        process.stderr.write(`${message}\n`);
        lastLogged = waitedMs;
      }
      shown = true;
    },
    done() {
      if (tty && shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}
