// How the cluster heals, in one run: how fast a killed or frozen worker is noticed (its 10 s task re-run
// elsewhere), and a 500-task map over three workers (2 + 1 + 2 slots) with faults every 1.5 s beside the
// same map with none. Goals: detection ≤ 2 s; the chaos map ≤ 2x the fault-free one; 0 lost, 0 duplicates.
//   node bench/chaos.mjs [--trials N]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { inPrivateNetwork, progressClock } from './setup.mjs';

inPrivateNetwork(import.meta.url);
const { World } = await import('../test/helpers/cluster.mjs');
const { startChaos } = await import('../test/helpers/chaos.mjs');
const { executions } = await import('../test/helpers/executions.mjs');

const trials = Number(process.argv[process.argv.indexOf('--trials') + 1]) || 3;
const progress = progressClock();
const world = await World.create();

const client = (plan) => world.mapClient('diana', plan);
const events = (proc) => proc.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
async function event(proc, predicate, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = events(proc).find(predicate);
    if (found) return found;
    if (Date.now() > deadline || proc.child.exitCode !== null) throw new Error(`no event:\n${proc.output}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  await world.startHost(['bob', 'carol', 'diana']);
  const workers = [
    { user: 'alice', slots: 2 },
    { user: 'bob', slots: 1 },
    { user: 'carol', slots: 2 },
  ];
  for (const w of workers) w.proc = await world.startWorker(w.user, { slots: w.slots });

  const detection = { SIGKILL: [], SIGSTOP: [] };
  for (let trial = 0; trial < trials; trial++) {
    for (const signal of ['SIGKILL', 'SIGSTOP']) {
      const file = path.join(world.dir, `long-${trial}-${signal}.txt`);
      writeFileSync(file, '');
      const run = client({ mode: 'long', ms: 3_000, file, workers: 3 });
      const first = await event(run, (e) => e.event === 'started');
      const victim = workers.find((w) => w.user === first.user);
      const at = Date.now();
      victim.proc.child.kill(signal);
      const second = await event(run, (e) => e.event === 'started' && e.attempt === 2);
      detection[signal].push(second.at - at);
      if (signal === 'SIGSTOP') victim.proc.child.kill('SIGCONT');
      await event(run, (e) => e.event === 'done' || e.event === 'failed');
      if (signal === 'SIGKILL') victim.proc = await world.startWorker(victim.user, { slots: victim.slots });
      else await new Promise((r) => setTimeout(r, 2_500)); // it rejoins before the next trial
      progress(`${signal} trial ${trial + 1}: re-run after ${detection[signal].at(-1)} ms`);
    }
  }

  const maps = {};
  for (const kind of ['fault-free', 'chaos']) {
    const file = path.join(world.dir, `map-${kind}.txt`);
    writeFileSync(file, '');
    const run = client({ mode: 'map', tasks: 500, minMs: 30, maxMs: 90, rounds: 1, file, workers: 3 });
    await event(run, (e) => e.event === 'ready');
    const chaos = kind === 'chaos' ? startChaos(world, workers) : null;
    const summary = await event(run, (e) => e.event === 'summary', 120_000);
    await chaos?.stop();
    const counts = executions(file);
    const starts = [...counts.values()].map((c) => c.start);
    maps[kind] = {
      ms: summary.ms[0],
      faults: chaos?.log.length ?? 0,
      failed: summary.failed.length,
      wrong: summary.wrong,
      missing: 500 - counts.size,
      overAttempts: [...counts].filter(([i, c]) => c.start > summary.attempts[i]).length,
      runsPerTask: (starts.reduce((a, b) => a + b, 0) / 500).toFixed(3),
      reRun: starts.filter((n) => n > 1).length,
    };
    progress(`${kind} map: ${summary.ms[0]} ms`);
    // Everyone back up before the next map.
    await new Promise((r) => setTimeout(r, 2_000));
  }

  const line = (label, values) => `${label.padEnd(34)} ${values}`;
  console.log(`\nFailure detection (a worker running a 3 s task; time until it re-runs elsewhere), ${trials} trials each:`);
  for (const [signal, xs] of Object.entries(detection)) console.log(line(`  ${signal}`, `median ${median(xs)} ms, max ${Math.max(...xs)} ms   (goal ≤ 2000 ms; the issue measured 4700-5900 ms on main)`));
  console.log('\n500 tasks of 30-90 ms over 3 workers (2+1+2 slots):');
  console.log(line('  fault-free', `${maps['fault-free'].ms} ms`));
  console.log(line('  chaos (fault every 1.5 s)', `${maps.chaos.ms} ms, ${maps.chaos.faults} faults, ${(maps.chaos.ms / maps['fault-free'].ms).toFixed(2)}x the fault-free time (goal ≤ 2x)`));
  for (const [kind, m] of Object.entries(maps)) {
    console.log(line(`  ${kind}: results`, `${m.failed} failed, ${m.wrong} wrong, ${m.missing} never ran, ${m.overAttempts} ran more often than their attempts`));
    console.log(line(`  ${kind}: executions`, `${m.runsPerTask} per task (${m.reRun} tasks re-run after a fault)`));
  }
} finally {
  await world.stop();
}
