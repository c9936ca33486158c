// Unit tests of the magics' pure parts: completion on magic lines, parsing cells, and parameters injected
// into a notebook for `tsp2p run -p`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { completeMagic, inspectMagic } from '../dist/magics/completion.js';
import { parseCell } from '../dist/magics/parse.js';
import { injectParameters, parameterValue } from '../dist/notebook/parameters.js';

const sources = { workers: async () => ['bob@vm', 'carol@vm'], clusters: async () => ['alice/friends', 'diana/personal'] };
const complete = async (code, cursor = code.length) => (await completeMagic(code, cursor, sources))?.matches ?? null;

describe('completion on magic lines', () => {
  test('options of the magic, by prefix, where the cursor is', async () => {
    assert.deepEqual(await complete('%%p2p --'), ['--timeout', '--all', '--worker', '--name', '--help']);
    assert.deepEqual(await complete('%%p2p --all --w'), ['--worker']);
    assert.deepEqual(await complete('%%p2p --all\nbody', 10), ['--all']);
    assert.deepEqual(await complete('%p2p worker --s'), ['--slots', '--sandbox']);
  });

  test('values: workers after --worker (also --worker=), clusters for join and --cluster', async () => {
    assert.deepEqual(await complete('%%p2p --worker '), ['bob@vm', 'carol@vm']);
    const inline = await completeMagic('%%p2p --worker=ca', 17, sources);
    assert.deepEqual([inline.matches, inline.cursorStart], [['carol@vm'], 15]);
    assert.deepEqual(await complete('%p2p join '), ['alice/friends', 'diana/personal', '--invite', '--wait', '--bootstrap', '--help']);
    assert.deepEqual(await complete('%p2p join al'), ['alice/friends']);
    assert.deepEqual(await complete('%p2p join alice/friends '), ['--invite', '--wait', '--bootstrap', '--help']);
    assert.deepEqual(await complete('%p2p worker --cluster d'), ['diana/personal']);
    assert.deepEqual(await complete('%p2p join --wait '), [], 'a duration is not a name to list');
  });

  test('commands of %p2p; nothing glued to a bare magic name; other lines are not magic', async () => {
    assert.deepEqual(await complete('%p2p st'), ['status']);
    assert.deepEqual(await complete('%p2p'), []);
    assert.deepEqual(await complete('%%p2p'), []);
    assert.deepEqual(await complete('%p2p frob --'), []);
    assert.equal(await complete('const x = 1; x.'), null);
    assert.equal(await complete('%%p2p\nconst x = 1; x.'), null, 'the body of a %%p2p cell is TypeScript');
    assert.equal(await complete('1\n%%p2p --'), null, 'a cell magic counts on the first line only');
    assert.deepEqual(await complete('1\n%p2p st'), ['status'], 'line magics count on any line');
  });

  test("Shift-Tab on a magic line shows that magic's help", () => {
    assert.match(inspectMagic('%%p2p --all\n1', 2).data['text/plain'], /^usage: %%p2p /);
    assert.match(inspectMagic('%p2p worker --slots 2', 8).data['text/plain'], /^usage: %p2p worker /);
    assert.match(inspectMagic('%p2p', 2).data['text/plain'], /^usage: %p2p COMMAND/);
    assert.equal(inspectMagic('%%p2p\nMath.max', 8), null);
  });
});

describe('parseCell', () => {
  test('a %%p2p cell: options, body and the line the body starts on', () => {
    const cell = parseCell('\n%%p2p --timeout 2s --name out\nconst a = 1;\na');
    assert.deepEqual({ ...cell }, { kind: 'cell', options: { timeout: 2000, name: 'out' }, body: 'const a = 1;\na', bodyLine: 3 });
    assert.equal(parseCell('const a = 1').kind, 'none');
    assert.deepEqual(parseCell('%p2p join alice/friends\n// note\n%p2p status').lines.map((l) => l.command), ['join', 'status']);
    assert.throws(() => parseCell('%p2p join\n1 + 1'), /a %p2p cell holds only %p2p lines/);
    assert.throws(() => parseCell('%%p2p --name 1x\n1'), /--name wants a variable name/);
  });
});

