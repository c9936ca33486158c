// %p2p / %%p2p / the p2p object, end to end: Debian's jupyter_client drives diana's tsp2p kernel, which joins
// alice/friends on a local DHT where bob and carol run workers (each a separate process), all inside the
// private network namespace npm test makes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parentPid, skipUnlessNetns, World } from './helpers/cluster.mjs';
import { JupyterSession, skipUnlessJupyterClient } from './helpers/jupyter.mjs';
import { waitFor } from './helpers/kernel.mjs';

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const skip = skipUnlessNetns || skipUnlessJupyterClient;

describe('%p2p magics through jupyter_client on a real cluster', { skip }, () => {
  let world;
  let kernel;
  const workerPids = {};

  before(async () => {
    world = await World.create();
    await world.startHost(['bob', 'carol', 'diana']);
    const [bob, carol] = await Promise.all([world.startWorker('bob'), world.startWorker('carol')]);
    workerPids.bob = bob.pid;
    workerPids.carol = carol.pid;
    kernel = await JupyterSession.start(world.env('diana'));
  });

  after(async () => {
    await kernel?.close();
    // The worker started from the notebook ended with the kernel.
    if (workerPids.diana) await waitFor(() => !alive(workerPids.diana), { what: 'the notebook worker to end', timeoutMs: 10_000 });
    await world?.stop();
  });

  const ownerOf = (pid) => Object.keys(workerPids).find((user) => workerPids[user] === parentPid(Number(pid)));

  test('before joining, p2p use says how to join; ordinary cells are untouched', async () => {
    const cell = await kernel.run('%%p2p\n1 + 1');
    assert.equal(cell.reply.status, 'error');
    assert.match(cell.reply.evalue, /%p2p join/);
    const run = await kernel.run('await p2p.run(() => 1)');
    assert.equal(run.reply.status, 'error');
    assert.match(run.reply.evalue, /%p2p join/);
    // One error family, with its code, whether a magic or a cell's own code met the problem.
    for (const r of [cell, run]) {
      assert.equal(r.reply.ename, 'Tsp2pError');
      assert.match(r.reply.traceback.join('\n'), /Tsp2pError.* \[NOT_JOINED\]: not joined to a cluster/);
    }
    assert.equal((await kernel.run('const local: number = 2; local * 21')).result(), '42');
  });

  test('usage: %p2p alone and --help print it; bad arguments name the problem and show it', async () => {
    const alone = await kernel.run('%p2p');
    assert.equal(alone.reply.status, 'ok');
    assert.match(alone.text(), /usage: %p2p COMMAND/);
    // It names what ordinary cells use too.
    for (const fn of ['p2p.run(', 'p2p.map(', 'p2p.workers()', 'p2p.emit(']) assert.ok(alone.text().includes(fn), fn);
    assert.match(alone.text(), /join/);
    assert.match((await kernel.run('%%p2p --help\n1')).text(), /--timeout/);
    for (const [code, problem] of [
      ['%p2p frobnicate', /unknown %p2p command "frobnicate"/],
      ['%p2p join --nope', /--nope/],
      ['%p2p worker --slots many', /slots/],
      ['%%p2p --timeout soon\n1', /timeout/],
      ['%%p2p --name 1x\n1', /--name/],
    ]) {
      const r = await kernel.run(code);
      assert.equal(r.reply.status, 'error', code);
      assert.equal(r.reply.ename, 'UsageError', code);
      assert.match(r.reply.evalue, problem, code);
      assert.match(r.of('error')[0].traceback.join('\n'), /usage: %%?p2p/, code);
    }
  });

  test('%p2p whoami and join report the user and the workers found', async () => {
    const who = await kernel.run('%p2p whoami');
    assert.match(who.text(), new RegExp(`diana ${world.keys.diana}`));
    const join = await kernel.run('%p2p join alice/friends');
    assert.equal(join.reply.status, 'ok', JSON.stringify(join.reply));
    assert.match(join.text(), /joined alice\/friends: 2 workers/);
    const status = await kernel.run('%p2p status');
    const table = status.of('display_data')[0].data;
    assert.match(table['text/html'], /<table>/);
    assert.match(table['text/plain'], /bob/);
    assert.match(table['text/plain'], /carol/);
    assert.match(table['text/plain'], /\bpath\b[\s\S]*\bdirect\b/);
  });

  test('Tab on magic lines offers options, connected workers and known clusters; Shift-Tab shows the magic\'s help', async () => {
    const matches = async (code, pos = code.length) => (await kernel.shell('complete', code, pos)).matches;
    assert.deepEqual(await matches('%%p2p --'), ['--timeout', '--all', '--worker', '--name', '--help']);
    assert.deepEqual(await matches('%%p2p --ti'), ['--timeout']);
    const workers = await matches('%%p2p --worker ');
    assert.ok(workers.some((w) => /^bob@/.test(w)) && workers.some((w) => /^carol@/.test(w)), JSON.stringify(workers));
    assert.deepEqual(await matches('%%p2p --worker=car'), workers.filter((w) => w.startsWith('car')));
    const reply = await kernel.shell('complete', '%%p2p --worker=car', 18);
    assert.equal(reply.cursor_start, '%%p2p --worker='.length);
    // The body of a %%p2p cell still completes as TypeScript.
    assert.ok((await matches('%%p2p\nMath.fl')).includes('floor'));
    assert.ok((await matches('%p2p join ')).includes('alice/friends'));
    assert.ok((await matches('%p2p join ')).includes('diana/personal'));
    // A friend whose clusters this home does not know yet: the owner's part, to go on typing from.
    assert.ok((await matches('%p2p join ')).includes('bob/'));
    assert.deepEqual(await matches('%p2p jo'), ['join']);
    assert.ok((await matches('%p2p worker --')).includes('--sandbox'));
    const help = await kernel.shell('inspect', '%%p2p --all', 3, 0);
    assert.equal(help.found, true);
    assert.match(help.data['text/plain'], /usage: %%p2p[\s\S]*--timeout/);
    assert.match((await kernel.shell('inspect', '%p2p join alice/friends', 6, 0)).data['text/plain'], /usage: %p2p join[\s\S]*--invite/);
  });

  test('%p2p doctor shows what this notebook sees, in one output redrawn in place', async () => {
    const r = await kernel.run('%p2p doctor');
    assert.equal(r.reply.status, 'ok', JSON.stringify(r.reply));
    const last = r.of('update_display_data').at(-1).data;
    assert.match(last['text/plain'], /^alice\/friends: what this notebook sees/);
    assert.match(last['text/plain'], /^host\s+reached in \d+ ms/m);
    assert.match(last['text/plain'], /^worker\s+bob@\S+: direct .*task round trip/m);
    assert.match(last['text/plain'], /^worker\s+carol@\S+: direct .*task round trip/m);
    assert.match(last['text/html'], /<table>/);
  });

  test('%p2p join waits for a host that is not up, in a line redrawn in place; the stop button ends the wait', async () => {
    const r = await kernel.run('%p2p join alice/never-hosted', { interruptAfter: 2.5 });
    assert.equal(r.reply.status, 'error');
    assert.equal(r.reply.ename, 'Interrupted');
    const lines = [...r.of('display_data'), ...r.of('update_display_data')].map((d) => d.data['text/plain']);
    // alice's host of alice/friends answers, and says it is not this cluster's.
    assert.ok(lines.some((l) => /^waiting for alice's host \(alice\/never-hosted\)… \d+ s: alice's host answered, but it hosts another cluster, not alice\/never-hosted · the stop button stops waiting$/.test(l)), JSON.stringify(lines));
    assert.ok(r.of('update_display_data').length >= 1, 'the line is redrawn in place');
    // A join started at the same instant as its host gets there.
    const [join] = await Promise.all([kernel.run('%p2p join alice/at-once --wait 0s'), world.startHost(['diana'], 'alice/at-once')]);
    assert.equal(join.reply.status, 'ok', JSON.stringify(join.outputs));
    assert.match(join.text(), /joined alice\/at-once/);
    assert.match((await kernel.run('%p2p join alice/friends')).text(), /joined alice\/friends: 2 worker/);
  });

  test('%%p2p process.pid is the pid of a worker process, not the kernel', async () => {
    const r = await kernel.run('%%p2p\nprocess.pid');
    const pid = Number(r.result());
    assert.notEqual(pid, kernel.kernelPid);
    assert.ok(ownerOf(pid), `pid ${pid} is not a child of a worker (${JSON.stringify(workerPids)})`);
  });

  test('globals arrive intact: a number, a Map, a Uint8Array, functions and a class from earlier cells', async () => {
    await kernel.run([
      'const n = 41;',
      'const table = new Map<string, number>([["a", 1], ["b", 2]]);',
      'const bytes = new Uint8Array([0, 1, 254, 255]);',
      'function square(x: number) { return x * x; }',
      'function sumOfSquares(xs: number[]) { return xs.map(square).reduce((a, b) => a + b, 0); }',
      'class Point { constructor(public x: number, public y: number) {} norm() { return Math.hypot(this.x, this.y); } }',
    ].join('\n'));
    const r = await kernel.run('%%p2p\nconst p = new Point(3, 4);\n({ n: n + 1, table: [...table], isMap: table instanceof Map, bytes: [...bytes], isBytes: bytes instanceof Uint8Array, sum: sumOfSquares([1, 2, 3]), norm: p.norm(), pid: process.pid })');
    assert.equal(r.reply.status, 'ok', JSON.stringify(r.outputs));
    const text = r.result();
    assert.match(text, /n: 42/);
    assert.match(text, /table: \[ \[ 'a', 1 \], \[ 'b', 2 \] \]/);
    assert.match(text, /isMap: true/);
    assert.match(text, /bytes: \[ 0, 1, 254, 255 \]/);
    assert.match(text, /isBytes: true/);
    assert.match(text, /sum: 14/);
    assert.match(text, /norm: 5/);
    // Values come back typed too: a Map and binary stay what they are in the kernel.
    const back = await kernel.run('%%p2p --name got\n({ m: new Map([["k", 1]]), b: new Uint8Array([9, 8]) })');
    assert.equal(back.reply.status, 'ok');
    const local = await kernel.run('[got.m instanceof Map, got.m.get("k"), got.b instanceof Uint8Array, got.b[1]]');
    assert.equal(local.result(), '[ true, 1, true, 8 ]', JSON.stringify(local.outputs));
  });

  test('functions kept warm on a worker are never stale: a redefinition or a changed global is what runs', async () => {
    const value = async (code) => (await kernel.run(code)).result();
    await kernel.run('function step(x: number) { return x + 1; }');
    assert.equal(await value('%%p2p --worker bob\nstep(1)'), '2');
    assert.equal(await value('%%p2p --worker bob\nstep(10)'), '11');
    await kernel.run('function step(x: number) { return x + 2; }');
    assert.equal(await value('%%p2p --worker bob\nstep(1)'), '3');
    await kernel.run('let base = 10;\nfunction shifted(x: number) { return x + base; }');
    assert.equal(await value('%%p2p --worker bob\nshifted(1)'), '11');
    await kernel.run('base = 20;');
    assert.equal(await value('%%p2p --worker bob\nshifted(1)'), '21');
  });

  test('variables named like built-ins are what a task sees (workers bind built-ins for speed)', async () => {
    await kernel.run('const escape = 41;\nconst URL = "not the URL class";');
    const r = await kernel.run('await p2p.run(() => [escape + 1, URL, Math.max(1, 2), typeof encodeURI])');
    assert.equal(r.result(), "[ 42, 'not the URL class', 2, 'function' ]", JSON.stringify(r.outputs));
    const cell = await kernel.run('%%p2p\n[escape + 1, URL.length, Math.floor(2.5)]');
    assert.equal(cell.result(), '[ 42, 17, 2 ]', JSON.stringify(cell.outputs));
  });

  test('a value that cannot travel gives an error naming the variable', async () => {
    await kernel.run('const sock = new (require("node:net").Socket)();');
    const r = await kernel.run('%%p2p\nsock.remoteAddress');
    assert.equal(r.reply.status, 'error');
    assert.match(r.reply.evalue, /sock/);
  });

  test('stdout and stderr stream live and in order; displays appear inline; the last expression is Out', async () => {
    const r = await kernel.run('%%p2p\nconsole.log("one"); console.error("two"); console.log("three");\nawait new Promise((r) => setTimeout(r, 800));\ndisplay.html("<b>late</b>");\n"done"');
    assert.equal(r.reply.status, 'ok');
    const streams = r.of('stream').map((s) => [s.name, s.text]);
    assert.deepEqual(streams, [['stdout', 'one\n'], ['stderr', 'two\n'], ['stdout', 'three\n']]);
    const first = r.outputs.find((o) => o.type === 'stream');
    const result = r.outputs.find((o) => o.type === 'execute_result');
    assert.ok(result.at - first.at > 0.5, `output streamed at ${first.at}s, result at ${result.at}s`);
    assert.equal(r.of('display_data')[0].data['text/html'], '<b>late</b>');
    assert.equal(r.result(), "'done'");
  });

  test('a remote error shows the worker, name, message and remote stack, in the lines of the cells', async () => {
    const r = await kernel.run('%%p2p\nfunction deep(n: number): number {\n  if (n > 2) throw new RangeError("too far");\n  return deep(n + 1);\n}\ndeep(0)');
    assert.equal(r.reply.status, 'error');
    assert.equal(r.reply.ename, 'RangeError');
    assert.equal(r.reply.evalue, 'too far');
    const cell = `In \\[${r.reply.execution_count}\\]`;
    const traceback = r.of('error')[0].traceback.join('\n');
    // Lines of the cell as the notebook numbers them (the %%p2p line is line 1), each with its source.
    assert.match(traceback, new RegExp(`at deep \\(${cell}, line 3\\)\n.* 3 \\| .*\\s+if \\(n > 2\\) throw new RangeError`));
    assert.match(traceback, new RegExp(`at deep \\(${cell}, line 4\\)`));
    assert.match(traceback, new RegExp(`at ${cell}, line 6\n`));
    assert.doesNotMatch(traceback, /task-\w+\.js/);
    assert.match(traceback, /on worker (bob|carol)@/);

    // A function of an earlier cell, run by p2p.run from another: each frame names its own cell.
    const define = await kernel.run('// helpers\nfunction parseTile(text: string): number {\n  const tile: { size: { px: number } } = JSON.parse(text);\n  return tile.size.px;\n}');
    const call = await kernel.run('const broken: string = "{}";\nawait p2p.run(() => parseTile(broken))');
    assert.equal(call.reply.ename, 'TypeError');
    const remote = call.of('error')[0].traceback.join('\n');
    assert.match(remote, new RegExp(`at parseTile \\(In \\[${define.reply.execution_count}\\], line 4\\)\n.*return tile\\.size\\.px;`));
    assert.match(remote, new RegExp(`In \\[${call.reply.execution_count}\\], line 2\n.*await p2p\\.run\\(\\(\\) => parseTile\\(broken\\)\\)`));
    assert.doesNotMatch(remote, /task-\w+\.js/);
    assert.equal((await kernel.run('"kernel fine"')).result(), "'kernel fine'");
  });

  test('--all runs on every worker, grouped per worker; --worker picks one; --name keeps the result', async () => {
    const all = await kernel.run('%%p2p --all\nconsole.log("hi from", p2p.worker); process.pid');
    assert.equal(all.reply.status, 'ok');
    const out = all.text();
    assert.match(out, /\[bob@[^\]]+\]\nhi from bob@/);
    assert.match(out, /\[carol@[^\]]+\]\nhi from carol@/);
    const pids = [...all.result().matchAll(/: (\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(pids.map(ownerOf).sort(), ['bob', 'carol']);
    for (const user of ['bob', 'carol']) {
      const r = await kernel.run(`%%p2p --worker ${user} --name pid_${user}\nprocess.pid`);
      assert.equal(ownerOf(r.result()), user);
    }
    assert.equal((await kernel.run('typeof pid_bob === "number" && pid_bob !== pid_carol')).result(), 'true');
  });

  test('--worker that matches no connected worker fails at once, naming the connected ones', async () => {
    const r = await kernel.run('%%p2p --worker nobody\n1');
    assert.equal(r.reply.status, 'error');
    assert.ok(r.seconds < 1, `it took ${r.seconds} s`);
    assert.match(r.reply.evalue, /no connected worker of alice\/friends answers to "nobody": connected are .*(bob@.*carol@|carol@.*bob@)/);
  });

  test('a cell that waits for a busy cluster shows a waiting line redrawn in place, then its result', async () => {
    // Four 2.5 s tasks fill both 1-slot workers and their queues: the next cell's task has to wait.
    const busy = await kernel.run('const busy = [1, 2, 3, 4].map(() => p2p.run(() => { const end = Date.now() + 2500; while (Date.now() < end); return 1; }));');
    assert.equal(busy.reply.status, 'ok', JSON.stringify(busy.outputs));
    const r = await kernel.run('%%p2p\n"after the wait"');
    assert.equal(r.reply.status, 'ok', JSON.stringify(r.outputs));
    assert.equal(r.result(), "'after the wait'");
    const lines = [...r.of('display_data'), ...r.of('update_display_data')].map((d) => d.data['text/plain']);
    assert.ok(lines.some((l) => /^waiting for a free worker of alice\/friends: 2 busy, 0 free · \d+ s$/.test(l)), JSON.stringify(lines));
    assert.ok(r.of('update_display_data').length >= 1, 'the line is redrawn in place');
    assert.ok(lines.some((l) => /^waited \d+ s for a free worker; running on (bob|carol)@/.test(l)), JSON.stringify(lines));
    assert.equal((await kernel.run('(await Promise.all(busy)).length')).result(), '4');
  });

  test('the interrupt cancels a remote infinite loop within a second; the kernel and the workers stay usable', async () => {
    const r = await kernel.run('%%p2p\nwhile (true) {}', { interruptAfter: 1.5 });
    assert.equal(r.reply.status, 'error');
    assert.equal(r.reply.ename, 'Interrupted');
    // Said as what it stopped: the task on its worker.
    assert.match(r.reply.evalue, /^the cell was interrupted: its task on (bob|carol)@\S+ was cancelled$/);
    assert.ok(r.seconds < 2.5, `the cell ended ${r.seconds}s after it started (interrupted at 1.5s)`);
    const both = await kernel.run('%%p2p --all --timeout 10s\n"free"');
    assert.equal(both.reply.status, 'ok', JSON.stringify(both.outputs));
    assert.equal((await kernel.run('1 + 1')).result(), '2');
  });

  test('p2p.map over 50 items uses both workers and keeps the order, with a live progress bar', async () => {
    const r = await kernel.run('const offset = 1000;\nconst rs = await p2p.map(Array.from({ length: 50 }, (_, i) => i), (i: number) => ({ v: i + offset, pid: process.pid }));\n[rs.every((r, k) => r.v === k + 1000), new Set(rs.map((r) => r.pid)).size]');
    assert.equal(r.reply.status, 'ok', JSON.stringify(r.outputs));
    assert.equal(r.result(), '[ true, 2 ]');
    const bar = r.of('update_display_data').at(-1);
    assert.match(bar.data['text/plain'], /50\/50/);
    assert.equal(r.of('display_data')[0].transient.display_id, bar.transient.display_id);
  });

  test('p2p.run is a future; p2p.emit reaches onEmit while the task runs; p2p.workers lists them', async () => {
    const r = await kernel.run([
      'const seen: number[] = [];',
      'const f = p2p.run(async () => { for (let i = 1; i <= 3; i++) p2p.emit(i); return "ok"; }, { onEmit: (d) => seen.push(d) });',
      'const value = await f;',
      '[value, f.status, typeof f.worker?.user, seen, p2p.workers().length, p2p.cluster]',
    ].join('\n'));
    assert.equal(r.reply.status, 'ok', JSON.stringify(r.outputs));
    assert.equal(r.result(), "[ 'ok', 'done', 'string', [ 1, 2, 3 ], 2, 'alice/friends' ]");
    // Cancelled once it runs on a worker (its start is the event, not a guess at how long that takes).
    const cancelled = await kernel.run('const g = p2p.run(() => new Promise(() => {}), { onStart: () => g.cancel() });\nlet outcome: unknown = "not cancelled";\ntry { await g; } catch (e) { outcome = [(e as { code?: string }).code, g.status]; }\noutcome');
    assert.equal(cancelled.result(), "[ 'TASK_CANCELLED', 'cancelled' ]", JSON.stringify(cancelled.outputs));
  });

  test('%p2p worker starts a worker from the notebook that serves the cluster and ends with the kernel', async () => {
    const started = await kernel.run('%p2p worker --slots 1');
    assert.equal(started.reply.status, 'ok', JSON.stringify(started.outputs));
    const pid = Number(/pid (\d+)/.exec(started.text())[1]);
    assert.match(started.text(), /alice\/friends now has 3 workers/);
    // Words for a notebook: no Ctrl-C (a notebook has none), no "worker(s)".
    assert.match(started.text(), /worker joined alice\/friends with 1 slot \(pid \d+; it ends with this kernel\)/);
    assert.doesNotMatch(started.text(), /Ctrl-C/);
    const mine = await kernel.run('%%p2p --worker diana\nprocess.pid');
    assert.equal(parentPid(Number(mine.result())), pid);
    assert.match((await kernel.run('%p2p status')).text(), new RegExp(`background worker \\(alice/friends\\), pid ${pid}`));
    workerPids.diana = pid;
    // Join lines say which workers a notebook started: this one, or another (here a second kernel of diana's).
    assert.match(started.text(), /now has 3 workers \([^)]*diana@[\w.-]+, started by this notebook/);
    assert.doesNotMatch(started.text(), /(bob|carol)@[\w.-]+, started/);
    const other = await JupyterSession.start(world.env('diana'));
    try {
      const join = await other.run('%p2p join alice/friends');
      assert.match(join.text(), /joined alice\/friends: 3 workers \(.*diana@[\w.-]+, started by another notebook/);
    } finally {
      await other.close();
    }
  });

  test('%p2p worker for a cluster whose host is not up yet starts, says it waits, and serves once the host is up', async () => {
    const started = await kernel.run('%p2p worker --cluster=alice/hosted-later --slots 1');
    assert.equal(started.reply.status, 'ok', JSON.stringify(started.outputs));
    assert.match(started.text(), /worker started; it waits for alice's host \(alice\/hosted-later\) and joins when it is up/);
    const host = await world.startHost(['diana'], 'alice/hosted-later');
    const join = await kernel.run('%p2p join alice/hosted-later --wait 10s');
    assert.match(join.text(), /joined alice\/hosted-later: 1 worker \(diana@/);
    await host.kill();
    await kernel.run('%p2p join alice/friends');
  });

  test('%p2p status counts tasks done, failed (errors, timeouts) and cancelled, per worker', async () => {
    const bobCounts = async () => {
      const text = (await kernel.run('%p2p status')).of('display_data')[0].data['text/plain'];
      const [header, ...rows] = text.split('\n').slice(1).map((l) => l.trim().split(/\s{2,}/));
      const row = rows.find((r) => r[0] === 'bob');
      return Object.fromEntries(['done', 'failed', 'cancelled'].map((c) => [c, Number(row[header.indexOf(c)])]));
    };
    const before = await bobCounts();
    const timedOut = await kernel.run('%%p2p --worker bob --timeout 300ms\nwhile (true) {}');
    assert.equal(timedOut.reply.ename, 'Tsp2pError');
    assert.match(timedOut.reply.traceback.join('\n'), /\[TASK_TIMEOUT\]: the task ran longer than its timeout of 300 ms and was stopped \(on bob@/);
    assert.equal((await kernel.run('%%p2p --worker bob\nthrow new Error("no")')).reply.status, 'error');
    const cancel = await kernel.run('const hang = p2p.run(() => new Promise(() => {}), { worker: "bob", onStart: () => hang.cancel() });\nawait hang.then(() => "finished", () => hang.status)');
    assert.equal(cancel.result(), "'cancelled'");
    assert.equal((await kernel.run('%%p2p --worker bob\n6 * 7')).result(), '42');
    const expected = { done: before.done + 1, failed: before.failed + 2, cancelled: before.cancelled + 1 };
    let counts;
    await waitFor(async () => JSON.stringify((counts = await bobCounts())) === JSON.stringify(expected), { what: `bob's counts ${JSON.stringify(expected)} (last seen ${JSON.stringify(counts)})`, timeoutMs: 10_000 });
  });

  test('%p2p leave, then p2p use says how to join again', async () => {
    assert.match((await kernel.run('%p2p leave')).text(), /left alice\/friends/);
    assert.match((await kernel.run('%%p2p\n1')).reply.evalue, /%p2p join/);
  });
});

describe('%p2p host from a notebook', { skip }, () => {
  test('hosts in the background, prints invites for strangers, and hosting again replaces the first host', async (t) => {
    const world = await World.create(['alice', 'bob']);
    t.after(() => world.stop());
    const kernel = await JupyterSession.start(world.env('alice'));
    t.after(() => kernel.close());
    const first = await kernel.run('%p2p host --users=bob,zed --cluster=alice/lab');
    assert.equal(first.reply.status, 'ok', JSON.stringify(first.outputs));
    assert.match(first.text(), /zed is not in your friends book/);
    assert.match(first.text(), /host of alice\/lab is up .*\n\(pid \d+; it ends with this kernel\)/);
    assert.doesNotMatch(first.text(), /Ctrl-C/);
    assert.match(first.text(), /tsp2p join alice\/lab --invite [a-z0-9]+/);
    const again = await kernel.run('%p2p host --users=bob --cluster=alice/lab');
    assert.match(again.text(), /roster version 2/);
    await kernel.run('%p2p join alice/lab');
    const status = await kernel.run('%p2p status');
    assert.equal(status.text().match(/background host \(alice\/lab\)/g)?.length, 1, status.text());
  });
});
