// A cluster member that runs tasks and reports what happened, for the healing and chaos tests and
// bench/chaos.mjs. Run with TSP2P_HOME and TSP2P_BOOTSTRAP set:
//   node map-client.mjs CLUSTER JSON
// JSON: { mode: 'map', tasks, minMs, maxMs, rounds, file, workers, maxAttempts }   (maps of busy tasks)
//       { mode: 'long', ms, file, workers, tasks }                                  (long tasks, default one)
//       { mode: 'one', code, worker, workers }  (one task on that worker, then one on another)
//       { mode: 'watch', workers }              (says each change of workers(), until killed)
//       { mode: 'close', workers }              (runs a task, closes, and lists what keeps the process alive)
// Each task appends "start I" to `file` when it begins and "end I" when it ends, so the test counts
// executions, not just results. Events and the summary are JSON lines on stdout.
import { Cluster } from '../../dist/p2p/cluster.js';

const [cluster, json] = process.argv.slice(2);
const plan = JSON.parse(json);
const say = (event) => process.stdout.write(`${JSON.stringify({ at: Date.now(), ...event })}\n`);

const CODE = `
require('fs').appendFileSync(file, 'start ' + index + '\\n');
{ const end = Date.now() + ms; while (Date.now() < end); }
require('fs').appendFileSync(file, 'end ' + index + '\\n');
index * 2`;

let moved = 0;
const c = await Cluster.join({ cluster });
await c.waitForWorkers(plan.workers ?? 1, 30_000);
await c.settle();
say({ event: 'ready', workers: c.workers().length });

function task(index, ms) {
  const handle = c.run({ code: CODE, globals: { index, ms, file: plan.file }, ...(plan.maxAttempts ? { maxAttempts: plan.maxAttempts } : {}) });
  handle.on('started', (w) => say({ event: 'started', index, worker: w.id, user: w.user, attempt: handle.attempts }));
  // Back in the queue without a failure: it was taken back from a busy worker (withdrawn) to move.
  let sent = false;
  handle.on('status', (status) => {
    if (status === 'sent') sent = true;
    else if (status === 'queued' && sent) moved += 1;
  });
  return handle;
}

if (plan.mode === 'one') {
  // One task on a given worker, then one anywhere else; reports the first one's error and the peak RSS.
  let error = null;
  try {
    await c.run({ code: plan.code, worker: plan.worker });
  } catch (err) {
    error = err.message;
  }
  const honest = c.workers().find((w) => w.user !== plan.worker);
  const after = honest ? await c.run({ code: '6 * 7', worker: honest.id }) : null;
  say({ event: 'one', error, after, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
} else if (plan.mode === 'watch') {
  let last = '';
  setInterval(() => {
    const ids = c.workers().map((w) => w.id).sort();
    if (ids.join() !== last) say({ event: 'workers', n: ids.length, users: c.workers().map((w) => w.user).sort() });
    last = ids.join();
  }, 20);
  await new Promise(() => {});
} else if (plan.mode === 'close') {
  await c.run({ code: '1 + 1' });
  await c.close();
  // What is left should let the process end by itself: no timers, no sockets.
  say({ event: 'left', resources: process.getActiveResourcesInfo() });
  process.exit(0);
} else if (plan.mode === 'long') {
  const handles = Array.from({ length: plan.tasks ?? 1 }, (_, i) => task(i, plan.ms));
  for (const handle of handles) {
    try {
      const value = await handle;
      say({ event: 'done', value, attempts: handle.attempts, worker: handle.worker?.id });
    } catch (err) {
      say({ event: 'failed', error: err.message, attempts: handle.attempts });
    }
  }
} else {
  let index = 0;
  const summary = { tasks: 0, wrong: 0, failed: [], attempts: {}, ms: [] };
  for (let round = 0; round < (plan.rounds ?? 1); round++) {
    const started = performance.now();
    const handles = [];
    for (let i = 0; i < plan.tasks; i++) {
      const ms = plan.minMs + Math.floor(Math.random() * (plan.maxMs - plan.minMs + 1));
      handles.push([index, task(index, ms)]);
      index += 1;
    }
    const settled = await Promise.allSettled(handles.map(([, h]) => h.result));
    settled.forEach((outcome, k) => {
      const [i, h] = handles[k];
      summary.tasks += 1;
      summary.attempts[i] = h.attempts;
      if (outcome.status === 'rejected') summary.failed.push({ index: i, error: outcome.reason.message });
      else if (outcome.value !== i * 2) summary.wrong += 1;
    });
    summary.ms.push(Math.round(performance.now() - started));
    say({ event: 'round', round, ms: summary.ms.at(-1) });
  }
  say({ event: 'summary', ...summary, moved });
}
await c.close();
process.exit(0);
