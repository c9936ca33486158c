// What an idle cluster costs its members' machines, inside a private network namespace on a local DHT:
// a host and N one-slot workers (bob's, all joined), nothing to do; then the same with a client joined
// (heartbeats between it and every worker). CPU time (the scheduler's, treeCpuMs) per process over a quiet
// window, workers counted with their slot processes.
//   node bench/idle.mjs [--workers 1,8] [--seconds 30] [--settle 40]
// --settle: seconds between the last join and the window (discovery looks often while a cluster forms,
// then once a minute: an idle cluster is one that has settled).
// Goal (issue 13): an idle worker ≤ 1 ms of CPU per second, heartbeats included.
import { parseArgs } from 'node:util';
import { inPrivateNetwork, treeCpuMs } from './setup.mjs';

const { values } = parseArgs({ options: { workers: { type: 'string', default: '1,8' }, seconds: { type: 'string', default: '30' }, settle: { type: 'string', default: '40' } } });
inPrivateNetwork(import.meta.url);
process.env.TSP2P_NETNS = '1';
const { World } = await import('../test/helpers/cluster.mjs');


async function measure(n, withClient) {
  const world = await World.create(['alice', 'bob', 'carol']);
  try {
    const host = await world.startHost(['bob', 'carol'], 'alice/friends');
    const workers = [];
    for (let i = 0; i < n; i++) workers.push(await world.startWorker('bob', { slots: 1 }));
    let client = null;
    if (withClient) {
      client = world.script('carol', 'map-client.mjs', ['alice/friends', JSON.stringify({ mode: 'watch', workers: n })]);
      const deadline = Date.now() + 60_000;
      while (!client.stdout.includes(`"n":${n}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    // Let joining settle (discovery's quick rounds), then measure a quiet window.
    await new Promise((r) => setTimeout(r, Number(values.settle) * 1000));
    const pids = { dht: world.dht.child.pid, host: host.child.pid, workers: workers.map((w) => w.child.pid), client: client?.child.pid };
    const before = { dht: treeCpuMs(pids.dht), host: treeCpuMs(pids.host), workers: pids.workers.map(treeCpuMs), client: client ? treeCpuMs(pids.client) : 0 };
    const seconds = Number(values.seconds);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const perSecond = (a, b) => (b - a) / seconds;
    const workerRates = pids.workers.map((p, i) => perSecond(before.workers[i], treeCpuMs(p)));
    return {
      dht: perSecond(before.dht, treeCpuMs(pids.dht)),
      host: perSecond(before.host, treeCpuMs(pids.host)),
      workerMean: workerRates.reduce((a, b) => a + b, 0) / n,
      workerMax: Math.max(...workerRates),
      client: client ? perSecond(before.client, treeCpuMs(pids.client)) : null,
    };
  } finally {
    await world.stop();
  }
}

console.log(`CPU per second of wall time (ms/s) over ${values.seconds} s, idle ${values.settle} s after joining; goal: a worker ≤ 1 ms/s`);
console.log(`${'setup'.padEnd(28)}${'DHT'.padStart(8)}${'host'.padStart(8)}${'worker avg'.padStart(12)}${'worker max'.padStart(12)}${'client'.padStart(9)}`);
for (const n of values.workers.split(',').map(Number)) {
  for (const withClient of [false, true]) {
    const r = await measure(n, withClient);
    const f = (v) => (v === null ? 'n/a' : v.toFixed(2)).padStart(8);
    console.log(`${`${n} worker(s)${withClient ? ' + a client' : ''}`.padEnd(28)}${f(r.dht)}${f(r.host)}${f(r.workerMean).padStart(12)}${f(r.workerMax).padStart(12)}${f(r.client).padStart(9)}`);
  }
}
