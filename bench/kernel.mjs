// Kernel benchmark: tsp2p beside tslab (the baseline), started and driven by the same client in one run.
//   node bench/kernel.mjs [--runs N] [--launches N] [--user N] [--only-user] [--baseline DIR] [--json]
// --baseline DIR: an earlier tsp2p checkout (built), launched too in the user's view, beside this one.
// For each kernel: spawn → first kernel_info_reply (median of several launches), first execute just after
// ready, median and p90 round trip of a trivial execute (`1`) and of distinct small cells, a numeric cell
// (a top-level variable updated in a loop), and RSS after the runs. Both kernels run at once and are measured in alternating rounds, so machine noise hits both.
// Goals (issue 2): start-up ≤ 0.4× tslab's; trivial round trip no slower than tslab's.
// Then what a user feels (issue 13), through Debian's jupyter_client (bench/first-result.py, --user N
// alternating launches, default 10): spawn → first result of a typed cell sent at once, spawn → its type
// error, and jupyter_client's start_new_kernel. Goals: first result and start_new_kernel ≤ 0.4× tslab's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { kernelJson } from '../dist/jupyter/kernelspec.js';
import { launchKernel } from '../dist/jupyter/launcher.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '400' },
    launches: { type: 'string', default: '5' },
    user: { type: 'string', default: '10' },
    'only-user': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    baseline: { type: 'string' },
  },
});
const runs = Number(values.runs);
const launches = Number(values.launches);
const require = createRequire(import.meta.url);

const kernels = {
  tslab: { argv: [process.execPath, require.resolve('tslab/bin/tslab'), 'kernel', '--config-path', '{connection_file}'] },
  tsp2p: { argv: kernelJson().argv },
};
const names = Object.keys(kernels);

const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
/** A kernel's RSS with its child processes' (tsp2p's TypeScript service runs in one when its snapshot serves). */
const treeRssMb = (pid) => rssMb(pid) + readdirSync('/proc').filter((d) => /^\d+$/.test(d)).reduce((sum, d) => {
  try {
    const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid ? sum + rssMb(Number(d)) : sum;
  } catch {
    return sum;
  }
}, 0);
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** The user's view (see the header), or null when Debian's jupyter_client is not there. */
const viewed = values.baseline ? [...names, 'baseline'] : names;
if (values.baseline) kernels.baseline = { argv: kernels.tsp2p.argv.map((a) => (a.endsWith('dist/cli/main.js') ? path.join(values.baseline, 'dist/cli/main.js') : a)) };
function userView(launches) {
  const python = '/usr/bin/python3';
  if (!existsSync(python) || spawnSync(python, ['-c', 'import jupyter_client']).status !== 0) return null;
  const dir = mkdtempSync(path.join(tmpdir(), 'tsp2p-bench-'));
  try {
    for (const name of viewed) {
      mkdirSync(path.join(dir, 'kernels', `${name}-bench`), { recursive: true });
      writeFileSync(path.join(dir, 'kernels', `${name}-bench`, 'kernel.json'), JSON.stringify({ argv: kernels[name].argv, display_name: name, language: 'typescript' }));
    }
    const r = spawnSync(python, [new URL('./first-result.py', import.meta.url).pathname, String(launches), ...viewed.map((n) => `${n}-bench`)], {
      env: { ...process.env, JUPYTER_PATH: dir, JUPYTER_DATA_DIR: dir },
      // Kernels start where notebooks are: here a directory of their own, not this package's.
      cwd: dir,
      encoding: 'utf8',
      timeout: 1_800_000,
    });
    if (r.status !== 0) throw new Error(`first-result.py failed:\n${r.stderr}`);
    return Object.fromEntries(Object.entries(JSON.parse(r.stdout)).map(([k, v]) => [k.replace(/-bench$/, ''), v]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const user = Number(values.user) > 0 ? userView(Number(values.user)) : null;
if (user) {
  const median = (xs) => percentile(xs, 50);
  const rows = [
    ['spawn → first result (typed cell sent at once)', 'firstResult'],
    ['spawn → first type error', 'firstError'],
    ["jupyter_client's start_new_kernel", 'startNewKernel'],
  ];
  console.log(`what a user feels, ${values.user} alternating launches each (ms: median, [min–max])`);
  for (const [label, key] of rows) {
    const cell = (n) => `${median(user[n][key]).toFixed(0)} [${Math.min(...user[n][key]).toFixed(0)}–${Math.max(...user[n][key]).toFixed(0)}]`;
    const base = values.baseline ? ` baseline ${cell('baseline').padEnd(18)}` : '';
    console.log(`  ${label.padEnd(48)} tslab ${cell('tslab').padEnd(18)}${base} tsp2p ${cell('tsp2p').padEnd(18)} ${(median(user.tsp2p[key]) / median(user.tslab[key])).toFixed(2)}x`);
  }
  const worst = Math.max(...user.tsp2p.startNewKernel) / median(user.tslab.startNewKernel);
  console.log(`  goals: first result ≤ 0.40x (${(median(user.tsp2p.firstResult) / median(user.tslab.firstResult)).toFixed(2)}x); start_new_kernel ≤ 0.40x in every run (slowest ${worst.toFixed(2)}x); wrong replies: tslab ${user.tslab.wrong}, tsp2p ${user.tsp2p.wrong}\n`);
}
if (values['only-user']) process.exit(0);

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
  results[name].rssMb = treeRssMb(running[name].process.pid);
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
    ['kernel RSS after the runs, child processes included (MB)', 'rssMb'],
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
