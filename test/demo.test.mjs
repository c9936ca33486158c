// `tsp2p demo` (= npm run demo), end to end: a local DHT, alice hosting, bob's and carol's workers, diana's
// kernel drawing the Mandelbrot notebook headless; every process it started is gone afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI, parentPid, Proc, skipUnlessNetns } from './helpers/cluster.mjs';

const descendants = (root) => {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const found = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const pid of all) {
      try {
        if (!found.has(pid) && found.has(parentPid(pid))) {
          found.add(pid);
          grew = true;
        }
      } catch {}
    }
  }
  found.delete(root);
  return [...found];
};

test('tsp2p demo --nrow 4 --resolution 150 draws a 600x600 Mandelbrot set with tiles from both workers and cleans up', { skip: skipUnlessNetns, timeout: 120_000 }, async (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'tsp2p-demo-test-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const demo = new Proc(spawn(process.execPath, [CLI, 'demo', '--out', out, '--nrow', '4', '--resolution', '150', '--region', '2'], { stdio: ['ignore', 'pipe', 'pipe'] }), 'demo');
  await demo.waitFor('diana runs notebooks/mandelbrot.ipynb', { timeoutMs: 30_000 });
  const children = descendants(demo.pid);
  assert.ok(children.length >= 3, `the demo runs a host and workers (children: ${children})`);
  const code = await demo.exited;
  assert.equal(code, 0, demo.output);
  // The drawing options reach the notebook as its parameters (tsp2p run -p).
  assert.match(demo.stdout, /done: 600x600 pixels, 16 tiles in/);
  assert.match(demo.stdout, /bob@\S+\s+\d+ tiles/);
  assert.match(demo.stdout, /carol@\S+\s+\d+ tiles/);
  const png = readFileSync(path.join(out, 'mandelbrot.png'));
  assert.equal(png.toString('latin1', 1, 4), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [600, 600]);
  const notebook = JSON.parse(readFileSync(path.join(out, 'mandelbrot.ipynb'), 'utf8'));
  const outputs = notebook.cells.flatMap((c) => c.outputs ?? []);
  assert.ok(outputs.some((o) => o.data?.['image/png']), 'the notebook keeps the image');
  assert.ok(!outputs.some((o) => o.output_type === 'error'), 'no cell failed');
  const injected = notebook.cells.find((c) => c.metadata.tags?.includes('injected-parameters'));
  assert.match([injected.source].flat().join(''), /const region: keyof typeof presets = 2;\nconst nrow: number = 4;\nconst resolution: number = 150;/);
  const alive = children.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  assert.deepEqual(alive, [], 'every process the demo started has ended');
});
