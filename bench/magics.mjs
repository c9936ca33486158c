// The %%p2p round trip as a Jupyter client sees it (execute_request sent → execute_reply and idle back),
// beside a local cell in the same kernel and the same run. Inside a private network namespace, on a local
// DHT with alice hosting alice/friends, bob and carol as workers and diana's kernel joined (all made here).
//   node bench/magics.mjs [--runs N] [--json]
// Goal (issue 4): %%p2p adds at most 3 ms to the median round trip of a local cell.
import { parseArgs } from 'node:util';
import { dianaOnFriends, inPrivateNetwork, progressClock } from './setup.mjs';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, runs: { type: 'string', default: '300' } } });
inPrivateNetwork(import.meta.url);

const runs = Number(values.runs);
const progress = progressClock();
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const cluster = await dianaOnFriends();
try {
  progress('alice hosts alice/friends; bob and carol run workers; diana joined');
  const { client } = cluster;
  await client.execute('const n = 41; const table = new Map([["a", 1]]); function inc(x: number) { return x + 1; }');

  const cells = {
    'local cell `n + 1`': 'n + 1',
    '%%p2p `1`': '%%p2p\n1',
    '%%p2p `inc(n)` (ships a number and a function)': '%%p2p\ninc(n)',
    '%%p2p `console.log(...); table.get("a")`': '%%p2p\nconsole.log("hi"); table.get("a")',
  };
  const times = Object.fromEntries(Object.keys(cells).map((k) => [k, []]));
  const once = async (code) => {
    const t = performance.now();
    const r = await client.execute(code);
    if (r.reply.content.status !== 'ok') throw new Error(`${code}: ${JSON.stringify(r.reply.content)}`);
    return performance.now() - t;
  };
  for (const code of Object.values(cells)) for (let i = 0; i < 20; i++) await once(code); // warm up
  progress(`diana's kernel joined; ${runs} runs of each cell, interleaved`);
  for (let i = 0; i < runs; i++) for (const [label, code] of Object.entries(cells)) times[label].push(await once(code));

  // Numeric work reading built-ins in a loop: a worker's vm context must not make it slower than the kernel.
  const numeric = 'let s = 0; for (let i = 0; i < 3e6; i++) s += Math.sqrt(i) * Math.sin(i); s';
  const numericMs = { local: [], p2p: [] };
  for (let i = 0; i < 6; i++) {
    numericMs.local.push(await once(numeric));
    numericMs.p2p.push(await once(`%%p2p\n${numeric}`));
  }
  progress('numeric cells done');

  const summary = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, { median: percentile(xs, 50), p90: percentile(xs, 90) }]));
  const numericSummary = { local: percentile(numericMs.local.slice(1), 50), p2p: percentile(numericMs.p2p.slice(1), 50) };
  const local = summary['local cell `n + 1`'];
  if (values.json) {
    process.stdout.write(JSON.stringify({ runs, summary, numeric: numericSummary }, null, 2) + '\n');
  } else {
    console.log(`${'round trip seen by the client, n=' + runs}`.padEnd(52) + 'median ms'.padStart(11) + 'p90 ms'.padStart(9) + '  added vs local (median)');
    for (const [label, s] of Object.entries(summary)) {
      const added = s.median - local.median;
      console.log(`${label.padEnd(52)}${s.median.toFixed(2).padStart(11)}${s.p90.toFixed(2).padStart(9)}  ${label.startsWith('local') ? 'baseline' : `+${added.toFixed(2)} ms`}`);
    }
    console.log(`${'numeric cell (Math in a 3M-step loop), median of 5'.padEnd(52)}${'local'.padStart(11)}${'%%p2p'.padStart(9)}`);
    console.log(`${''.padEnd(52)}${numericSummary.local.toFixed(1).padStart(11)}${numericSummary.p2p.toFixed(1).padStart(9)}  ${(numericSummary.p2p / numericSummary.local).toFixed(2)}x local`);
    const worst = Math.max(...Object.entries(summary).filter(([k]) => !k.startsWith('local')).map(([, s]) => s.median - local.median));
    console.log(`\ngoal: %%p2p adds ≤ 3 ms to a local cell's median round trip: +${worst.toFixed(2)} ms (${worst <= 3 ? 'met' : 'NOT met'})`);
  }
} finally {
  await cluster.stop();
}
