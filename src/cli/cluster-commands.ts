/** `tsp2p join`, `tsp2p worker`, `tsp2p status`, `tsp2p exec`: using a cluster from a shell. */
import { inspect } from 'node:util';
import { Tsp2pError } from '../errors.js';
import { numberOption, requiredNumber } from '../options.js';
import { counted } from '../words.js';
import { ActivityLog } from './activity-log.js';
import type { Command } from './command.js';
import type { Cluster } from '../p2p/cluster.js';
import { bootstrapOption, clusterOption, say, str, untilSignal } from './common.js';
import { ORIGIN_ENV, tellParent } from '../background.js';
import { waitLine } from './progress.js';
import { sandboxOptions, sandboxPolicy } from '../sandbox-options.js';

export const waitOption = { name: 'wait', type: 'duration' as const, placeholder: 'D', description: 'how long to wait for the host and a worker', default: '15s' };


/** Joins for a one-shot command: waits for the host (saying so on stderr) until `deadline`. */
export async function joinUntil(options: Record<string, unknown>, deadline: number, cluster = str(options.cluster), invite?: string): Promise<Cluster> {
  const { Cluster: ClusterClass } = await import('../p2p/cluster.js');
  const line = waitLine();
  let phase = 'starting';
  let timer: NodeJS.Timeout | undefined;
  // The whole join is held to the deadline, not only the wait for the host: a one-shot command never
  // hangs silently, and says which step did not finish. (The process exits after the error, join or not.)
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Tsp2pError.JOIN_TIMEOUT(cluster ?? 'your personal cluster', phase)), Math.max(0, deadline - Date.now()) + 2_000);
  });
  try {
    return await Promise.race([
      ClusterClass.join({ cluster, invite, bootstrap: str(options.bootstrap), onPhase: (p) => (phase = p), wait: { waitMs: Math.max(0, deadline - Date.now()), onWait: line.update } }),
      late,
    ]);
  } finally {
    clearTimeout(timer);
    line.done();
  }
}

/**
 * A one-shot command's goodbye: its peers learn at once that it left (their sockets close), and the rest of
 * closing (unannouncing) gets a moment; the process exits right after (main.ts), hyperdht timers or not.
 */
export async function closeSoon(cluster: Cluster): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([cluster.close().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, 150)))]);
  clearTimeout(timer);
}

export const joinCommand: Command = {
  spec: {
    name: 'tsp2p join',
    summary: "Join a cluster: redeem an invite, or fetch the roster from its host; it is stored for later use.",
    positionals: [{ name: 'OWNER/NAME', description: 'the cluster, e.g. alice/friends' }],
    options: [
      { name: 'invite', type: 'string', placeholder: 'CODE', description: 'the one-time code the host printed for you' },
      { ...waitOption, description: 'how long to wait for the host' },
      bootstrapOption,
    ],
  },
  async run({ options, positionals }) {
    const waitMs = requiredNumber(options, 'wait');
    const cluster = await joinUntil(options, Date.now() + waitMs, positionals[0], str(options.invite));
    const roster = cluster.roster;
    say(`joined ${cluster.label}: members ${[cluster.label.split('/')[0], ...roster.members.map((m) => m.name)].join(', ')}`);
    await closeSoon(cluster);
    return 0;
  },
};

export const workerCommand: Command = {
  spec: {
    name: 'tsp2p worker',
    summary: "Add this computer's cores to a cluster: run members' tasks, each slot in its own process.",
    options: [
      clusterOption,
      { name: 'slots', type: 'number', placeholder: 'N', description: 'tasks at once (default: the number of cores)' },
      ...sandboxOptions,
      { name: 'max-value', type: 'size', placeholder: 'SIZE', env: 'TSP2P_MAX_VALUE', description: "the largest task inputs taken, e.g. 64M or 1G (default 256M); a larger task is refused, saying so" },
      bootstrapOption,
    ],
  },
  async run({ options }) {
    const { availableParallelism } = await import('node:os');
    const { startWorker } = await import('../p2p/cluster.js');
    const slots = numberOption(options, 'slots') ?? availableParallelism();
    if (!Number.isInteger(slots) || slots < 1) throw Tsp2pError.USAGE('--slots wants a whole number of at least 1');
    // Started before the host (a boot script, a friend's machine up first): it waits for it, saying so.
    const line = waitLine();
    const abort = new AbortController();
    const stopWaiting = () => abort.abort();
    process.once('SIGINT', stopWaiting);
    process.once('SIGTERM', stopWaiting);
    const maxValue = numberOption(options, 'max-value');
    const sandbox = sandboxPolicy(options);
    let toldWaiting = false;
    const worker = await startWorker({
      cluster: str(options.cluster),
      bootstrap: str(options.bootstrap),
      slots,
      sandbox,
      wait: {
        onWait: (message, waitedMs, host) => {
          if (!toldWaiting) tellParent({ kind: 'waiting', for: host });
          toldWaiting = true;
          line.update(message, waitedMs);
        },
        signal: abort.signal,
      },
      ...(maxValue ? { maxValueBytes: maxValue } : {}),
      // Set by a notebook that starts a worker (%p2p worker), so members' join lines can say so.
      ...(process.env[ORIGIN_ENV] ? { origin: process.env[ORIGIN_ENV] } : {}),
    }).finally(() => {
      line.done();
      process.off('SIGINT', stopWaiting);
      process.off('SIGTERM', stopWaiting);
    });
    const label = worker.node.ref.label;
    const joined = `worker joined ${label} with ${counted(slots, 'slot')}${options.sandbox ? ' (sandboxed)' : ''}`;
    say(`${joined}; Ctrl-C stops it`);
    tellParent({ kind: 'up', cluster: label, said: [joined] });
    worker.node.network.on('peer', (peer) => say(`connected: ${peer.hello.user}@${peer.hello.host}`));
    worker.node.network.on('close', (peer) => say(`disconnected: ${peer.hello.user}@${peer.hello.host}`));
    worker.node.network.on('revoked', () => say(`you were removed from ${label}: stopping`));
    const activity = new ActivityLog(say);
    worker.worker.on('finished', (task, outcome) => activity.finished(task.frame.id.slice(0, 8), task.peer.hello.user, outcome));
    const revoked = new Promise<string>((resolve) => worker.node.network.once('revoked', () => resolve('revoked')));
    const why = await Promise.race([untilSignal(), revoked]);
    activity.flush();
    await worker.close();
    say('worker stopped');
    return why === 'revoked' ? 1 : 0;
  },
};

