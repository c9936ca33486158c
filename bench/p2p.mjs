// Transport benchmark, inside a private network namespace on a local DHT (made here): a raw Hyperswarm echo
// (the baseline) beside tsp2p in one run.
//   node bench/p2p.mjs [--json] [--workers 2,8,24 [--task CODE]]
// Goals (issues 3, 13): single-task round trip median ≤ 1 ms and p90 ≤ 2 ms; tiny tasks over two workers
// ≥ 2,000/s; binary results ≥ 0.6x the raw transfer rate; idle worker RSS ≤ 80 MB.
// --workers: a sweep over clusters of N one-slot workers (only that, then): the client's join (until it
// sees all N), tiny-task throughput against the first N's, and an idle worker's CPU with the client
// joined, heartbeats included. Goals: 8 workers ≥ 0.8x and 24 ≥ 0.6x the 2-worker throughput; an idle
// worker ≤ 1 ms of CPU a second. --task: the sweep's task (default `1`), e.g. one that waits a few ms.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { inPrivateNetwork, progressClock } from './setup.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, workers: { type: 'string' }, task: { type: 'string', default: '1' } } });
inPrivateNetwork(import.meta.url);
if (values.workers) {
  const { sweep } = await import('./p2p-sweep.mjs');
  await sweep(values.workers.split(',').map(Number), { json: values.json, task: values.task });
  process.exit(0);
}

const { default: createTestnet } = await import('hyperdht/testnet.js');
const { default: Hyperswarm } = await import('hyperswarm');
const MB = 1024 * 1024;
const progress = progressClock();
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const childrenOf = (pid) => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
  try {
    const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
  } catch {
    return false;
  }
}).map(Number);

