// The shipped notebooks run headless (`tsp2p run`, the project's own client over the real protocol) on a
// local DHT: getting-started on a personal cluster with a worker it starts itself, friends on alice/friends.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { skipUnlessNetns, World } from './helpers/cluster.mjs';

const notebooks = fileURLToPath(new URL('../notebooks/', import.meta.url));
const out = mkdtempSync(path.join(tmpdir(), 'tsp2p-notebooks-'));

function outputsOf(file) {
  const notebook = JSON.parse(readFileSync(file, 'utf8'));
  const text = (v) => (Array.isArray(v) ? v.join('') : (v ?? ''));
  return notebook.cells.filter((c) => c.cell_type === 'code').map((c) => ({
    source: text(c.source),
    outputs: c.outputs.map((o) => ({ type: o.output_type, text: text(o.data?.['text/plain']) || text(o.text) || text(o.evalue) })),
    traceback: c.outputs.flatMap((o) => o.traceback ?? []),
  }));
}

describe('the shipped notebooks run headless', { skip: skipUnlessNetns }, () => {
  let world;
  before(async () => {
    world = await World.create(['alice', 'bob', 'carol', 'diana', 'erin']);
  });
  after(() => world?.stop());

  test('getting-started: a personal cluster, a worker started from the notebook, globals, streaming, p2p.run/map', async () => {
    const file = path.join(out, 'getting-started.ipynb');
    const r = await world.cli('erin', ['run', path.join(notebooks, 'getting-started.ipynb'), '-o', file], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const cells = outputsOf(file);
    const find = (start) => cells.find((c) => c.source.startsWith(start));
    assert.match(find('%p2p join').outputs.map((o) => o.text).join(''), /erin\/personal now has 1 worker \(erin@[\w.-]+, started by this notebook\)/);
    const [remotePid, localPid] = [find('%%p2p\nprocess.pid'), find('process.pid')].map((c) => Number(c.outputs[0].text));
    assert.ok(remotePid > 0 && localPid > 0 && remotePid !== localPid);
    assert.equal(find('%%p2p\nweighted').outputs[0].text, '15');
    assert.match(find('%%p2p\nfor').outputs[0].text, /step 1 on erin@/);
    assert.match(find('const seen').outputs[0].text, /total: 10, seen: \[ 1, 3, 6, 10 \]/);
    assert.match(find('let report').outputs[0].text, /RangeError on erin@\S+: 2 is too big/);
    // The error example (tagged raises-exception: the run went on past it) names the cell's line.
    const failing = find('%%p2p\nfunction parse');
    assert.equal(failing.outputs[0].type, 'error');
    assert.match(JSON.stringify(failing.traceback), /at parse \(In \[\d+\], line 3\)/);
  });

  test('friends: --all over both workers, --worker/--name, p2p.map spreads the work', async () => {
    await world.startHost(['bob', 'carol', 'diana']);
    await Promise.all([world.startWorker('bob'), world.startWorker('carol')]);
    const file = path.join(out, 'friends.ipynb');
    const r = await world.cli('diana', ['run', path.join(notebooks, 'friends.ipynb'), '-o', file], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const all = outputsOf(file).map((c) => c.outputs.map((o) => o.text).join('\n')).join('\n');
    assert.match(all, /hello from bob@/);
    assert.match(all, /hello from carol@/);
    assert.match(all, /worker: 'bob@[^']+', cores: \d+/);
    assert.match(all, /prime blocks \[#+\] 8\/8/);
    assert.match(all, /block: 1, count: 5133/);
  });

  test('mandelbrot with parameters (tsp2p run -p / -f): injected after the parameters cell, type-checked, the PNG the size asked', async () => {
    // A copy: the notebook writes mandelbrot.png beside itself.
    const dir = mkdtempSync(path.join(out, 'mandelbrot-'));
    const input = path.join(dir, 'mandelbrot.ipynb');
    copyFileSync(path.join(notebooks, 'mandelbrot.ipynb'), input);
    const params = path.join(dir, 'params.json');
    writeFileSync(params, JSON.stringify({ nrow: 9, maxIter: 64 }));
    const file = path.join(dir, 'out.ipynb');
    const r = await world.cli('diana', ['run', input, '-o', file, '-f', params, '-p', 'region', '2', '-p', 'nrow', '2', '-p', 'resolution', '60'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /parameters: nrow = 2, maxIter = 64, region = 2, resolution = 60/);
    const png = readFileSync(path.join(dir, 'mandelbrot.png'));
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [120, 120]);
    const notebook = JSON.parse(readFileSync(file, 'utf8'));
    const at = notebook.cells.findIndex((c) => c.metadata.tags?.includes('parameters'));
    const injected = notebook.cells[at + 1];
    assert.deepEqual(injected.metadata.tags, ['injected-parameters']);
    const source = [injected.source].flat().join('');
    assert.match(source, /^const region: keyof typeof presets = 2;$/m);
    assert.match(source, /^const nrow: number = 2;$/m);
    assert.match(source, /^const maxIter: number = 64;$/m);
    assert.match(JSON.stringify(notebook), /120x120 pixels, 4 tiles/);

    // Running the output again replaces the injected cell instead of adding a second.
    const again = await world.cli('diana', ['run', file, '-p', 'nrow', '1', '-p', 'resolution', '30'], { timeoutMs: 120_000 });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const rerun = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(rerun.cells.filter((c) => c.metadata.tags?.includes('injected-parameters')).length, 1);
    assert.match(JSON.stringify(rerun), /30x30 pixels, 1 tiles/);

    // Mistakes are named before anything runs, or by the type checker in the injected cell.
    const typo = await world.cli('diana', ['run', input, '-o', file, '-p', 'nrwo', '4']);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /has no parameter "nrwo": its parameters cell declares region, nrow, resolution, maxIter, tint/);
    const wrongType = await world.cli('diana', ['run', input, '-o', file, '-p', 'region', '5'], { timeoutMs: 120_000 });
    assert.equal(wrongType.code, 1);
    assert.match(wrongType.stderr + wrongType.stdout, /cell \d+ failed: TSError: .*Type '5' is not assignable to type '1 \| 2 \| 3'/);
    const untagged = path.join(dir, 'untagged.ipynb');
    writeFileSync(untagged, JSON.stringify({ ...notebook, cells: notebook.cells.map((c) => ({ ...c, metadata: {} })) }));
    const noCell = await world.cli('diana', ['run', untagged, '-p', 'nrow', '2']);
    assert.equal(noCell.code, 1);
    assert.match(noCell.stderr, /has no cell tagged "parameters"/);
    const badFile = await world.cli('diana', ['run', input, '-f', path.join(dir, 'missing.json')]);
    assert.match(badFile.stderr, /missing\.json: .*a parameters file is a JSON object/);
  });
});
