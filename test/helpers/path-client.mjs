// How a member's tasks fare over its path to a worker (bench/nat.mjs): joins CLUSTER, waits for WORKER,
// then times 100 tiny tasks one after another and four 16 MB results of random bytes (which do not
// compress). Prints {"path", "rttMedianMs", "rttP90Ms", "mbPerSecond"}.
import { Cluster } from '../../dist/p2p/cluster.js';

const [cluster, worker] = process.argv.slice(2);
const c = await Cluster.join({ cluster });
await c.waitForWorkers(1, 30_000, worker);
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const rtts = [];
for (let i = 0; i < 110; i++) {
  const started = performance.now();
  await c.run({ code: '1', worker });
  if (i >= 10) rtts.push(performance.now() - started);
}
const code = "const b = new Uint8Array(16 * 1024 * 1024); require('node:crypto').randomFillSync(b); b";
await c.run({ code, worker });
const started = performance.now();
for (let i = 0; i < 4; i++) await c.run({ code, worker });
const mbPerSecond = 64 / ((performance.now() - started) / 1000);
const path = c.workers().find((w) => w.user === worker)?.path ?? 'unknown';
process.stdout.write(`${JSON.stringify({ path, rttMedianMs: sorted(rtts)[50], rttP90Ms: sorted(rtts)[90], mbPerSecond })}\n`);
await c.close();
process.exit(0);
