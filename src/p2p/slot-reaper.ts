/**
 * Ends a worker's slot processes when the worker dies. A slot runs a task's code on its main thread, and
 * a task in a synchronous loop never lets it see its IPC pipe close: a SIGKILLed worker's slot would run
 * its task to the end, orphaned, while the client re-runs it elsewhere (a task run twice). Linux could
 * signal a child on its parent's death (PR_SET_PDEATHSIG), but Node offers no way to ask for it.
 *
 * So each worker forks this small process and tells it the pid of every slot process it starts and ends.
 * Its own event loop is idle, so it sees the pipe to the worker close the moment the worker dies, and
 * SIGKILLs the slots it knows. Sandboxed slots are covered too (they may not start threads).
 * Runs as a child process: `fork(reaper)`, then messages { pid, alive }.
 */
const slots = new Set<number>();

process.on('message', (message: { pid: number; alive: boolean }) => {
  if (message.alive) slots.add(message.pid);
  else slots.delete(message.pid);
});

process.on('disconnect', () => {
  for (const pid of slots) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(0);
});
