// The Mandelbrot notebook's work (3x3 tiles of 400 px, preset 1, 512 iterations unless --max-iter), timed three ways in one
// run through diana's kernel: computed locally in the kernel, on one worker, and on two workers. Inside a
// private network namespace, on a local DHT with alice hosting and bob and carol running a 1-slot worker each.
//   node bench/mandelbrot.mjs [--rounds N] [--max-iter N] [--json]   (the notebook's default is 512 iterations)
// Goal (issue 5): two workers ≥ 1.7x faster than one on 2 cores.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dianaOnFriends, inPrivateNetwork, progressClock } from './setup.mjs';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, rounds: { type: 'string', default: '5' }, 'max-iter': { type: 'string', default: '512' } } });
inPrivateNetwork(import.meta.url);

const rounds = Number(values.rounds);
const progress = progressClock();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The notebook's own definitions (parameters, the tile function, the tiling), so the bench times its code.
const notebook = JSON.parse(readFileSync(new URL('../notebooks/mandelbrot.ipynb', import.meta.url), 'utf8'));
const source = (cell) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source);
// The presets, the cell tagged "parameters", and the tile function, in the notebook's order.
const definitions = notebook.cells
  .filter((c) => c.cell_type === 'code' && (c.metadata.tags?.includes('parameters') || /const presets|function mandelbrotTile/.test(source(c))))
  .map(source);

const cluster = await dianaOnFriends();
try {
  const { client } = cluster;
  const value = async (code) => {
    const r = await client.execute(code, { timeoutMs: 300_000 });
    if (r.reply.content.status !== 'ok') throw new Error(`${code.split('\n')[0]}: ${r.reply.content.ename}: ${r.reply.content.evalue}`);
    const result = r.outputs.find((m) => m.header.msg_type === 'execute_result');
    return result ? JSON.parse(result.content.data['text/plain'].replace(/'/g, '"')) : undefined;
  };
  for (const d of definitions) await value(d);
  await value('function iterations(counts: Uint16Array[]) { let sum = 0; for (const c of counts) for (let i = 0; i < c.length; i++) sum += c[i]; return sum; }');
  await value(`const tiles = tilesFor(region, nrow, resolution, ${Number(values['max-iter'])}); tiles.length`);
  progress('diana joined alice/friends (bob and carol: one 1-slot worker each); notebook definitions loaded');

  const ways = {
    // The iteration sum (to check that all three drew the same image) is taken after the clock stops.
    'locally, in the kernel': 'const t0 = performance.now(); const local = tiles.map(mandelbrotTile); [performance.now() - t0, iterations(local)]',
    'one worker (bob)': 'const t1 = performance.now(); const one = await p2p.map(tiles, (tile) => mandelbrotTile(tile), { worker: "bob", progress: false }); [performance.now() - t1, iterations(one)]',
    'two workers (bob, carol)': 'const t2 = performance.now(); const two = await p2p.map(tiles, (tile) => mandelbrotTile(tile), { progress: false }); [performance.now() - t2, iterations(two)]',
  };
  const times = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  const sums = new Set();
  for (let round = 0; round < rounds + 1; round++) {
    for (const [label, code] of Object.entries(ways)) {
      const [ms, sum] = await value(code);
      sums.add(sum);
      if (round > 0) times[label].push(ms); // round 0 warms up every path
    }
    progress(round === 0 ? 'warm-up round done' : `round ${round} of ${rounds} done`);
  }
  if (sums.size !== 1) throw new Error(`the three ways computed different images (iteration sums ${[...sums]})`);
  const summary = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]));
  const [local, one, two] = Object.values(summary);
  if (values.json) {
    process.stdout.write(JSON.stringify({ rounds, summary, speedup: one / two }, null, 2) + '\n');
  } else {
    console.log(`Mandelbrot 3x3 tiles of 400 px (1200x1200, preset 1, ${values['max-iter']} iterations), median of ${rounds}`);
    for (const [label, ms] of Object.entries(summary)) console.log(`  ${label.padEnd(28)}${(ms / 1000).toFixed(3).padStart(8)} s   ${(local / ms).toFixed(2)}x local`);
    console.log(`\ngoal: two workers ≥ 1.7x one worker: ${(one / two).toFixed(2)}x (${one / two >= 1.7 ? 'met' : 'NOT met'})`);
  }
} finally {
  await cluster.stop();
}