export const statusCommand: Command = {
  spec: {
    name: 'tsp2p status',
    summary: "List a cluster's workers: user, host, slots, busy, tasks done, failed and cancelled, path.",
    options: [clusterOption, { ...waitOption, description: 'how long to wait for the host and a first worker' }, { name: 'json', type: 'boolean', description: 'print JSON' }, bootstrapOption],
    epilog: ['Once a worker answers it listens a moment longer for others (workers are found one by one).'],
  },
  async run({ options }) {
    const waitMs = requiredNumber(options, 'wait');
    const deadline = Date.now() + waitMs;
    const cluster = await joinUntil(options, deadline);
    try {
      const found = await cluster.waitForWorkers(1, Math.max(0, deadline - Date.now())).then(
        () => true,
        () => false,
      );
      if (found) await cluster.settle(500, Math.min(3_000, Math.max(500, deadline - Date.now())));
      const workers = cluster.workers();
      if (options.json) say(JSON.stringify({ cluster: cluster.label, workers, ...(found ? {} : { found: cluster.diagnosis() }) }));
      else {
        say(`${cluster.label}: ${counted(workers.length, 'worker')}, ${counted(workers.reduce((n, w) => n + w.slots, 0), 'slot')}`);
        const counts = (w: { done: number; failed: number; cancelled: number }) => [w.done, w.failed, w.cancelled].map((n) => String(n).padStart(9)).join(' ');
        if (workers.length) say(`${'user'.padEnd(12)} ${'host'.padEnd(20)} ${'slots'.padStart(5)} ${'busy'.padStart(5)} ${['done', 'failed', 'cancelled'].map((h) => h.padStart(9)).join(' ')}  path`);
        for (const w of workers) say(`${w.user.padEnd(12)} ${w.host.padEnd(20)} ${String(w.slots).padStart(5)} ${String(w.running).padStart(5)} ${counts(w)}  ${w.path}`);
        if (!found) say(`no worker within ${Math.round(waitMs / 1000)} s: ${cluster.diagnosis()}`);
      }
      return found ? 0 : 1;
    } finally {
      await closeSoon(cluster);
    }
  },
};

export const execCommand: Command = {
  spec: {
    name: 'tsp2p exec',
    summary: 'Run one JavaScript expression on a worker of the cluster and print its value.',
    positionals: [{ name: 'CODE', description: "JavaScript, e.g. 'process.pid'; the last statement's value is printed" }],
    options: [
      clusterOption,
      { name: 'timeout', type: 'duration', placeholder: 'D', description: 'stop the task after this long (default: none)' },
      { ...waitOption, description: 'how long to wait for the host and for a worker to start the task' },
      { name: 'worker', type: 'string', placeholder: 'ID|USER', description: 'run on this worker' },
      { name: 'json', type: 'boolean', description: 'print the value as JSON' },
      bootstrapOption,
    ],
    epilog: ['Exits 1 when the task fails (its remote error is printed) or no worker is available.'],
  },
  async run({ options, positionals }) {
    const { RemoteError } = await import('../errors.js');
    const waitMs = requiredNumber(options, 'wait');
    const deadline = Date.now() + waitMs;
    const cluster = await joinUntil(options, deadline);
    try {
      await cluster.waitForWorkers(1, Math.max(0, deadline - Date.now()), str(options.worker)).catch((err: unknown) => {
        // One deadline for the whole wait: say how long it was in all.
        throw (err as { code?: string }).code === 'NO_WORKERS' ? cluster.noWorkers(waitMs, str(options.worker)) : err;
      });
      const task = cluster.run({
        code: positionals[0] as string,
        // --wait covers a worker starting it, too: a task nobody starts is an error that says why, not a hang.
        startWithinMs: Math.max(1_000, deadline - Date.now()),
        ...(numberOption(options, 'timeout') !== undefined ? { timeoutMs: numberOption(options, 'timeout') } : {}),
        ...(str(options.worker) ? { worker: str(options.worker) } : {}),
      });
      task.on('stream', (name, text) => process[name].write(text));
      try {
        const value = await task;
        say(options.json ? JSON.stringify(value) : typeof value === 'string' ? value : inspect(value, { depth: 6, colors: process.stdout.isTTY === true }));
      } catch (err) {
        if (err instanceof RemoteError) {
          process.stderr.write(`${err.remoteStack || `${err.ename}: ${err.evalue}`}\n  (on ${err.worker})\n`);
          return 1;
        }
        throw err;
      }
      return 0;
    } finally {
      await closeSoon(cluster);
    }
  },
};
