// The kernel's logic in-process, with a fake transport and a fake executor (no sockets, no TypeScript):
// the handler table, busy/idle around every request, execution counts, stop_on_error, comms, history.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Kernel } from '../dist/jupyter/kernel.js';
import { newHeader } from '../dist/jupyter/messages.js';

/** A transport that records what the kernel sends; `deliver` hands it a request as the wire would. */
class FakeTransport {
  session = 'test-session';
  sent = [];
  #handler = () => {};
  onMessage(handler) {
    this.#handler = handler;
  }
  send(out) {
    this.sent.push(out);
  }
  barrier() {
    return Promise.resolve();
  }
  setExecuting() {}
  flush() {}
  close() {
    return Promise.resolve();
  }
  deliver(channel, msgType, content = {}) {
    const msg = { ids: [], header: newHeader(msgType, 'client-session', 'client'), parent_header: {}, metadata: {}, content, buffers: [] };
    this.#handler(channel, msg);
    return msg;
  }
  /** What was sent in answer to `request`, as [channel, msg_type] pairs. */
  answersTo(request) {
    return this.sent.filter((o) => o.parent?.header.msg_id === request.header.msg_id).map((o) => [o.channel, o.msgType, o.content]);
  }
  async settled(request) {
    const deadline = Date.now() + 5_000;
    while (!this.answersTo(request).some(([channel, type, content]) => channel === 'iopub' && type === 'status' && content.execution_state === 'idle')) {
      if (Date.now() > deadline) throw new Error(`no idle for ${request.header.msg_type}`);
      await new Promise((r) => setImmediate(r));
    }
    return this.answersTo(request);
  }
}

/** An executor that runs "cells" as instructions: `print X`, `fail`, `value X`, or waits on a gate. */
function fakeExecutor() {
  const ran = [];
  return {
    ran,
    languageInfo: { name: 'typescript', version: '5', mimetype: 'text/typescript', file_extension: '.ts' },
    banner: 'fake',
    async execute(request, sink) {
      ran.push(request.code);
      if (request.code === 'fail') {
        const error = { ename: 'Error', evalue: 'failed', traceback: ['Error: failed'] };
        sink.error(error);
        return { status: 'error', ...error };
      }
      if (request.code.startsWith('print ')) sink.stream('stdout', request.code.slice(6));
      if (request.code.startsWith('value ')) sink.result({ 'text/plain': request.code.slice(6) }, {});
      return { status: 'ok', userExpressions: {} };
    },
    complete: async (code, cursorPos) => ({ matches: ['one'], cursorStart: cursorPos, cursorEnd: cursorPos, metadata: {} }),
    inspect: async () => ({ found: false, data: {}, metadata: {} }),
    isComplete: async () => ({ status: 'complete' }),
    interrupt() {},
    shutdown: async () => {},
  };
}

const execute = (code, extra = {}) => ({ code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...extra });

describe('Kernel (fake transport)', () => {
  test('every request is wrapped in busy and idle, with its reply between', async () => {
    const transport = new FakeTransport();
    new Kernel(transport, fakeExecutor());
    for (const [type, content] of [['kernel_info_request', {}], ['complete_request', { code: 'o', cursor_pos: 1 }], ['execute_request', execute('print hi')], ['history_request', { hist_access_type: 'tail', n: 5 }]]) {
      const request = transport.deliver('shell', type, content);
      const answers = await transport.settled(request);
      const states = answers.filter(([, t]) => t === 'status').map(([, , c]) => c.execution_state);
      assert.deepEqual(states, ['busy', 'idle'], type);
      const reply = answers.findIndex(([channel]) => channel === 'shell');
      assert.ok(reply > 0 && reply < answers.length - 1, `${type}: the reply comes between busy and idle`);
      assert.equal(answers[reply][1], type.replace(/_request$/, '_reply'));
    }
  });

  test('execution counts: each stored cell takes one; a silent one takes none and is not echoed', async () => {
    const transport = new FakeTransport();
    const executor = fakeExecutor();
    new Kernel(transport, executor);
    const first = await transport.settled(transport.deliver('shell', 'execute_request', execute('value 1')));
    const silent = await transport.settled(transport.deliver('shell', 'execute_request', execute('value 2', { silent: true, store_history: false })));
    const second = await transport.settled(transport.deliver('shell', 'execute_request', execute('value 3')));
    const count = (answers) => answers.find(([channel]) => channel === 'shell')[2].execution_count;
    assert.deepEqual([count(first), count(second)], [1, 2]);
    assert.ok(!silent.some(([, type]) => type === 'execute_input' || type === 'execute_result'), 'a silent cell publishes no input nor result');
    assert.ok(first.some(([, type, content]) => type === 'execute_input' && content.code === 'value 1'));
  });

  test('stop_on_error: requests queued behind a failing cell are answered aborted and never run', async () => {
    const transport = new FakeTransport();
    const executor = fakeExecutor();
    new Kernel(transport, executor);
    const failing = transport.deliver('shell', 'execute_request', execute('fail'));
    const queued = [transport.deliver('shell', 'execute_request', execute('print must not run')), transport.deliver('shell', 'execute_request', execute('value 2'))];
    await transport.settled(failing);
    for (const request of queued) {
      const answers = await transport.settled(request);
      assert.equal(answers.find(([channel]) => channel === 'shell')[2].status, 'aborted');
    }
    assert.deepEqual(executor.ran, ['fail']);
    // A cell sent after the abort runs as usual.
    const after = await transport.settled(transport.deliver('shell', 'execute_request', execute('value 3')));
    assert.equal(after.find(([channel]) => channel === 'shell')[2].status, 'ok');
  });

  test('a comm a client opens is closed at once (no targets); an unknown request gets no reply and the kernel goes on', async () => {
    const transport = new FakeTransport();
    new Kernel(transport, fakeExecutor());
    const open = transport.deliver('shell', 'comm_open', { comm_id: 'c1', target_name: 'jupyter.widget', data: {} });
    const answers = await transport.settled(open);
    assert.ok(answers.some(([channel, type, content]) => channel === 'iopub' && type === 'comm_close' && content.comm_id === 'c1'));
    const unknown = transport.deliver('shell', 'frobnicate_request', {});
    await transport.settled(unknown);
    assert.ok(!transport.answersTo(unknown).some(([channel]) => channel === 'shell'));
    const info = await transport.settled(transport.deliver('shell', 'kernel_info_request'));
    assert.equal(info.find(([channel]) => channel === 'shell')[2].status, 'ok');
  });
});
