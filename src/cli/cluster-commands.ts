/** `tsp2p join`, `tsp2p worker`, `tsp2p status`, `tsp2p exec`: using a cluster from a shell. */
import { inspect } from 'node:util';
import { Tsp2pError } from '../errors.js';
import type { Command } from './command.js';
import { bootstrapOption, clusterOption, say, str, untilSignal } from './common.js';

export const joinCommand: Command = {
  spec: {
    name: 'tsp2p join',
    summary: "Join a cluster: redeem an invite, or fetch the roster from its host; it is stored for later use.",
    positionals: [{ name: 'OWNER/NAME', description: 'the cluster, e.g. alice/friends' }],
    options: [{ name: 'invite', type: 'string', placeholder: 'CODE', description: 'the one-time code the host printed for you' }, bootstrapOption],
  },
  async run({ options, positionals }) {
    const { Cluster } = await import('../p2p/cluster.js');
    const cluster = await Cluster.join({ cluster: positionals[0], invite: str(options.invite), bootstrap: str(options.bootstrap) });
    const roster = cluster.roster;
    say(`joined ${cluster.label}: members ${[cluster.label.split('/')[0], ...roster.members.map((m) => m.name)].join(', ')}`);
    await cluster.close();
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
      { name: 'sandbox', type: 'boolean', description: "run tasks under Node's permission model (no file writes, processes or threads); see SECURITY.md" },
      bootstrapOption,
    ],
  },
  async run({ options }) {
    const { availableParallelism } = await import('node:os');
    const { startWorker } = await import('../p2p/cluster.js');
    const slots = typeof options.slots === 'number' ? options.slots : availableParallelism();
    if (!Number.isInteger(slots) || slots < 1) throw Tsp2pError.USAGE('--slots wants a whole number of at least 1');
    const worker = await startWorker({ cluster: str(options.cluster), bootstrap: str(options.bootstrap), slots, sandbox: options.sandbox === true });
    const label = worker.node.ref.label;
    say(`worker joined ${label} with ${slots} slot(s)${options.sandbox ? ' (sandboxed)' : ''}; Ctrl-C stops it`);
    worker.node.network.on('peer', (peer) => say(`connected: ${peer.hello.user}@${peer.hello.host}`));
    worker.node.network.on('close', (peer) => say(`disconnected: ${peer.hello.user}@${peer.hello.host}`));
    worker.node.network.on('revoked', () => say(`you were removed from ${label}: stopping`));
    worker.worker.on('finished', (task, outcome) => say(`task ${task.frame.id.slice(0, 8)} from ${task.peer.hello.user}: ${outcome}`));
    const revoked = new Promise<string>((resolve) => worker.node.network.once('revoked', () => resolve('revoked')));
    const why = await Promise.race([untilSignal(), revoked]);
    await worker.close();
    say('worker stopped');
    return why === 'revoked' ? 1 : 0;
  },
};

const waitOption = { name: 'wait', type: 'duration' as const, placeholder: 'D', description: 'how long to wait for workers to show up' };

export const statusCommand: Command = {
  spec: {
    name: 'tsp2p status',
    summary: "List a cluster's workers: user, host, slots, busy, done.",
    options: [clusterOption, { ...waitOption, description: 'how long to listen for workers (default 3s)' }, { name: 'json', type: 'boolean', description: 'print JSON' }, bootstrapOption],
  },
  async run({ options }) {
    const { Cluster } = await import('../p2p/cluster.js');
    const cluster = await Cluster.join({ cluster: str(options.cluster), bootstrap: str(options.bootstrap) });
    const waitMs = typeof options.wait === 'number' ? options.wait : 3_000;
    await cluster.waitForWorkers(Number.MAX_SAFE_INTEGER, waitMs).catch(() => {});
    const workers = cluster.workers();
    if (options.json) say(JSON.stringify({ cluster: cluster.label, workers }));
    else {
      say(`${cluster.label}: ${workers.length} worker(s), ${workers.reduce((n, w) => n + w.slots, 0)} slot(s)`);
      if (workers.length) say(`${'user'.padEnd(12)} ${'host'.padEnd(20)} ${'slots'.padStart(5)} ${'busy'.padStart(5)} ${'done'.padStart(7)}`);
      for (const w of workers) say(`${w.user.padEnd(12)} ${w.host.padEnd(20)} ${String(w.slots).padStart(5)} ${String(w.running).padStart(5)} ${String(w.done).padStart(7)}`);
    }
    await cluster.close();
    return 0;
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
      { ...waitOption, description: 'how long to wait for a worker (default 15s)' },
      { name: 'worker', type: 'string', placeholder: 'ID|USER', description: 'run on this worker' },
      { name: 'json', type: 'boolean', description: 'print the value as JSON' },
      bootstrapOption,
    ],
    epilog: ['Exits 1 when the task fails (its remote error is printed) or no worker is available.'],
  },
  async run({ options, positionals }) {
    const { Cluster } = await import('../p2p/cluster.js');
    const { RemoteError } = await import('../p2p/remote-error.js');
    const cluster = await Cluster.join({ cluster: str(options.cluster), bootstrap: str(options.bootstrap) });
    try {
      const waitMs = typeof options.wait === 'number' ? options.wait : 15_000;
      await cluster.waitForWorkers(1, waitMs, str(options.worker));
      const task = cluster.run({ code: positionals[0] as string, ...(typeof options.timeout === 'number' ? { timeoutMs: options.timeout } : {}), ...(str(options.worker) ? { worker: str(options.worker) } : {}) });
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
      await cluster.close();
    }
  },
};