describe('parameters', () => {
  const notebook = () => ({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: 'code', source: 'const presets = { 1: 1, 2: 2 };', metadata: {}, outputs: [] },
      { cell_type: 'code', source: ['const region: keyof typeof presets = 1;\n', 'let label = "a";\n', 'var f: (x: number) => number = (x) => x;'], metadata: { tags: ['parameters'] }, outputs: [] },
      { cell_type: 'code', source: 'region', metadata: {}, outputs: [] },
    ],
  });

  test('values as typed: JSON when they parse, else text', () => {
    assert.deepEqual(['4', 'true', '[1,2]', '{"a":1}', 'bob', '"q"', '1e3'].map(parameterValue), [4, true, [1, 2], { a: 1 }, 'bob', 'q', 1000]);
  });

  test('injected after the parameters cell, declared as there (annotation included); again replaces it', () => {
    const once = injectParameters(notebook(), { region: 2, label: 'b b' }, 'nb.ipynb');
    assert.equal(once.cells.length, 4);
    assert.deepEqual(once.cells[2].metadata.tags, ['injected-parameters']);
    assert.equal(once.cells[2].source, '// Parameters of this run (tsp2p run -p / -f)\nconst region: keyof typeof presets = 2;\nlet label = "b b";');
    const twice = injectParameters(once, { f: null }, 'nb.ipynb');
    assert.equal(twice.cells.length, 4);
    assert.match(twice.cells[2].source, /^var f: \(x: number\) => number = null;$/m);
  });

  test('an unknown name, or no parameters cell, is refused with what to do', () => {
    assert.throws(() => injectParameters(notebook(), { regoin: 2 }, 'nb.ipynb'), (e) => e.code === 'UNKNOWN_PARAMETER' && /has no parameter "regoin": its parameters cell declares region, label, f/.test(e.message));
    const untagged = { ...notebook(), cells: notebook().cells.map((c) => ({ ...c, metadata: {} })) };
    assert.throws(() => injectParameters(untagged, { region: 2 }, 'nb.ipynb'), (e) => e.code === 'NO_PARAMETERS_CELL');
  });
});

describe('free names and shipping', () => {
  test("a cell's reads of earlier cells (exports.NAME), not its assignments; a function's free names", async () => {
    const { exportsReads, freeIdentifiers, isStandaloneExpression } = await import('../dist/magics/free-names.js');
    assert.deepEqual(exportsReads('exports.total = exports.base * 2; console.log(exports.scale(exports.total));').sort(), ['base', 'scale', 'total']);
    assert.deepEqual(exportsReads('exports.fresh = 1;'), []);
    assert.deepEqual(freeIdentifiers('(x) => { const y = x * k; return helper(y, Math.PI); }').sort(), ['Math', 'helper', 'k']);
    assert.equal(isStandaloneExpression('function f() { return 1; }'), true);
    assert.equal(isStandaloneExpression('method() { return 1; }'), false);
  });

  test('what travels: values as data, functions by source with what they use (dependencies first), never unsendable values', async () => {
    const { shipCell, shipFunction, capture } = await import('../dist/magics/ship.js');
    class Base {}
    const variables = { base: 20, weights: new Map([['a', 1.5]]), square: (x) => x * x, sumSquares: (xs) => xs.reduce((s, x) => s + square(x), 0), Base, socket: new (class Socket {})() };
    const square = variables.square;
    void square;
    const captured = capture(['sumSquares', 'base'], variables);
    assert.deepEqual(Object.keys(captured.values), ['base']);
    assert.deepEqual(captured.definitions.map((d) => [d.name, d.pure]), [['square', true], ['sumSquares', false]]);
    const cell = shipCell('exports.r = exports.sumSquares([exports.base]);', 'r', variables);
    assert.ok(cell.code.indexOf('var square') < cell.code.indexOf('var sumSquares'));
    // The pieces taken from cells are where the shipment says (for stack frames: cell-sources.ts).
    for (const piece of cell.pieces) assert.ok(['exports.r = exports.sumSquares([exports.base]);', String(variables.square), String(variables.sumSquares)].includes(cell.code.slice(piece.start, piece.start + piece.length)));
    assert.throws(() => capture(['socket'], variables), (err) => err.code === 'UNSHIPPABLE' && /"socket".*an instance of Socket/.test(err.message));
    const fn = shipFunction((n) => n + base, [1], { base: 2 });
    assert.deepEqual(fn.globals, { base: 2, __tsp2p_args__: [1] });
    assert.throws(() => shipFunction(Math.max, [], {}), (err) => err.code === 'UNSHIPPABLE');
  });
});
