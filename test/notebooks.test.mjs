// The shipped notebooks run headless (`tsp2p run`, the project's own client over the real protocol) on a
// local DHT: getting-started on a personal cluster with a worker it starts itself, friends on alice/friends.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
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
    assert.match(find('%p2p join').outputs.map((o) => o.text).join(''), /erin\/personal now has 1 worker/);
    const [remotePid, localPid] = [find('%%p2p\nprocess.pid'), find('process.pid')].map((c) => Number(c.outputs[0].text));
    assert.ok(remotePid > 0 && localPid > 0 && remotePid !== localPid);
    assert.equal(find('%%p2p\nweighted').outputs[0].text, '15');
    assert.match(find('%%p2p\nfor').outputs[0].text, /step 1 on erin@/);
    assert.match(find('const seen').outputs[0].text, /total: 10, seen: \[ 1, 3, 6, 10 \]/);
    assert.match(find('let report').outputs[0].text, /RangeError on erin@\S+: 2 is too big/);
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
});
