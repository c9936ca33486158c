// Connecting across home NATs, on the simulated internet of the tests (test/helpers/simnet.mjs), in one run:
// for each kind of home, `tsp2p exec` from home 2 to bob's worker in home 1, each a fresh process as a user
// runs it: how many answered within the wait, and the time to the answer (p50/p90); then a task's round
// trip and 16 MB results, direct vs relayed. Then the same with packet loss at both homes' routers (delay
// would need tc netem, which this VM's kernel lacks).
// Goals (issue 12): one randomizing home ≥ 19/20, p50 ≤ 3 s; both randomizing (relayed) 20/20, p50 ≤ 3 s.
//   node bench/nat.mjs [--runs N] [--loss PERCENT] [--only-loss | --no-loss] [--only TEXT] [--baseline DIR]
//   (root, iptables, iproute2); --only: the scenarios whose name contains TEXT.
// --baseline DIR: a checkout of an earlier tsp2p (built, with this one's test/helpers copied in); each
// scenario it can run (it may have no relay) runs there too, right after this one's, and is printed beside.
import { runInSimnet, simnetUnavailable } from '../test/helpers/simnet.mjs';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const runs = Number(arg('--runs', 20));
const loss = Number(arg('--loss', 1));
const unavailable = simnetUnavailable();
if (unavailable) {
  process.stderr.write(`bench/nat.mjs: ${unavailable}\n`);
  process.exit(1);
}
const SCENARIO = new URL('../test/helpers/nat-scenario.mjs', import.meta.url);
const baseline = arg('--baseline', null);
const KINDS = [
  ['both homes keep ports', {}],
  ['home 2 randomizes ports', { randomNat: [2] }],
  ['both randomize, no relay', { randomNat: [1, 2], hostAt: 'p3' }],
  ['home 2 randomizes, relay on a public host', { randomNat: [2], hostAt: 'p3', hostExtra: ['--relay'] }],
  ['both randomize, relay on a public host', { randomNat: [1, 2], hostAt: 'p3', hostExtra: ['--relay'] }],
];
const percentile = (xs, p) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN);
const started = performance.now();

function run(plan, scenario = SCENARIO) {
  const r = runInSimnet(scenario, [JSON.stringify(plan)], { timeoutMs: 3_600_000 });
  if (r.code !== 0) throw new Error(`scenario ${JSON.stringify(plan)} failed:\n${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

for (const impaired of process.argv.includes('--only-loss') ? [loss] : process.argv.includes('--no-loss') ? [null] : [null, loss]) {
  console.log(`\n${impaired ? `${impaired}% of packets lost at both homes' routers` : 'no loss'}; ${runs} runs each, exec --wait 20s`);
  console.log(`${'scenario'.padEnd(44)}${'answered'.padStart(10)}${'p50 (s)'.padStart(9)}${'p90 (s)'.padStart(9)}   task round trip   16 MB results   path`);
  for (const [label, kind] of KINDS.filter(([label]) => label.includes(arg('--only', '')))) {
    // Without a relay, two randomizing homes never connect (hyperdht says so at once): a few runs show it.
    const plan = { ...kind, runs: kind.randomNat?.length === 2 && !kind.hostExtra ? Math.min(runs, 3) : runs, wait: '20s', measure: true, ...(impaired ? { lossPercent: impaired } : {}) };
    const rows = [['', run(plan)]];
    if (baseline && !kind.hostExtra) rows.push([' (baseline)', run(plan, new URL(`file://${baseline}/test/helpers/nat-scenario.mjs`))]);
    for (const [which, out] of rows) {
      const ok = out.runs.filter((r) => r.ok).map((r) => r.ms / 1000);
      const m = out.measure ?? {};
      const trip = m.rttMedianMs ? `${m.rttMedianMs.toFixed(2)} ms (p90 ${m.rttP90Ms.toFixed(2)})` : 'n/a';
      const rate = m.mbPerSecond ? `${m.mbPerSecond.toFixed(1)} MB/s` : 'n/a';
      const path = m.path ?? (m.error ? 'no worker reached' : '');
      console.log(`${(label + which).padEnd(44)}${`${ok.length}/${out.runs.length}`.padStart(10)}${percentile(ok, 50).toFixed(2).padStart(9)}${percentile(ok, 90).toFixed(2).padStart(9)}   ${trip.padEnd(22)}${rate.padEnd(16)}${path}`);
    }
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${label} done\n`);
  }
}
