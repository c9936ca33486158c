// bench/p2p.mjs --workers N,M,...: how the cost of a cluster grows with its size, in one run on a local
// DHT (made here). For each N: N one-slot workers (separate processes, started together), a client joining
// (spawn of the join → it sees all N), tiny tasks (`1`) in bursts over all of them (with the CPU a task
// costs the client and the workers with their slot processes), then an idle window with the client
// joined: each worker's CPU (with its slot process) per second, heartbeats included.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, progressClock, treeCpuMs } from './setup.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'cli', 'main.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function joined(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      if (out.includes('worker joined')) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`a worker exited (${code}) before joining: ${out}`)));
  });
}

async function measure(n, bootstrap, progress, task) {
  const home = mkdtempSync(path.join(tmpdir(), 'tsp2p-sweep-'));
  const env = { ...process.env, TSP2P_HOME: home, TSP2P_BOOTSTRAP: bootstrap };
  process.env.TSP2P_HOME = home;
  const workers = Array.from({ length: n }, () => spawn(process.execPath, [cli, 'worker', '--slots', '1'], { env, stdio: ['ignore', 'pipe', 'inherit'] }));
  const kill = () => workers.forEach((w) => w.kill('SIGKILL'));
  process.on('exit', kill);
  try {
    await Promise.all(workers.map(joined));
    const { Cluster } = await import('../dist/p2p/cluster.js');
    const started = performance.now();
    const cluster = await Cluster.join({ bootstrap });
    await cluster.waitForWorkers(n, 60_000);
    const joinMs = performance.now() - started;
    progress(`${n} workers: the client saw them all after ${Math.round(joinMs)} ms`);
    const burst = async (tasks) => {
      const s = performance.now();
      await Promise.all(Array.from({ length: tasks }, () => cluster.run({ code: task })));
      return tasks / ((performance.now() - s) / 1000);
    };
    // Warm: a thousand tasks per worker first (a long-running worker's code is optimised; a fresh one's not yet).
    await burst(Math.max(2_000, n * 1_000));
    const rates = [];
    // Where a task's CPU goes: this client, and the workers with their slot processes (all of it, per task).
    const clientBefore = process.cpuUsage();
    const workersBefore = workers.reduce((sum, w) => sum + treeCpuMs(w.pid), 0);
    const ownBefore = workers.reduce((sum, w) => sum + cpuMs(w.pid), 0);
    const doneBefore = new Map(cluster.workers().map((w) => [w.id, w.done]));
    const tasks = 3 * Math.max(6_000, n * 500);
    for (let i = 0; i < 3; i++) rates.push(await burst(tasks / 3));
    const clientCpu = process.cpuUsage(clientBefore);
    const clientMsPerTask = (clientCpu.user + clientCpu.system) / 1000 / tasks;
    const workerMsPerTask = (workers.reduce((sum, w) => sum + treeCpuMs(w.pid), 0) - workersBefore) / tasks;
    const tasksPerSecond = rates.sort((a, b) => a - b)[1];
    // The worker processes apart from their slots, and how many workers ran a share of them (the client
    // spreads short tasks only as far as it pays: src/p2p/spread.ts).
    const ownMsPerTask = (workers.reduce((sum, w) => sum + cpuMs(w.pid), 0) - ownBefore) / tasks;
    const ran = cluster.workers().map((w) => w.done - (doneBefore.get(w.id) ?? 0));
    const used = ran.filter((d) => d >= tasks / n / 10).length;
    progress(`${n} workers: ${Math.round(tasksPerSecond)} tasks/s (median of 3 bursts), ${used} of them ran a tenth of a fair share or more; CPU ms/task: worker processes ${ownMsPerTask.toFixed(3)}, slots ${(workerMsPerTask - ownMsPerTask).toFixed(3)}`);
    // Idle, client joined: let the bursts' aftermath and discovery's quick rounds settle, then a quiet window.
    await sleep(20_000);
    const seconds = 15;
    const before = workers.map((w) => treeCpuMs(w.pid));
    await sleep(seconds * 1000);
    const perSecond = workers.map((w, i) => (treeCpuMs(w.pid) - before[i]) / seconds);
    await cluster.close();
    return { workers: n, joinMs, tasksPerSecond, clientMsPerTask, workerMsPerTask, idleWorkerMsPerS: perSecond.reduce((a, b) => a + b, 0) / n, idleWorkerMaxMsPerS: Math.max(...perSecond) };
  } finally {
    kill();
    process.off('exit', kill);
    await Promise.all(workers.map((w) => (w.exitCode === null && w.signalCode === null ? new Promise((r) => w.once('exit', r)) : null)));
    rmSync(home, { recursive: true, force: true });
  }
}

export async function sweep(sizes, { json, task = '1' }) {
  const { default: createTestnet } = await import('hyperdht/testnet.js');
  const testnet = await createTestnet(3);
  const bootstrap = testnet.bootstrap.map((b) => `${b.host}:${b.port}`).join(',');
  const progress = progressClock();
  const rows = [];
  for (const n of sizes) rows.push(await measure(n, bootstrap, progress, task));
  await testnet.destroy();
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const first = rows[0];
  const goal = (n) => (n >= 24 ? 0.6 : n >= 8 ? 0.8 : null);
  console.log(`${'workers'.padEnd(9)}${'join (ms)'.padStart(10)}${'tasks/s'.padStart(10)}${`vs ${first.workers}`.padStart(9)}${'goal'.padStart(7)}${'CPU ms/task: client'.padStart(21)}${'workers'.padStart(9)}${'idle worker CPU (ms/s): mean'.padStart(31)}${'max'.padStart(6)}   goal ≤ 1`);
  for (const r of rows) {
    const ratio = r.tasksPerSecond / first.tasksPerSecond;
    const g = goal(r.workers);
    console.log(`${String(r.workers).padEnd(9)}${r.joinMs.toFixed(0).padStart(10)}${r.tasksPerSecond.toFixed(0).padStart(10)}${`${ratio.toFixed(2)}x`.padStart(9)}${(g ? `≥ ${g}` : '').padStart(7)}${r.clientMsPerTask.toFixed(3).padStart(21)}${r.workerMsPerTask.toFixed(3).padStart(9)}${r.idleWorkerMsPerS.toFixed(2).padStart(31)}${r.idleWorkerMaxMsPerS.toFixed(2).padStart(6)}`);
  }
}
