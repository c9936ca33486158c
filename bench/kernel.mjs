// Kernel benchmark: tsp2p beside tslab (the baseline), started and driven by the same client in one run.
//   node bench/kernel.mjs [--runs N] [--launches N] [--json]
// For each kernel: spawn → first kernel_info_reply (median of several launches), first execute just after
// ready, median and p90 round trip of a trivial execute (`1`) and of distinct small cells, a numeric cell
// (a top-level variable updated in a loop), and RSS after the runs. Both kernels run at once and are measured in alternating rounds, so machine noise hits both.
// Goals (issue 2): start-up ≤ 0.4× tslab's; trivial round trip no slower than tslab's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { kernelJson } from '../dist/jupyter/kernelspec.js';
import { launchKernel } from '../dist/jupyter/launcher.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '400' }, launches: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const launches = Number(values.launches);
const require = createRequire(import.meta.url);

const kernels = {
  tslab: { argv: [process.execPath, require.resolve('tslab/bin/tslab'), 'kernel', '--config-path', '{connection_file}'] },
  tsp2p: { argv: kernelJson().argv },
};
const names = Object.keys(kernels);

const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const results = Object.fromEntries(names.map((n) => [n, { startup: [], trivial: [], distinct: [], lost: 0 }]));

// Start-up: alternate launches, each stopped before the next.
for (let i = 0; i < launches; i++) {
  for (const name of names) {
    const k = await launchKernel({ kernel: kernels[name], stderr: 'ignore' });
    results[name].startup.push(k.startupMs);
    await k.stop();
  }
}

// Round trips: both kernels up, alternating rounds of 50.
const running = {};
for (const name of names) {
  running[name] = await launchKernel({ kernel: kernels[name], stderr: 'ignore' });
  const t0 = performance.now();
  await running[name].client.execute('const warm = 1; warm');
  results[name].firstExecuteMs = performance.now() - t0;
}
async function timed(name, code, into) {
  const s = performance.now();
  try {
    await running[name].client.execute(code, { timeoutMs: 5_000 });
    into.push(performance.now() - s);
  } catch {
    results[name].lost += 1;
  }
}
let n = 0;
while (n < runs) {
  for (const name of names) {
    for (let i = 0; i < 50; i++) await timed(name, '1', results[name].trivial);
    for (let i = 0; i < 50; i++) await timed(name, `${n + i} * 2`, results[name].distinct);
  }
  n += 50;
}
// A numeric cell: a top-level variable updated in a loop (each update also writes the cell's exports).
const numeric = 'let acc = 0;\nfor (let i = 0; i < 3e6; i++) acc += Math.sqrt(i);\nacc';
for (const name of names) results[name].numeric = [];
for (let i = 0; i < 6; i++) for (const name of names) await timed(name, numeric, results[name].numeric);
for (const name of names) {
  results[name].numeric.shift(); // the first run compiles
  results[name].rssMb = rssMb(running[name].process.pid);
  await running[name].stop();
}

const summary = Object.fromEntries(names.map((name) => {
  const r = results[name];
  return [name, {
    startupMs: percentile(r.startup, 50),
    firstExecuteMs: r.firstExecuteMs,
    trivialMedianMs: percentile(r.trivial, 50),
    trivialP90Ms: percentile(r.trivial, 90),
    distinctMedianMs: percentile(r.distinct, 50),
    distinctP90Ms: percentile(r.distinct, 90),
    numericMs: percentile(r.numeric, 50),
    rssMb: r.rssMb,
    lostReplies: r.lost,
  }];
}));

if (values.json) {
  process.stdout.write(JSON.stringify({ runs, launches, summary }, null, 2) + '\n');
} else {
  const rows = [
    [`spawn → kernel_info_reply, median of ${launches} (ms)`, 'startupMs'],
    ['first execute after ready (ms)', 'firstExecuteMs'],
    [`trivial execute \`1\` median, n=${runs} (ms)`, 'trivialMedianMs'],
    ['trivial execute p90 (ms)', 'trivialP90Ms'],
    [`distinct small cells median, n=${runs} (ms)`, 'distinctMedianMs'],
    ['distinct small cells p90 (ms)', 'distinctP90Ms'],
    ['numeric cell (3M-step loop), median of 5 (ms)', 'numericMs'],
    ['kernel RSS after the runs (MB)', 'rssMb'],
    ['replies that never came (5 s limit)', 'lostReplies'],
  ];
  const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 0)).padStart(9);
  console.log(`${''.padEnd(46)}${'tslab'.padStart(9)}${'tsp2p'.padStart(9)}   tsp2p/tslab`);
  for (const [label, key] of rows) {
    const [a, b] = [summary.tslab[key], summary.tsp2p[key]];
    console.log(`${label.padEnd(46)}${fmt(a)}${fmt(b)}   ${a ? (b / a).toFixed(2) + 'x' : ''}`);
  }
  const ratio = (k) => summary.tsp2p[k] / summary.tslab[k];
  console.log(`\ngoals: start-up ≤ 0.40x tslab: ${ratio('startupMs').toFixed(2)}x (${ratio('startupMs') <= 0.4 ? 'met' : 'NOT met'}); ` +
    `trivial round trip ≤ 1.00x tslab: ${ratio('trivialMedianMs').toFixed(2)}x (${ratio('trivialMedianMs') <= 1 ? 'met' : 'NOT met'})`);
}
