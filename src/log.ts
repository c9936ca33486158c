/**
 * Diagnostic logging to file descriptor 2, written synchronously. It bypasses `process.stderr` on purpose:
 * the kernel captures process.stdout/stderr for user code, and a log line must never land in a notebook.
 * Set TSP2P_LOG=debug for more, TSP2P_LOG=silent for nothing.
 */
import { writeSync } from 'node:fs';

const LEVELS = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 } as const;
type Level = Exclude<keyof typeof LEVELS, 'silent'>;

function threshold(): number {
  const name = (process.env.TSP2P_LOG ?? 'info') as keyof typeof LEVELS;
  return LEVELS[name] ?? LEVELS.info;
}

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export function createLogger(component: string): Logger {
  const write = (level: Level) => (message: string) => {
    if (LEVELS[level] > threshold()) return;
    // At debug level each line says when, in seconds since the process started: where the time of a slow
    // join went is the question debug logs are read for.
    const when = threshold() >= LEVELS.debug ? ` +${(performance.now() / 1000).toFixed(3)}s` : '';
    const line = `[tsp2p ${component}${when}] ${level === 'info' ? '' : level + ': '}${message}\n`;
    try {
      writeSync(2, line);
    } catch {
      // stderr gone (parent exited): nothing sensible to do with a log line.
    }
  };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug') };
}
