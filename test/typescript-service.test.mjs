// The kernel's TypeScript service (issue 13): a process started from the startup snapshot, its converter
// built and warm, converts exactly as the kernel's own converter; directories with type roots of their own
// and cells that read files get the kernel's own converter; a snapshot that cannot start hands over to a
// thread; and a notebook's first cell through jupyter_client is checked (type errors reported, not skipped).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startSnapshotProcess, usableSnapshot } from '../dist/engine/ts-snapshot.js';
import { TypeScriptRemote } from '../dist/engine/typescript-remote.js';
import { P2P_DECLARATIONS } from '../dist/magics/p2p-declarations.js';
import { JupyterSession, skipUnlessJupyterClient } from './helpers/jupyter.mjs';

const noSnapshot = 'blob' in usableSnapshot(tmpdir()) ? false : `no usable snapshot: ${usableSnapshot(tmpdir()).reason}`;
const TYPED = 'const x: number = 1; x + 1';
const WRONG = 'const y: number = "one"; y';

function directory(t, files = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsp2p-cells-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `make()` with TSP2P_TS_SNAPSHOT as given (it is read when the service starts). */
function withSnapshotSetting(snapshotSetting, make) {
  const saved = process.env.TSP2P_TS_SNAPSHOT;
  if (snapshotSetting === undefined) delete process.env.TSP2P_TS_SNAPSHOT;
  else process.env.TSP2P_TS_SNAPSHOT = snapshotSetting;
  try {
    return make();
  } finally {
    if (saved === undefined) delete process.env.TSP2P_TS_SNAPSHOT;
    else process.env.TSP2P_TS_SNAPSHOT = saved;
  }
}

/** A service with TSP2P_TS_SNAPSHOT as given while it starts. */
function service(t, cwd, snapshotSetting) {
  const remote = withSnapshotSetting(snapshotSetting, () => new TypeScriptRemote({ cwd }));
  t.after(() => remote.close());
  return remote;
}

/** Converts cells in order as the kernel does (each sees the declarations of those before). */
async function convertAll(remote, cells) {
  const results = [];
  for (const code of cells) {
    const r = await remote.convert(code);
    if (r.diagnostics.length === 0) remote.prevDecl = r.declOutput ?? '';
    results.push({ output: r.output, declOutput: r.declOutput, diagnostics: r.diagnostics.map((d) => d.messageText), lastExpressionVar: r.lastExpressionVar, hasToplevelAwait: r.hasToplevelAwait });
  }
  return results;
}

test('the snapshot process converts exactly as a converter built for the directory, and sees type errors', { skip: noSnapshot, timeout: 60_000 }, async (t) => {
  const cwd = directory(t);
  const fromSnapshot = service(t, cwd);
  const onThread = service(t, cwd, '0');
  assert.equal(fromSnapshot.runsIn, 'snapshot process');
  assert.equal(onThread.runsIn, 'thread');
  const cells = [TYPED, WRONG, 'let s = [1, 2].map((v) => v * 2);', 's.length', 'await Promise.resolve(s[0])', 'function f(a: string) { return a.length } f(2)'];
  // A user's NODE_OPTIONS with V8 flags (a blob starts only under the flags it was built with) changes nothing.
  const savedOptions = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = '--max-old-space-size=3000';
  const withOptions = service(t, cwd);
  if (savedOptions === undefined) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = savedOptions;
  const a = await convertAll(fromSnapshot, cells);
  assert.deepEqual(await convertAll(withOptions, [TYPED]), [a[0]]);
  assert.equal(withOptions.runsIn, 'snapshot process', 'still the snapshot process after its first answer');
  const b = await convertAll(onThread, cells);
  assert.deepEqual(a, b);
  assert.deepEqual(a[1].diagnostics, ["Type 'string' is not assignable to type 'number'."]);
  assert.equal(a[5].diagnostics.length, 1, 'f(2) does not type-check');
  // Completion and hover go through the same converter.
  const completion = await fromSnapshot.complete('s.len', 5);
  assert.ok(completion.matches.includes('length'), JSON.stringify(completion.matches));
});

test('type roots of the directory and cells that read files get the kernel\'s own converter', { skip: noSnapshot, timeout: 60_000 }, async (t) => {
  const cwd = directory(t, {
    'node_modules/@types/cell-globals/index.d.ts': 'declare var fromTypeRoots: number;\n',
    'seven.ts': 'export const seven: number = 7;\n',
  });
  // Forced onto the snapshot process (a kernel would take a thread here: the snapshot cannot serve it).
  const remote = service(t, cwd, usableSnapshot(tmpdir()).blob);
  assert.equal(remote.runsIn, 'snapshot process');
  assert.match(usableSnapshot(cwd).reason, /has type roots of its own/);
  const [globals, imported, after, wrong] = await convertAll(remote, ['fromTypeRoots + 1', "import { seven } from './seven'; seven", 'seven * 2', "const z: string = seven;"]);
  assert.deepEqual(globals.diagnostics, [], 'a global declared by the directory\'s type roots is known');
  assert.deepEqual(imported.diagnostics, [], 'a relative import resolves in the directory');
  assert.deepEqual(after.diagnostics, []);
  assert.deepEqual(wrong.diagnostics, ["Type 'number' is not assignable to type 'string'."]);

  // Without type roots: the snapshot's converter serves, until a cell reads a file (then the directory's own).
  const plain = service(t, directory(t, { 'seven.ts': 'export const seven: number = 7;\n' }));
  const cells = await convertAll(plain, ['const a: number = 1;', "import { seven } from './seven'; seven + a", 'seven + a']);
  assert.deepEqual(cells.map((c) => c.diagnostics), [[], [], []]);
  const unknown = await convertAll(plain, ['fromTypeRoots']);
  assert.deepEqual(unknown[0].diagnostics, ["Cannot find name 'fromTypeRoots'."]);
});

test("the snapshot holds the kernel's globals: `p2p` is typed before the kernel declares it, and declaring it changes nothing", { skip: noSnapshot, timeout: 60_000 }, async (t) => {
  const cwd = directory(t);
  const fromSnapshot = service(t, cwd);
  const onThread = service(t, cwd, '0');
  const USES_P2P = 'const w: number = p2p.workers().length; w';
  const [before] = await convertAll(fromSnapshot, [USES_P2P]);
  assert.deepEqual(before.diagnostics, [], 'declared in the snapshot (npm run build: kernel-snapshot.js)');
  const [unknown] = await convertAll(onThread, [USES_P2P]);
  assert.deepEqual(unknown.diagnostics, ["Cannot find name 'p2p'."], 'a thread starts without it');
  // As P2PExecutor does at kernel start: the same text again is no second declaration (no duplicates).
  for (const remote of [fromSnapshot, onThread]) remote.declareGlobals(P2P_DECLARATIONS);
  const a = await convertAll(fromSnapshot, [USES_P2P, 'p2p.nope()']);
  const b = await convertAll(onThread, [USES_P2P, 'p2p.nope()']);
  assert.deepEqual(a, b);
  assert.deepEqual(a[0].diagnostics, []);
  assert.match(a[1].diagnostics[0], /Property 'nope' does not exist/);
});

test('a snapshot process that cannot start hands its requests to a thread', { timeout: 60_000 }, async (t) => {
  const cwd = directory(t, { 'broken.blob': 'not a snapshot' });
  const remote = service(t, cwd, path.join(cwd, 'broken.blob'));
  assert.equal(remote.runsIn, 'snapshot process');
  const [typed, wrong] = await convertAll(remote, [TYPED, WRONG]);
  assert.deepEqual(typed.diagnostics, []);
  assert.equal(typed.lastExpressionVar !== undefined, true);
  assert.deepEqual(wrong.diagnostics, ["Type 'string' is not assignable to type 'number'."]);
  assert.equal(remote.runsIn, 'thread');
});

test('a snapshot process that ended before its handle existed (a kernel starts it first) hands over to a thread too', { timeout: 60_000 }, async (t) => {
  const cwd = directory(t, { 'broken.blob': 'not a snapshot' });
  const started = withSnapshotSetting(path.join(cwd, 'broken.blob'), () => startSnapshotProcess(cwd));
  assert.ok('child' in started, 'a blob named outright is started');
  await new Promise((resolve) => started.onEnded(resolve));
  const remote = new TypeScriptRemote({ cwd, started });
  t.after(() => remote.close());
  const [typed, wrong] = await convertAll(remote, [TYPED, WRONG]);
  assert.deepEqual(typed.diagnostics, []);
  assert.deepEqual(wrong.diagnostics, ["Type 'string' is not assignable to type 'number'."]);
  assert.equal(remote.runsIn, 'thread');
});

test('the snapshot process starts without NODE_OPTIONS and NODE_EXTRA_CA_CERTS (Node reads that file as it starts; the service opens no connection)', { skip: noSnapshot, timeout: 60_000 }, async (t) => {
  const cwd = directory(t);
  const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS };
  Object.assign(process.env, { NODE_OPTIONS: '--max-old-space-size=999', NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' });
  let started;
  try {
    started = startSnapshotProcess(cwd);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  const remote = new TypeScriptRemote({ cwd, started });
  t.after(() => remote.close());
  const environ = readFileSync(`/proc/${started.child.pid}/environ`, 'utf8').split('\0');
  assert.ok(!environ.some((v) => v.startsWith('NODE_OPTIONS=') || v.startsWith('NODE_EXTRA_CA_CERTS=')), environ.filter((v) => v.startsWith('NODE_')).join(' '));
  const [typed] = await convertAll(remote, [TYPED]);
  assert.deepEqual(typed.diagnostics, []);
  assert.equal(remote.runsIn, 'snapshot process', 'started (the flags it was built with, none of the user\'s)');
});

test('a notebook\'s first cells through jupyter_client, in a folder of its own: a result, then a type error reported before running', { skip: skipUnlessJupyterClient || noSnapshot, timeout: 120_000 }, async (t) => {
  const cwd = directory(t);
  const kernel = await JupyterSession.start({ ...process.env }, { cwd });
  t.after(() => kernel.close());
  const first = await kernel.run(`${TYPED}`);
  assert.equal(first.reply.status, 'ok', kernel.stderr);
  assert.equal(first.result(), '2');
  const wrong = await kernel.run(`console.log("ran"); ${WRONG}`);
  assert.equal(wrong.reply.status, 'error');
  assert.match(JSON.stringify(wrong.of('error')), /not assignable to type 'number'/);
  assert.equal(wrong.text(), '', 'a cell that does not type-check does not run');
});
