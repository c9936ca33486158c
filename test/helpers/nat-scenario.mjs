// One scenario on the simulated internet (simnet.mjs), run through runInSimnet(): JSON in argv, JSON out.
//   { randomNat: [2], runs: 10, hostAt: 'h1' | 'p3', hostExtra: [], wait: '15s', doctor: true }
// alice hosts alice/friends (in home 1, or on the public machine p3), bob's worker is in home 1, and diana,
// in home 2, runs `tsp2p exec` `runs` times, each a fresh process as a user would: the time to its
// answer, or its error. Prints {"runs": [{ok, ms, error}], ...} on stdout.
import { World } from './cluster.mjs';
import { buildInternet } from './simnet.mjs';

const plan = JSON.parse(process.argv[2] ?? '{}');
const internet = await buildInternet({ randomNat: plan.randomNat ?? [] });
const world = await World.create(['alice', 'bob', 'diana'], { bootstrap: internet.bootstrap });
const out = { runs: [] };
try {
  if (plan.netem) for (const home of [1, 2]) internet.impair(home, plan.netem);
  await world.startHost(['bob', 'diana'], 'alice/friends', { netns: plan.hostAt ?? 'h1', extra: plan.hostExtra ?? [] });
  const worker = world.spawn('bob', ['worker', '--cluster=alice/friends', '--slots', '1'], 'bob worker', { netns: 'h1' });
  await worker.waitFor('worker joined', { timeoutMs: 60_000 });
  for (let i = 0; i < (plan.runs ?? 5); i++) {
    const started = Date.now();
    const r = await world.cli('diana', ['exec', '--cluster=alice/friends', '--wait', plan.wait ?? '15s', ...(plan.execExtra ?? []), 'p2p.worker'], { netns: 'h2', timeoutMs: 120_000, env: plan.env ?? {} });
    out.runs.push({ ok: r.code === 0 && /^bob@/.test(r.stdout), ms: Date.now() - started, error: r.code === 0 ? null : r.stderr.trim().split('\n').slice(-3).join(' | '), ...(plan.env ? { log: r.stderr } : {}) });
    process.stderr.write(`[scenario] run ${i + 1}: ${JSON.stringify(out.runs.at(-1))}\n`);
  }
  if (plan.doctor) {
    const r = await world.cli('diana', ['doctor', '--cluster=alice/friends'], { netns: 'h2', timeoutMs: 60_000 });
    out.doctor = { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }
} finally {
  await world.stop();
  await internet.close();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
