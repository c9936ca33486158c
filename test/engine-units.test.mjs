// Unit tests of the engine's pieces that need no kernel: aligning generated JavaScript with the TypeScript
// it came from, and stack frames rewritten into the lines of cells (locally and for a worker's task).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alignTokens, PositionMap } from '../dist/engine/position-map.js';
import { CellSources } from '../dist/engine/cell-sources.js';

/** Length of a longest common subsequence, by dynamic programming: what a shortest edit script must keep. */
function lcsLength(a, b) {
  const row = new Array(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(row[j], row[j - 1]);
      diagonal = up;
    }
  }
  return row[b.length];
}

describe('alignTokens', () => {
  test('pairs equal tokens in order, as many as a longest common subsequence (random lists)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 300; run++) {
      const alphabet = 'abcde'.slice(0, 2 + Math.floor(random() * 4));
      const list = () => Array.from({ length: Math.floor(random() * 30) }, () => alphabet[Math.floor(random() * alphabet.length)]);
      const a = list();
      const b = list();
      const pairs = alignTokens(a, b);
      let last = -1;
      let kept = 0;
      pairs.forEach((i, j) => {
        if (i < 0) return;
        assert.equal(a[i], b[j]);
        assert.ok(i > last, 'pairs keep the order');
        last = i;
        kept++;
      });
      assert.equal(kept, lcsLength(a, b), `${a.join('')} / ${b.join('')}`);
    }
  });

  test('gives up (null) past its edit budget instead of taking long', () => {
    const a = Array.from({ length: 500 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 500 }, (_, i) => `b${i}`);
    assert.equal(alignTokens(a, b, 100), null);
    assert.ok(alignTokens(a, b));
  });
});

describe('PositionMap', () => {
  const source = 'function parse(text: string): number {\n  const data: { x: { y: number } } = JSON.parse(text);\n  return data.x.y;\n}\nparse("{}")';
  const generated = 'function parse(text) {\n    const data = JSON.parse(text);\n    return data.x.y;\n}\nexports.parse = parse;\nexports.__last = exports.parse("{}");';

  test('a position in a surviving token maps into its origin, column included', () => {
    const map = new PositionMap(source, generated);
    const y = generated.indexOf('.y') + 1;
    assert.deepEqual(map.sourcePosition(y), { line: 2, column: source.split('\n')[2].indexOf('.y') + 1 });
    assert.deepEqual(map.sourcePosition(generated.indexOf('JSON')), { line: 1, column: source.split('\n')[1].indexOf('JSON') });
  });

  test('a position on an inserted token maps to the next surviving token of its line', () => {
    const map = new PositionMap(source, generated);
    const call = generated.lastIndexOf('exports.parse');
    assert.deepEqual(map.sourcePosition(call), { line: 4, column: 0 });
  });

  test('a line with nothing from the source maps nowhere', () => {
    const map = new PositionMap('1 + 1', 'Object.defineProperty(exports, "__esModule", { value: true });\nexports.v = 1 + 1;');
    assert.equal(map.sourcePosition(3), null);
    assert.deepEqual(map.sourcePosition(map.offsetOf({ line: 1, column: 10 })), { line: 0, column: 0 });
  });
});

