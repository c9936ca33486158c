// Faults for the chaos test and bench/chaos.mjs: every `everyMs` a random worker or one of its slot
// processes is SIGKILLed or SIGSTOPped, and `downMs` later restarted (a new `tsp2p worker`) or continued.
import { readdirSync, readFileSync } from 'node:fs';

/** The slot processes of a worker: its children running task-child.js (not its reaper, nor anything else). */
function childrenOf(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('task-child')) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Whether `pid` is still `worker`'s process or one of its slots (pids are reused: never signal a stranger). */
function stillOurs(worker, pid) {
  return pid === worker.proc.pid ? worker.proc.child.exitCode === null && worker.proc.child.signalCode === null : childrenOf(worker.proc.pid).includes(pid);
}

const pick = (list) => list[Math.floor(Math.random() * list.length)];

/**
 * workers: [{ user, slots, proc }] (proc from World.spawn/startWorker; replaced when restarted).
 * Returns { stop(): Promise<void>, log: string[] }.
 */
export function startChaos(world, workers, { everyMs = 1_500, downMs = 1_000, cluster = 'alice/friends' } = {}) {
  const log = [];
  const pending = new Set();
  let stopped = false;
  const later = (fn) => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      fn();
    }, downMs);
    pending.add(timer);
  };
  const fault = () => {
    if (stopped) return;
    const worker = pick(workers.filter((w) => w.proc.child.exitCode === null && w.proc.child.signalCode === null && !w.down));
    if (!worker) return;
    const target = pick(['worker', 'slot']);
    const signal = pick(['SIGKILL', 'SIGSTOP']);
    const pid = target === 'worker' ? worker.proc.pid : pick(childrenOf(worker.proc.pid));
    if (!pid) return;
    if (!stillOurs(worker, pid)) return;
    log.push(`${Date.now()} ${signal} ${worker.user}'s ${target} ${pid}`);
    worker.down = true;
    try {
      process.kill(pid, signal);
    } catch {
      worker.down = false;
      return;
    }
    const ownerPid = worker.proc.pid;
    later(() => {
      worker.down = false;
      if (signal === 'SIGSTOP') {
        try {
          // A stopped process cannot have ended, so the pid is still the one stopped, unless its parent was
          // killed meanwhile; continue it only if it is still a process of that worker.
          if (pid === ownerPid || childrenOf(ownerPid).includes(pid)) process.kill(pid, 'SIGCONT');
        } catch {
          // it ended meanwhile
        }
      } else if (target === 'worker') {
        worker.proc = world.spawn(worker.user, ['worker', `--cluster=${cluster}`, '--slots', String(worker.slots)], `${worker.user} worker`);
      }
    });
  };
  const timer = setInterval(fault, everyMs);
  return {
    log,
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const t of pending) clearTimeout(t);
      // Leave nothing of ours stopped behind.
      for (const w of workers) {
        for (const pid of [w.proc.pid, ...childrenOf(w.proc.pid)]) {
          try {
            process.kill(pid, 'SIGCONT');
          } catch {
            // gone
          }
        }
      }
    },
  };
}