function waitForLine(child, text) {
  return new Promise((resolve, reject) => {
    let out = '';
    // Stops listening once found: what the process prints later (a worker's task lines) is not ours to keep.
    const onData = (d) => {
      out += d;
      if (out.includes(text)) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before "${text}": ${out}`)));
  });
}

const testnet = await createTestnet(3);
const bootstrap = testnet.bootstrap.map((b) => `${b.host}:${b.port}`).join(',');
const results = { baseline: {}, tsp2p: {} };

// ---- baseline: raw Hyperswarm echo between two processes ----
{
  const topic = randomBytes(32);
  const peer = spawn(process.execPath, [path.join(here, 'echo-peer.mjs'), bootstrap, topic.toString('hex')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await waitForLine(peer, 'ready');
  const swarm = new Hyperswarm({ bootstrap: testnet.bootstrap });
  const connected = new Promise((resolve) => swarm.once('connection', resolve));
  swarm.join(topic, { server: false, client: true });
  const socket = await connected;
  socket.on('error', () => {});
  const roundTrip = async (payload) =>
    new Promise((resolve) => {
      let got = 0;
      const onData = (d) => {
        got += d.length;
        if (got >= payload.length) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.write(payload);
    });
  const small = Buffer.alloc(32, 1);
  for (let i = 0; i < 200; i++) await roundTrip(small);
  const rtts = [];
  for (let i = 0; i < 1000; i++) {
    const s = performance.now();
    await roundTrip(small);
    rtts.push(performance.now() - s);
  }
  progress('raw round trips done');
  results.baseline.rttMedianMs = percentile(rtts, 50);
  results.baseline.rttP90Ms = percentile(rtts, 90);
  // One way: the peer sends N bytes (as a task result travels).
  const oneWay = async (n) => {
    const s = performance.now();
    await new Promise((resolve) => {
      let got = 0;
      const onData = (d) => {
        got += d.length;
        if (got >= n) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      const ask = Buffer.alloc(5);
      ask[0] = 0xff;
      ask.writeUInt32BE(n, 1);
      socket.write(ask);
    });
    return n / MB / ((performance.now() - s) / 1000);
  };
  await oneWay(8 * MB);
  results.baseline.oneWayMBps = await oneWay(128 * MB);
  // Echo: send N bytes, count them back.
  const s = performance.now();
  await new Promise((resolve) => {
    const total = 64 * MB;
    let got = 0;
    const onData = (d) => {
      got += d.length;
      if (got >= total) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    const chunk = Buffer.alloc(64 * 1024, 3);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!socket.write(chunk)) return socket.once('drain', pump);
      }
    };
    pump();
  });
  results.baseline.echoMBps = 64 / ((performance.now() - s) / 1000);
  progress('raw transfers done');
  await swarm.destroy();
  peer.kill();
}

// ---- tsp2p: two workers (separate processes), a client here, your personal cluster ----
{
  const home = mkdtempSync(path.join(tmpdir(), 'tsp2p-bench-'));
  process.env.TSP2P_HOME = home;
  process.env.TSP2P_BOOTSTRAP = bootstrap;
  const cli = path.join(here, '..', 'dist', 'cli', 'main.js');
  const workers = [0, 1].map(() => spawn(process.execPath, [cli, 'worker', '--slots', '1'], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] }));
  // Whatever happens to this run, its workers end with it.
  process.on('exit', () => workers.forEach((w) => w.kill('SIGKILL')));
  await Promise.all(workers.map((w) => waitForLine(w, 'worker joined')));
  const { Cluster } = await import('../dist/p2p/cluster.js');
  const cluster = await Cluster.join({ bootstrap });
  await cluster.waitForWorkers(2, 30_000);
  progress('tsp2p: two workers connected');
  // Idle RSS: each worker process, and with its slot process.
  const idle = workers.map((w) => ({ worker: rssMb(w.pid), slots: childrenOf(w.pid).reduce((n, pid) => n + rssMb(pid), 0) }));
  results.tsp2p.idleWorkerRssMb = Math.max(...idle.map((i) => i.worker));
  results.tsp2p.idleWorkerWithSlotRssMb = Math.max(...idle.map((i) => i.worker + i.slots));

  for (let i = 0; i < 300; i++) await cluster.run({ code: '1' });
  const rtts = [];
  for (let i = 0; i < 1000; i++) {
    const s = performance.now();
    await cluster.run({ code: '1' });
    rtts.push(performance.now() - s);
  }
  progress('tsp2p round trips done');
  results.tsp2p.rttMedianMs = percentile(rtts, 50);
  results.tsp2p.rttP90Ms = percentile(rtts, 90);

  const burst = async (n) => {
    const s = performance.now();
    await Promise.all(Array.from({ length: n }, () => cluster.run({ code: '1' })));
    return n / ((performance.now() - s) / 1000);
  };
  await burst(2000);
  results.tsp2p.tasksPerSecond = await burst(20_000);
  progress('tsp2p throughput done');

  // Random bytes, which do not compress: the transfer rate itself (values of 32 KiB and up travel
  // compressed when that pays). Filling 16 MB takes the task ~15 ms of the ~200 ms each result takes.
  const size = 16 * MB;
  const code = `const b = new Uint8Array(${size}); require('node:crypto').randomFillSync(b); b`;
  await cluster.run({ code });
  // One 16 MB result at a time (the transfer rate), then eight at once (a map over the cluster, on 2 cores).
  let s = performance.now();
  let bytes = 0;
  for (let i = 0; i < 8; i++) bytes += (await cluster.run({ code })).byteLength;
  results.tsp2p.binaryMBps = bytes / MB / ((performance.now() - s) / 1000);
  s = performance.now();
  const values = await Promise.all(Array.from({ length: 8 }, () => cluster.run({ code })));
  results.tsp2p.binaryConcurrentMBps = values.reduce((n, v) => n + v.byteLength, 0) / MB / ((performance.now() - s) / 1000);
  // Data that compresses (16 MB of Mandelbrot-like iteration counts: runs of equal values).
  const counts = `const c = new Uint16Array(${size / 2}); for (let i = 0; i < c.length; i++) c[i] = Math.floor(Math.sqrt(i % 1200) * 9); c`;
  await cluster.run({ code: counts });
  s = performance.now();
  bytes = 0;
  for (let i = 0; i < 8; i++) bytes += (await cluster.run({ code: counts })).byteLength;
  results.tsp2p.compressibleMBps = bytes / MB / ((performance.now() - s) / 1000);
  progress('tsp2p binary results done');

  await cluster.close();
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  rmSync(home, { recursive: true, force: true });
}
await testnet.destroy();

if (values.json) {
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
} else {
  const b = results.baseline;
  const t = results.tsp2p;
  const f = (v, d = 2) => v.toFixed(d).padStart(10);
  console.log(`${''.padEnd(44)}${'raw swarm'.padStart(10)}${'tsp2p'.padStart(10)}   goal`);
  console.log(`${'round trip median (ms)'.padEnd(44)}${f(b.rttMedianMs, 3)}${f(t.rttMedianMs, 3)}   ≤ 2 ms`);
  console.log(`${'round trip p90 (ms)'.padEnd(44)}${f(b.rttP90Ms, 3)}${f(t.rttP90Ms, 3)}   ≤ 2 ms`);
  console.log(`${'tiny tasks over two workers (tasks/s)'.padEnd(44)}${''.padStart(10)}${f(t.tasksPerSecond, 0)}   ≥ 2000`);
  console.log(`${'binary results vs echo (MB/s of payload)'.padEnd(44)}${f(b.echoMBps, 1)}${f(t.binaryMBps, 1)}   ≥ 0.6x: ${(t.binaryMBps / b.echoMBps).toFixed(2)}x`);
  console.log(`${'binary results vs one-way transfer (MB/s)'.padEnd(44)}${f(b.oneWayMBps, 1)}${f(t.binaryMBps, 1)}   (${(t.binaryMBps / b.oneWayMBps).toFixed(2)}x)`);
  console.log(`${'  eight 16 MB results at once (MB/s)'.padEnd(44)}${''.padStart(10)}${f(t.binaryConcurrentMBps, 1)}`);
  console.log(`${'  16 MB results that compress (MB/s)'.padEnd(44)}${''.padStart(10)}${f(t.compressibleMBps, 1)}`);
  console.log(`${'idle worker RSS (MB)'.padEnd(44)}${''.padStart(10)}${f(t.idleWorkerRssMb, 0)}   ≤ 80`);
  console.log(`${'idle worker + its slot process RSS (MB)'.padEnd(44)}${''.padStart(10)}${f(t.idleWorkerWithSlotRssMb, 0)}`);
}
