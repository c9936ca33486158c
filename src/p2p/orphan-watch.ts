/**
 * Ends a slot process whose worker died. A slot runs a task's code on its main thread, and a task in a
 * synchronous loop never lets the IPC pipe's 'disconnect' be seen: a SIGKILLed worker's slot would run its
 * task to the end, orphaned, while the client re-runs it elsewhere (a task run twice). Linux would send a
 * signal on the parent's death (PR_SET_PDEATHSIG), but Node offers no way to ask for it; so a small thread
 * watches the parent pid and kills the process when it changes.
 */
import { Worker } from 'node:worker_threads';

const CHECK_MS = 200;

const WATCHER = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.parent) process.kill(workerData.self, 'SIGKILL');
}, ${CHECK_MS});
`;

export function exitWithParent(): void {
  const worker = new Worker(WATCHER, { eval: true, workerData: { parent: process.ppid, self: process.pid } });
  worker.unref();
}
