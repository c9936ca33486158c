// Run as a cluster member (TSP2P_HOME, TSP2P_BOOTSTRAP from the environment) with two 1-slot workers: sends
// a long task and three short ones at once, and prints where and when each ran as JSON. With two tasks in
// flight per worker, one short task first waits behind the long one. Used by test/cluster.test.mjs.
import { Cluster } from '../../dist/p2p/cluster.js';

const cluster = await Cluster.join({ cluster: process.argv[2] });
await cluster.waitForWorkers(2, 15_000);
await cluster.settle();
const t0 = Date.now();
const busy = (ms) => `{ const end = Date.now() + ${ms}; while (Date.now() < end); p2p.worker }`;
const handles = [busy(2500), busy(300), busy(300), busy(300)].map((code) => cluster.run({ code, timeoutMs: 20_000 }));
const runs = await Promise.all(handles.map(async (h) => ({ worker: await h, attempts: h.attempts, doneAt: Date.now() - t0 })));
process.stdout.write(JSON.stringify(runs) + '\n');
await cluster.close();