describe('CellSources', () => {
  const cellSource = 'const n: number = 2;\nfunction boom(x: number): never {\n  throw new Error(`boom ${x}`);\n}';
  const opening = '(function (exports, require) { ';
  const body = 'exports.n = 2;\nfunction boom(x) {\n    throw new Error(`boom ${x}`);\n}\nexports.boom = boom;';
  const wrapped = `${opening}${body}\n})(__tsp2p__.exports, __tsp2p__.require)`;

  function sources() {
    const cells = new CellSources();
    cells.add('cell-3.js', { label: 'In [3]', source: cellSource, firstLine: 1, generated: wrapped, code: { start: opening.length, end: opening.length + body.length } });
    return cells;
  }

  test('a local frame names the cell, its line and shows it, with a caret under the first', () => {
    const frames = sources().frames(['    at boom (cell-3.js:3:11)', '    at JSON.parse (<anonymous>)']);
    assert.deepEqual(frames.slice(0, 2), ['    at boom (In [3], line 3)', '\x1b[2m     3 | \x1b[0m  throw new Error(`boom ${x}`);']);
    assert.equal(frames[2], `${' '.repeat(9 + '  throw '.length)}^`, 'under `new`, where V8 puts a throw');
    assert.equal(frames[3], '    at JSON.parse (<anonymous>)');
  });

  test("the wrapper a cell runs in is not the user's: its frames go", () => {
    const lastLine = wrapped.split('\n').length;
    assert.deepEqual(sources().frames([`    at cell-3.js:${lastLine}:3`]), []);
  });

  test('a frame in a task maps through the piece of the cell it holds; frames outside pieces go', () => {
    const cells = sources();
    const fn = 'function boom(x) {\n    throw new Error(`boom ${x}`);\n}';
    const code = `(async (exports, require) => {\nvar boom = (${fn});\nreturn await (() => boom(1))();\n})(exports, require)`;
    const origin = { filename: 'task-abc.js', code, pieces: [{ start: code.indexOf(fn), length: fn.length }] };
    const frames = cells.frames(['    at boom (task-abc.js:3:11)', '    at task-abc.js:5:21', '    at other.js:1:1'], origin);
    assert.equal(frames[0], '    at boom (In [3], line 3)');
    assert.deepEqual(frames.slice(-1), ['    at other.js:1:1']);
    assert.equal(frames.filter((f) => f.includes('task-abc')).length, 0);
  });

  test('recursion shows a repeated frame once, with a count', () => {
    const frames = sources().frames(['    at boom (cell-3.js:3:11)', '    at boom (cell-3.js:3:11)', '    at boom (cell-3.js:3:11)']);
    assert.equal(frames.filter((f) => f.startsWith('    at boom')).length, 1);
    assert.equal(frames.at(-1), '    ... the frame above 2 more times');
  });
});

describe('one error family', () => {
  test('every code has its factory, named as the code; each makes a Tsp2pError with that code', async () => {
    const { Tsp2pError } = await import('../dist/errors.js');
    const factories = Object.getOwnPropertyNames(Tsp2pError).filter((n) => /^[A-Z_]+$/.test(n));
    assert.ok(factories.length >= 40, `${factories.length} factories`);
    for (const name of factories) {
      if (name === 'GAVE_UP') continue; // TASK_PROCESS_DIED or WORKER_LOST, by cause
      const args = { NO_KERNELSPEC: ['tsp2p', ['/usr/share/jupyter']], NO_SUCH_WORKER: ['bob', 'alice/friends', ['carol@vm']], UNKNOWN_PARAMETER: ['nrwo', 'nb.ipynb', ['nrow']] }[name] ?? ['x', 1, 'y', 'z', false];
      const made = Tsp2pError[name](...args);
      assert.ok(made instanceof Tsp2pError, name);
      assert.equal(made.code, name);
      assert.ok(made.message.length > 0, name);
    }
    assert.equal(Tsp2pError.GAVE_UP(2, ['its process was killed by SIGKILL', 'its process was killed by SIGKILL']).code, 'TASK_PROCESS_DIED');
    assert.equal(Tsp2pError.GAVE_UP(3, ['the worker vanished']).code, 'WORKER_LOST');
  });

  test("a task's error from a worker is one of the family, read field by field, and shown as the task's own", async () => {
    const { RemoteError, Tsp2pError } = await import('../dist/errors.js');
    const { thrownReport } = await import('../dist/engine/error-report.js');
    const remote = RemoteError.fromJson(RemoteError.toJson({ ename: 'RangeError', evalue: 'too far', stack: 'RangeError: too far\n    at deep (task-abc.js:3:9)', worker: 'bob@vm' }));
    assert.ok(remote instanceof Tsp2pError);
    assert.equal(remote.code, 'REMOTE_ERROR');
    const report = thrownReport(remote);
    assert.deepEqual([report.ename, report.evalue], ['RangeError', 'too far']);
    assert.equal(report.traceback.at(-1), '  (on worker bob@vm)');
    assert.ok(report.traceback.includes('    at deep (task-abc.js:3:9)'));
    // Unreadable or oddly shaped JSON from a peer: no exception, nothing taken on trust.
    assert.equal(RemoteError.fromJson('not json').evalue, 'the worker sent an unreadable error');
    const odd = RemoteError.fromJson(JSON.stringify({ ename: { toString: 1 }, evalue: 7, worker: ['x'] }));
    assert.deepEqual([odd.ename, odd.evalue, odd.worker], ['Error', '', 'unknown worker']);
    // tsp2p's own errors: one name and their code, whatever met them.
    const own = thrownReport(Tsp2pError.NOT_JOINED());
    assert.equal(own.ename, 'Tsp2pError');
    assert.match(own.traceback[0], /Tsp2pError.* \[NOT_JOINED\]: not joined/);
    assert.equal(thrownReport(Tsp2pError.USAGE('bad')).ename, 'UsageError');
  });
});
