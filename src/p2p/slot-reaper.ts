/**
 * Ends a worker's slot processes when the worker dies. A slot runs a task's code on its main thread, and
 * a task in a synchronous loop never lets it see its IPC pipe close: a SIGKILLed worker's slot would run
 * its task to the end, orphaned, while the client re-runs it elsewhere (a task run twice). Linux could
 * signal a child on its parent's death (PR_SET_PDEATHSIG), but Node offers no way to ask for it.
 *
 * So each worker starts a reaper and tells it the pid of every slot process it starts ("+ PID") and ends
 * ("- PID"). The reaper is a shell blocked on reading that pipe: the moment the worker dies, however, the
 * pipe closes, `read` fails, and it SIGKILLs the slots it knows. A shell, not another Node process: it
 * costs ~1 MB instead of ~40, and only builtins run (no process per message). It covers sandboxed slots
 * too, which may not start threads of their own to watch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createLogger } from '../log.js';

const log = createLogger('worker');

const SCRIPT = `
pids=" "
while read -r op pid; do
  case "$op" in
    +) pids="$pids$pid " ;;
    -) kept=" "; for p in $pids; do [ "$p" = "$pid" ] || kept="$kept$p "; done; pids="$kept" ;;
  esac
done
for p in $pids; do kill -9 "$p" 2>/dev/null; done
`;

export class SlotReaper {
  readonly #shell: ChildProcess;

  constructor() {
    this.#shell = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'inherit'] });
    this.#shell.on('error', (err) => log.warn(`slot reaper: ${err.message}`));
    this.#shell.stdin?.on('error', () => {});
  }

  /** A slot process started (alive) or ended. */
  track(pid: number, alive: boolean): void {
    this.#shell.stdin?.write(`${alive ? '+' : '-'} ${pid}\n`);
  }

  /**
   * The worker is stopping: the reaper ends the slots still listed, then itself. Resolves once it has (at
   * most ~1 s): a worker that exits leaves no process of its own behind.
   */
  async close(): Promise<void> {
    const shell = this.#shell;
    if (shell.exitCode !== null || shell.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1_000);
      shell.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    shell.stdin?.end();
    await exited;
  }
}
