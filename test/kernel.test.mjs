// The kernel end to end: launched from its installed kernelspec, driven over real ZeroMQ sockets by the
// project's own Jupyter client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PNG } from 'pngjs';
import * as zmq from 'zeromq';
import { endpoint } from '../dist/jupyter/connection.js';
import { parse, Signer } from '../dist/jupyter/wire.js';
import { outputsOf, startKernel, streamText, threadStates, waitFor } from './helpers/kernel.mjs';

describe('tsp2p kernel (own client)', () => {
  let kernel;
  let client;
  before(async () => {
    // Debug logs: the shutdown test shows them if the kernel does not exit.
    kernel = await startKernel(null, { env: { TSP2P_LOG: 'debug' } });
    client = kernel.client;
  });
  after(() => kernel?.stop());

  test('kernel_info describes a TypeScript kernel speaking protocol 5.3+', async () => {
    const { reply } = await client.kernelInfo();
    const c = reply.content;
    assert.equal(reply.header.msg_type, 'kernel_info_reply');
    assert.equal(c.status, 'ok');
    assert.equal(c.implementation, 'tsp2p');
    assert.match(c.implementation_version, /^\d+\.\d+\.\d+/);
    assert.ok(Number(c.protocol_version) >= 5.3);
    assert.equal(c.language_info.name, 'typescript');
    assert.equal(c.language_info.file_extension, '.ts');
    assert.equal(c.language_info.mimetype, 'text/typescript');
    assert.ok(c.language_info.codemirror_mode);
    assert.match(c.banner, /tsp2p/);
    assert.ok(c.help_links.length > 0);
  });

  test('a client subscribing to iopub is greeted with the kernel\'s status, asking nothing (no slow-joiner wait)', async () => {
    const sub = new zmq.Subscriber();
    sub.receiveTimeout = 10_000;
    try {
      sub.connect(endpoint(kernel.connection, 'iopub'));
      sub.subscribe();
      const msg = parse(await sub.receive(), new Signer(kernel.connection.signature_scheme, kernel.connection.key));
      assert.equal(msg.header.msg_type, 'status');
      assert.equal(msg.content.execution_state, 'idle');
    } finally {
      sub.close();
    }
  });

  test('the last expression is the execute_result, declarations persist, counts go up', async () => {
    const first = await client.execute('const answer: number = 41;\nfunction twice(n: number) { return n * 2 }');
    assert.equal(first.reply.content.status, 'ok');
    const second = await client.execute('twice(answer + 1)');
    assert.equal(second.reply.content.execution_count, first.reply.content.execution_count + 1);
    const results = outputsOf(second).filter(([type]) => type === 'execute_result');
    assert.equal(results.length, 1);
    assert.equal(results[0][1].data['text/plain'], '84');
    assert.equal(results[0][1].execution_count, second.reply.content.execution_count);
  });

  test('values render like util.inspect; undefined shows nothing', async () => {
    const map = await client.execute('new Map([["a", 1]])');
    assert.equal(outputsOf(map).find(([t]) => t === 'execute_result')[1].data['text/plain'], "Map(1) { 'a' => 1 }");
    const str = await client.execute('"hi"');
    assert.equal(outputsOf(str).find(([t]) => t === 'execute_result')[1].data['text/plain'], "'hi'");
    const none = await client.execute('let nothing = undefined; nothing');
    assert.equal(outputsOf(none).filter(([t]) => t === 'execute_result').length, 0);
  });

  test('a value offering Symbol.for("Jupyter.display") renders richly', async () => {
    const r = await client.execute('({ [Symbol.for("Jupyter.display")]() { return { "text/html": "<b>rich</b>" } } })');
    const data = outputsOf(r).find(([t]) => t === 'execute_result')[1].data;
    assert.equal(data['text/html'], '<b>rich</b>');
    assert.ok(data['text/plain']);
  });

  test('console output streams as stdout and stderr, in order', async () => {
    const r = await client.execute('console.log("one"); console.error("two"); process.stdout.write("three\\n"); console.log({ a: 1 })');
    assert.equal(streamText(r, 'stdout'), 'one\nthree\n{ a: 1 }\n');
    assert.equal(streamText(r, 'stderr'), 'two\n');
  });

  test('stdout of a blocking loop arrives while the cell is still running', async () => {
    const arrivals = [];
    const started = Date.now();
    await client.execute('for (let i = 0; i < 3; i++) { console.log(i); const t = Date.now(); while (Date.now() - t < 200) {} }', {
      onOutput: (m) => m.header.msg_type === 'stream' && arrivals.push(Date.now() - started),
    });
    assert.ok(arrivals.length >= 2, `stream came in ${arrivals.length} message(s)`);
    assert.ok(arrivals[0] < 300, `first line arrived after ${arrivals[0]} ms`);
  });

  test('a runtime error is an error message with ename, evalue and traceback', async () => {
    const r = await client.execute('function failing() { throw new RangeError("too far") }\nfailing()');
    assert.equal(r.reply.content.status, 'error');
    assert.equal(r.reply.content.ename, 'RangeError');
    const [, error] = outputsOf(r).find(([t]) => t === 'error');
    assert.equal(error.ename, 'RangeError');
    assert.equal(error.evalue, 'too far');
    assert.ok(error.traceback.some((l) => l.includes('failing')), error.traceback.join('\n'));
    assert.ok(!error.traceback.some((l) => l.includes('/dist/engine/')), 'engine frames are hidden');
  });

  test('a type error shows line:col, the message and the offending line', async () => {
    const r = await client.execute('const ok = 1;\nconst bad: string = 42;');
    assert.equal(r.reply.content.status, 'error');
    const [, error] = outputsOf(r).find(([t]) => t === 'error');
    assert.equal(error.ename, 'TSError');
    assert.match(error.evalue, /^2:7 - Type 'number' is not assignable to type 'string'/);
    const text = error.traceback.join('\n');
    assert.match(text, /const bad: string = 42;/);
    assert.match(text, /~~~/);
  });

  test('display.* emits display_data; an id updates it in place', async () => {
    const r = await client.execute(`
      display.html("<b>one</b>", { id: "progress" });
      display.html("<b>two</b>", { id: "progress", update: true });
      display.markdown("# title"); display.svg("<svg/>"); display.json({ a: 1 });
      display.png(new Uint8Array([137, 80, 78, 71])); display.raw("text/csv", "a,b");
      const h = display.create(); h.text("first"); h.text("second");`);
    const types = outputsOf(r).map(([t, c]) => `${t}:${Object.keys(c.data ?? {}).join(',')}`);
    assert.deepEqual(types, [
      'display_data:text/html',
      'update_display_data:text/html',
      'display_data:text/markdown',
      'display_data:image/svg+xml',
      'display_data:application/json',
      'display_data:image/png',
      'display_data:text/csv',
      'display_data:text/plain',
      'update_display_data:text/plain',
    ]);
    const outs = outputsOf(r);
    assert.equal(outs[0][1].transient.display_id, 'progress');
    assert.equal(outs[1][1].transient.display_id, 'progress');
    assert.equal(outs[5][1].data['image/png'], Buffer.from([137, 80, 78, 71]).toString('base64'));
    assert.equal(outs[7][1].transient.display_id, outs[8][1].transient.display_id);
  });

  test('import * as tslab from "tslab" keeps working', async () => {
    const r = await client.execute('import * as tslab from "tslab";\ntslab.display.html("<i>compat</i>");\ntypeof tslab.newDisplay');
    assert.equal(r.reply.content.status, 'ok', JSON.stringify(r.reply.content));
    const outs = outputsOf(r);
    assert.equal(outs[0][1].data['text/html'], '<i>compat</i>');
    assert.equal(outs.find(([t]) => t === 'execute_result')[1].data['text/plain'], "'function'");
  });

  test('a named import may be imported again; top-level variables update in loops', async () => {
    const value = async (code) => {
      const r = await client.execute(code);
      assert.equal(r.reply.content.status, 'ok', JSON.stringify(r.reply.content));
      return outputsOf(r).find(([t]) => t === 'execute_result')?.[1].data['text/plain'];
    };
    assert.equal(await value('import { join } from "node:path";\njoin("a", "b")'), "'a/b'");
    assert.equal(await value('import { join } from "node:path";\njoin("c", "d")'), "'c/d'");
    assert.equal(await value('let total = 0;\nfor (let i = 0; i < 5; i++) total += i;\ntotal'), '10');
    assert.equal(await value('total = total * 2;\ntotal'), '20');
  });

  test('display.image and encodePng make PNGs of raw pixels; wrong sizes say what was expected', async () => {
    const r = await client.execute('display.image({ width: 2, height: 2, data: new Uint8ClampedArray(16).fill(200) });\nBuffer.from(encodePng({ width: 1, height: 1, data: new Uint8Array([1, 2, 3]), channels: 3 })).toString("base64")');
    assert.equal(r.reply.content.status, 'ok', JSON.stringify(r.reply.content));
    const outs = outputsOf(r);
    const shown = PNG.sync.read(Buffer.from(outs.find(([t]) => t === 'display_data')[1].data['image/png'], 'base64'));
    assert.deepEqual([shown.width, shown.height, [...new Set(shown.data)]], [2, 2, [200]]);
    const encoded = PNG.sync.read(Buffer.from(outs.find(([t]) => t === 'execute_result')[1].data['text/plain'].replace(/'/g, ''), 'base64'));
    assert.deepEqual([...encoded.data], [1, 2, 3, 255]);
    const bad = await client.execute('encodePng({ width: 2, height: 2, data: new Uint8Array(3) })');
    assert.equal(bad.reply.content.ename, 'TypeError');
    assert.match(bad.reply.content.evalue, /2x2 with 4 channels needs 16 bytes, not 3/);
  });

  test('node modules and top-level await work', async () => {
    const r = await client.execute('import { setTimeout as sleep } from "node:timers/promises";\nawait sleep(10);\nimport path from "node:path";\npath.join("a", "b")');
    assert.equal(r.reply.content.status, 'ok', JSON.stringify(r.reply.content));
    assert.equal(outputsOf(r).find(([t]) => t === 'execute_result')[1].data['text/plain'], "'a/b'");
    // `await (...)` reads as a call of a function named await in a script; it must be the await.
    for (const [code, value] of [['await (async () => 41)()', '41'], ['const v = await (async () => [1])(); v', '[ 1 ]']]) {
      const iife = await client.execute(code);
      assert.equal(outputsOf(iife).find(([t]) => t === 'execute_result')?.[1].data['text/plain'], value, JSON.stringify(iife.outputs.map((m) => m.content)));
    }
  });

  test('silent runs publish nothing and keep the count; store_history=false keeps the count', async () => {
    const before = (await client.execute('1')).reply.content.execution_count;
    const silent = await client.execute('console.log("hidden"); 5', { silent: true });
    assert.equal(silent.outputs.length, 0);
    assert.equal(silent.reply.content.execution_count, before);
    const unstored = await client.execute('2', { storeHistory: false });
    assert.equal(unstored.reply.content.execution_count, before);
    assert.equal((await client.execute('3')).reply.content.execution_count, before + 1);
  });

  test('user_expressions are evaluated after the code', async () => {
    const r = await client.execute('const ue = 6;', { userExpressions: { double: 'ue * 2', broken: 'nope.x' } });
    const ue = r.reply.content.user_expressions;
    assert.equal(ue.double.status, 'ok');
    assert.equal(ue.double.data['text/plain'], '12');
    assert.equal(ue.broken.status, 'error');
  });

  test('complete lists names from earlier cells and members', async () => {
    await client.execute('const completionTarget = { alpha: 1, beta: "b" };');
    const byName = await client.request('shell', 'complete_request', { code: 'completionT', cursor_pos: 11 });
    assert.deepEqual(byName.reply.content.matches, ['completionTarget']);
    assert.equal(byName.reply.content.cursor_start, 0);
    assert.equal(byName.reply.content.cursor_end, 11);
    const members = await client.request('shell', 'complete_request', { code: 'completionTarget.', cursor_pos: 17 });
    assert.deepEqual(members.reply.content.matches.slice(0, 2), ['alpha', 'beta']);
    assert.equal(members.reply.content.cursor_start, 17);
  });

  test('inspect shows the type and documentation', async () => {
    await client.execute('/** Adds one. */\nfunction inc(n: number): number { return n + 1 }');
    const r = await client.request('shell', 'inspect_request', { code: 'inc(1)', cursor_pos: 2, detail_level: 0 });
    assert.equal(r.reply.content.found, true);
    assert.match(r.reply.content.data['text/plain'], /function inc\(n: number\): number/);
    assert.match(r.reply.content.data['text/plain'], /Adds one\./);
    const none = await client.request('shell', 'inspect_request', { code: '   ', cursor_pos: 1, detail_level: 0 });
    assert.equal(none.reply.content.found, false);
  });

  test('is_complete: complete, incomplete with indent, invalid', async () => {
    const ask = async (code) => (await client.request('shell', 'is_complete_request', { code })).reply.content;
    assert.deepEqual(await ask('const a = 1;'), { status: 'complete' });
    assert.deepEqual(await ask('function f() {'), { status: 'incomplete', indent: '  ' });
    assert.equal((await ask('const x = [1,')).status, 'incomplete');
    assert.equal((await ask('const = = 1; let y')).status, 'invalid');
    // A cell magic runs once its last line is blank (as IPython's): alone or mid-body it is incomplete.
    assert.deepEqual(await ask('%%p2p'), { status: 'incomplete', indent: '' });
    assert.deepEqual(await ask('%%p2p --timeout 5\nconst a = 1;'), { status: 'incomplete', indent: '' });
    assert.deepEqual(await ask('%%p2p\nconst a = 1;\n'), { status: 'complete' });
    assert.deepEqual(await ask('%%p2p\nfunction f() {'), { status: 'incomplete', indent: '  ' });
    assert.deepEqual(await ask('%p2p status'), { status: 'complete' });
  });

  test('history, comm_info and unknown messages are answered or ignored without harm', async () => {
    const h = await client.request('shell', 'history_request', { hist_access_type: 'tail', n: 2, output: false, raw: true });
    assert.equal(h.reply.content.status, 'ok');
    assert.equal(h.reply.content.history.length, 2);
    const c = await client.request('shell', 'comm_info_request', {});
    assert.deepEqual(c.reply.content, { status: 'ok', comms: {} });
    const { frames } = client.frames('no_such_request', {});
    await client.sendRawShell(frames);
    assert.equal((await client.execute('"still here"')).reply.content.status, 'ok');
  });

  test('input() asks the client over stdin', async () => {
    const r = await client.execute('const name = await input("who? "); `hello ${name}`', { onInput: (prompt) => (prompt === 'who? ' ? 'ada' : '?') });
    assert.equal(outputsOf(r).find(([t]) => t === 'execute_result')[1].data['text/plain'], "'hello ada'");
  });

  /** Executes `code` after a line that says it runs; resolves `running` once that line arrives (not a fixed wait). */
  function runUntilRunning(code) {
    let said;
    const running = new Promise((resolve) => (said = resolve));
    const done = client.execute(`console.log("running");\n${code}`, { onOutput: (msg) => msg.header.msg_type === 'stream' && String(msg.content.text).includes('running') && said() });
    return { running, done };
  }

  for (const [what, code] of [
    ['a blocking while (true) {}', 'while (true) {}'],
    ['a pending await', 'await new Promise(() => {})'],
    ['a loop after an await', 'await null; while (true) {}'],
  ]) {
    test(`interrupt_request stops ${what}; variables survive`, async () => {
      await client.execute('const survivor = "alive";');
      const { running: started_, done: running } = runUntilRunning(code);
      await started_;
      const started = Date.now();
      await client.interrupt();
      const r = await running;
      assert.equal(r.reply.content.status, 'error');
      assert.equal(r.reply.content.ename, 'Interrupted');
      assert.ok(Date.now() - started < 3000);
      const after = await client.execute('survivor');
      assert.equal(outputsOf(after).find(([t]) => t === 'execute_result')[1].data['text/plain'], "'alive'");
    });
  }

  test('SIGINT stops a blocking cell and a pending one', async () => {
    for (const code of ['while (true) {}', 'await new Promise(() => {})']) {
      const { running: started, done: running } = runUntilRunning(code);
      await started;
      kernel.process.kill('SIGINT');
      const r = await running;
      assert.equal(r.reply.content.ename, 'Interrupted', code);
    }
    assert.equal((await client.execute('1 + 1')).reply.content.status, 'ok');
  });

  test('stop_on_error aborts the cells queued behind a failing one', async () => {
    const failing = client.execute('await new Promise(r => setTimeout(r, 200)); throw new Error("first fails")');
    const queued = [client.execute('console.log("must not run")'), client.execute('2')];
    const [f, ...rest] = await Promise.all([failing, ...queued]);
    assert.equal(f.reply.content.status, 'error');
    for (const r of rest) {
      assert.equal(r.reply.content.status, 'aborted');
      assert.equal(streamText(r), '');
    }
    assert.equal((await client.execute('3')).reply.content.status, 'ok');
  });

  test('errors from background work land in the last cell without killing the kernel', async () => {
    const r = await client.execute('setTimeout(() => { throw new Error("later") }, 10); await new Promise(r => setTimeout(r, 100)); "after"');
    assert.match(streamText(r, 'stderr'), /later/);
    assert.equal((await client.execute('4')).reply.content.status, 'ok');
  });

  test('a message with a forged signature is dropped and logged; the kernel stays alive', async () => {
    // Everything the kernel publishes, by parent: a request it acted on would show there (busy, execute_input).
    const zmq = await import('zeromq');
    const iopub = new zmq.Subscriber();
    iopub.connect(`tcp://127.0.0.1:${kernel.connection.iopub_port}`);
    iopub.subscribe();
    const parents = new Set();
    void (async () => {
      for await (const frames of iopub) {
        const at = frames.findIndex((f) => f.toString() === '<IDS|MSG>');
        parents.add(JSON.parse(frames[at + 3].toString()).msg_id);
      }
    })().catch(() => {});
    // Subscribed for real (a SUB socket misses what is published before it joins): it sees a cell's messages.
    const published = (id) => waitFor(() => parents.has(id), { timeoutMs: 1_000, what: `iopub messages of ${id}` }).then(() => true, () => false);
    await waitFor(async () => published((await client.execute('0')).reply.parent_header.msg_id), { what: 'the iopub subscription to see a cell' });
    const { frames, msgId } = client.frames('execute_request', { code: 'globalThis.forged = true', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    const at = frames.findIndex((f) => f.toString() === '<IDS|MSG>');
    frames[at + 1] = Buffer.from('0'.repeat(64));
    await client.sendRawShell(frames);
    await waitFor(() => kernel.stderr().includes('message signature does not verify'), { what: 'the drop to be logged' });
    const r = await client.execute('typeof (globalThis as any).forged');
    assert.equal(outputsOf(r).find(([t]) => t === 'execute_result')[1].data['text/plain'], "'undefined'");
    // The kernel never acted on the forged request: nothing it published names it as its parent.
    assert.ok(await published(r.reply.parent_header.msg_id), 'the next cell on iopub');
    assert.ok(!parents.has(msgId), 'the kernel published something for the forged request');
    iopub.close();
  });

  test('heartbeat echoes', async () => {
    const zmq = await import('zeromq');
    const hb = new zmq.Request();
    hb.connect(`tcp://127.0.0.1:${kernel.connection.hb_port}`);
    await hb.send('ping');
    const [echo] = await hb.receive();
    assert.equal(echo.toString(), 'ping');
    hb.close();
  });

  test('shutdown_request answers and the process exits', async () => {
    const r = await client.shutdown();
    assert.equal(r.reply.content.status, 'ok');
    assert.equal(r.reply.content.restart, false);
    const exited = await waitFor(() => kernel.process.exitCode !== null, { what: 'the kernel to exit' }).then(
      () => true,
      () => false,
    );
    assert.ok(exited, `the kernel did not exit within 10 s; its threads: ${threadStates(kernel.process.pid)}\nits log:\n${kernel.stderr().slice(-4000)}`);
    assert.equal(kernel.process.exitCode, 0);
  });
});

describe('start-up: the TypeScript service warms up on a thread of its own', () => {
  test('kernel_info and comm_info are answered at once while TypeScript warms up; the first cell still reports its type error', async (t) => {
    const kernel = await startKernel(t);
    // Right after start the TypeScript service is being built (over a second): kernel_info, as
    // jupyter_client's wait_for_ready asks it, is answered by the IO thread meanwhile, never behind it.
    const times = [];
    for (let i = 0; i < 12; i++) {
      const sent = performance.now();
      const r = i % 2 ? await kernel.client.request('shell', 'comm_info_request', {}) : await kernel.client.kernelInfo();
      assert.equal(r.reply.header.msg_type, i % 2 ? 'comm_info_reply' : 'kernel_info_reply');
      assert.equal(r.reply.content.status, 'ok');
      times.push(performance.now() - sent);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.stderr.write(`# kernel_info / comm_info during warm-up: ${times.map((ms) => ms.toFixed(0)).join(', ')} ms\n`);
    assert.ok(Math.max(...times) < 400, `a kernel_info waited ${Math.max(...times).toFixed(0)} ms`);
    const executed = await kernel.client.execute('const x: number = "one"; x');
    assert.equal(executed.reply.content.status, 'error');
    assert.match(JSON.stringify(executed.reply.content), /not assignable to type 'number'/);
  });

  test('while a cell runs, kernel_info waits its turn (an idle status then would show the notebook idle)', async (t) => {
    const kernel = await startKernel(t);
    await kernel.client.execute('1');
    const order = [];
    let running;
    const started = new Promise((resolve) => (running = resolve));
    const onOutput = (msg) => msg.header.msg_type === 'stream' && running();
    const cell = kernel.client.execute('console.log("running"); await new Promise((r) => setTimeout(r, 400)); 2', { onOutput }).then(() => order.push('execute'));
    await started;
    const info = kernel.client.kernelInfo().then(() => order.push('kernel_info'));
    await Promise.all([cell, info]);
    assert.deepEqual(order, ['execute', 'kernel_info']);
  });
});
