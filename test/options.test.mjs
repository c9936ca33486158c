// Unit tests of the declared-options parser shared by the CLI and the magics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { helpText, parseCommand, parseDuration, parseSize, splitArgs } from '../dist/options.js';

const spec = {
  name: '%%p2p',
  summary: 'Run the cell on a worker.',
  options: [
    { name: 'timeout', type: 'duration', description: 'give up after', placeholder: 'DURATION' },
    { name: 'all', type: 'boolean', description: 'on every worker' },
    { name: 'slots', type: 'number', description: 'slots' },
    { name: 'users', type: 'list', description: 'users' },
    { name: 'name', type: 'string', description: 'store in VAR', placeholder: 'VAR' },
  ],
  positionals: [{ name: 'cluster', description: 'cluster', optional: true }],
};

test('durations in ms, s, m, h, d or bare seconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('14d'), 14 * 86_400_000);
  assert.equal(parseDuration('1.5'), 1500);
  assert.throws(() => parseDuration('soon'), { code: 'USAGE', message: /not a duration/ });
});

test('sizes in K, M, G (KiB, MiB, GiB) or bare MiB', () => {
  assert.equal(parseSize('512K'), 512 * 1024);
  assert.equal(parseSize('256M'), 256 * 1024 ** 2);
  assert.equal(parseSize('1G'), 1024 ** 3);
  assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('64'), 64 * 1024 ** 2);
  assert.throws(() => parseSize('lots'), { code: 'USAGE', message: /not a size/ });
});

test('argument lines split like a shell: quotes group, backslash escapes', () => {
  assert.deepEqual(splitArgs(`join alice/friends --invite "a b" 'c d' e\\ f`), ['join', 'alice/friends', '--invite', 'a b', 'c d', 'e f']);
  assert.deepEqual(splitArgs('   '), []);
  assert.deepEqual(splitArgs('--x ""'), ['--x', '']);
  assert.throws(() => splitArgs('"open'), { code: 'USAGE' });
});

test('options convert to their declared types, both --opt v and --opt=v', () => {
  const r = parseCommand(spec, ['--timeout', '30s', '--all', '--slots=4', '--users=bob,carol', 'alice/friends']);
  assert.deepEqual(r.options, { timeout: 30_000, all: true, slots: 4, users: ['bob', 'carol'] });
  assert.deepEqual(r.positionals, ['alice/friends']);
});

test('bad input is a USAGE error carrying the usage line', () => {
  assert.throws(() => parseCommand(spec, ['--bogus']), (e) => e.code === 'USAGE' && /bogus/.test(e.message) && /usage: %%p2p/.test(e.message));
  assert.throws(() => parseCommand(spec, ['--slots', 'many']), (e) => e.code === 'USAGE' && /wants a number/.test(e.message));
  assert.throws(() => parseCommand(spec, ['a', 'b']), (e) => e.code === 'USAGE' && /unexpected argument "b"/.test(e.message));
  assert.throws(() => parseCommand({ ...spec, positionals: [{ name: 'CODE', description: 'x' }] }, []), (e) => /missing CODE/.test(e.message));
});

test('--help is reported, not thrown, and help renders every option', () => {
  assert.equal(parseCommand(spec, ['--help']).help, true);
  const text = helpText(spec);
  for (const word of ['usage: %%p2p [cluster]', '--timeout DURATION', '--all', '--name VAR', '-h, --help']) assert.ok(text.includes(word), word);
});

test('an option can come from the environment', () => {
  process.env.TSP2P_TEST_SLOTS = '3';
  const r = parseCommand({ ...spec, options: [{ name: 'slots', type: 'number', description: 's', env: 'TSP2P_TEST_SLOTS' }] }, []);
  assert.equal(r.options.slots, 3);
});

test('a pairs option takes two words each time (-p NAME VALUE), repeatable, beside other options', () => {
  const run = { name: 'tsp2p run', summary: 'Run.', positionals: [{ name: 'NOTEBOOK', description: 'nb' }], options: [{ name: 'parameter', short: 'p', type: 'pairs', placeholder: 'NAME VALUE', description: 'a parameter' }, { name: 'output', short: 'o', type: 'string', description: 'out' }] };
  const parsed = parseCommand(run, ['nb.ipynb', '-p', 'region', '2', '--parameter', 'label', 'two words', '-o', 'out.ipynb', '-p', 'flag', '--x']);
  assert.deepEqual(parsed.options.parameter, [['region', '2'], ['label', 'two words'], ['flag', '--x']]);
  assert.equal(parsed.options.output, 'out.ipynb');
  assert.deepEqual(parsed.positionals, ['nb.ipynb']);
  assert.throws(() => parseCommand(run, ['nb.ipynb', '-p', 'region']), (err) => err.code === 'USAGE' && /-p wants two words, NAME VALUE/.test(err.message));
  assert.match(helpText(run), /-p, --parameter NAME VALUE/);
});

test('help text fits 96 columns (a notebook at 1280 px, a terminal) and wraps between words, never inside one', async () => {
  const { CELL_MAGIC, LINE_MAGICS, usage } = await import('../dist/magics/parse.js');
  const modules = ['cluster-commands', 'run-command', 'demo-command', 'host-command', 'doctor-command', 'relay-command', 'id-command'];
  const commands = (await Promise.all(modules.map((m) => import(`../dist/cli/${m}.js`)))).flatMap((m) => Object.values(m).filter((c) => c?.spec));
  const texts = [usage(), helpText(CELL_MAGIC), ...Object.values(LINE_MAGICS).map(helpText), ...commands.map((c) => helpText(c.spec))];
  assert.ok(commands.length >= 10, `${commands.length} CLI commands`);
  for (const text of texts) {
    for (const line of text.split('\n')) assert.ok(line.length <= 96, `${line.length} columns: ${line}`);
    // Words survive wrapping whole: the text's words, lines joined, are the words of the unwrapped text.
    assert.doesNotMatch(text, /\S-\n|\[[^\]\n]*\n[^\]]*\]/, 'no option group split across lines');
  }
});

test('a default is declared once: the parser fills it in (parsed like input) and help shows it', async () => {
  const { requiredNumber, numberOption } = await import('../dist/options.js');
  const spec = { name: 'tsp2p x', summary: 'x', options: [{ name: 'wait', type: 'duration', placeholder: 'D', description: 'how long', default: '15s' }, { name: 'timeout', type: 'duration', description: 'limit' }] };
  assert.equal(requiredNumber(parseCommand(spec, []).options, 'wait'), 15_000);
  assert.equal(requiredNumber(parseCommand(spec, ['--wait', '2s']).options, 'wait'), 2_000);
  assert.equal(numberOption(parseCommand(spec, []).options, 'timeout'), undefined);
  assert.throws(() => requiredNumber(parseCommand(spec, []).options, 'timeout'), /declares no default/);
  assert.match(helpText(spec), /--wait D +how long \(default 15s\)/);
});
