// A member running tiny tasks for bench/members.mjs. Run with TSP2P_HOME and TSP2P_BOOTSTRAP set:
//   node tiny-client.mjs CLUSTER TASKS [WORKERS]
// Joins, says {"event":"ready"}, and on each line "go" on stdin runs one task (its time is the `first`
// figure: cold or warm, depending on what the worker's slot last ran), then TASKS tiny tasks at once.
import { createInterface } from 'node:readline';
import { Cluster } from '../dist/p2p/cluster.js';

const [cluster, tasks, workers = '1'] = process.argv.slice(2);
const say = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const c = await Cluster.join({ cluster });
await c.waitForWorkers(Number(workers), 30_000);
await c.settle();
say({ event: 'ready' });
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'go') break;
  let s = performance.now();
  await c.run({ code: '1' });
  const firstMs = performance.now() - s;
  s = performance.now();
  await Promise.all(Array.from({ length: Number(tasks) }, () => c.run({ code: '1' })));
  const ms = performance.now() - s;
  say({ event: 'done', firstMs, tasks: Number(tasks), ms, perSecond: Number(tasks) / (ms / 1000) });
}
await c.close();
process.exit(0);
