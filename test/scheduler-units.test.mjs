// The client's scheduler in-process, against a fake peer network (no DHT, no processes): which worker gets
// a task, how far ahead it is sent, what happens when a worker is lost, gives a task back, or answers.
// Fast and deterministic; the same behaviours are tested end to end in cluster.test and heal.test.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, describe, test } from 'node:test';
import { dispatchFrame, ROLE } from '../dist/p2p/protocol.js';
import { Scheduler } from '../dist/p2p/scheduler.js';
import { toWire } from '../dist/p2p/values.js';

/** What the scheduler uses of a PeerNetwork: peers coming and going, frame tables, sends recorded per peer. */
class FakeNetwork extends EventEmitter {
  peers = [];
  tables = new Set();

  handle(table) {
    this.tables.add(table);
    return () => this.tables.delete(table);
  }

  relayedVia() {
    return null;
  }

  addWorker(user, slots = 1) {
    const peer = {
      id: `${user}-${this.peers.length}`.padEnd(64, '0'),
      hello: { roles: ROLE.worker, user, host: 'vm', slots, versions: '{"tsp2p":"test"}' },
      sent: [],
      channel: { send: (name, frame) => peer.sent.push([name, frame]) },
    };
    this.peers.push(peer);
    this.emit('peer', peer);
    return peer;
  }

  /** A frame from `peer`, as the network would hand it to the scheduler's table. */
  from(peer, name, frame) {
    for (const table of this.tables) dispatchFrame(table, peer, name, frame);
  }

  lose(peer) {
    this.peers = this.peers.filter((p) => p !== peer);
    this.emit('close', peer);
  }
}

const tasksSent = (peer) => peer.sent.filter(([name]) => name === 'task').map(([, frame]) => frame);
const result = (value, ms = 1) => ({ ...toWire(value), ms });

describe('Scheduler', () => {
  let scheduler;
  afterEach(() => scheduler?.close());

  test('a task goes to the worker with the most room; a pipeline of 3 per slot, the rest waits', () => {
    const network = new FakeNetwork();
    scheduler = new Scheduler(network);
    const small = network.addWorker('bob', 1);
    const big = network.addWorker('carol', 2);
    const handles = Array.from({ length: 12 }, () => scheduler.submit({ code: '1' }));
    // Before any task's cost is known, the short pipeline (2 per slot): 2 at bob, 4 at carol.
    assert.equal(tasksSent(small).length, 2);
    assert.equal(tasksSent(big).length, 4);
    assert.equal(scheduler.pending, 6);
    assert.ok(handles.slice(0, 6).every((h) => h.status === 'sent'));
    // A quick result makes room for a deeper pipeline (3 per slot) at that worker.
    const first = tasksSent(small)[0];
    network.from(small, 'started', { id: first.id });
    network.from(small, 'result', { id: first.id, ...result(42, 1) });
    assert.equal(handles.find((h) => h.id === first.id).status, 'done');
    assert.equal(tasksSent(small).length, 2 + 2, 'bob had 1 in flight, now room for 3');
  });

  test('results resolve their handles exactly once; frames of tasks not at that worker are dropped', async () => {
    const network = new FakeNetwork();
    scheduler = new Scheduler(network);
    const bob = network.addWorker('bob');
    const carol = network.addWorker('carol');
    const handle = scheduler.submit({ code: '6 * 7', worker: 'bob' });
    const [sent] = tasksSent(bob);
    assert.equal(tasksSent(carol).length, 0, '--worker bob: only bob');
    network.from(carol, 'result', { id: sent.id, ...result('forged') });
    assert.equal(handle.status, 'sent', "carol's result for bob's task is not taken");
    network.from(bob, 'result', { id: sent.id, ...result(42) });
    network.from(bob, 'result', { id: sent.id, ...result(43) });
    assert.equal(await handle, 42);
  });

  test('a lost worker: its tasks run again elsewhere, as new attempts; after 3 attempts, given up with the causes', async () => {
    const network = new FakeNetwork();
    scheduler = new Scheduler(network);
    const workers = [network.addWorker('bob'), network.addWorker('carol'), network.addWorker('dave')];
    const handle = scheduler.submit({ code: 'x' });
    const at = () => workers.find((w) => tasksSent(w).some((t) => t.id === handle.id));
    for (let attempt = 1; attempt <= 3; attempt++) {
      const worker = at();
      assert.ok(worker, `attempt ${attempt} was sent`);
      assert.equal(tasksSent(worker).find((t) => t.id === handle.id).attempt, attempt);
      workers.splice(workers.indexOf(worker), 1);
      network.lose(worker);
    }
    await assert.rejects(handle.result, (err) => err.code === 'WORKER_LOST' && /after 3 attempts/.test(err.message));
  });

  test("the worker's own endings keep their codes: a timeout is TASK_TIMEOUT, naming the worker; a task's error is data", async () => {
    const network = new FakeNetwork();
    scheduler = new Scheduler(network);
    const bob = network.addWorker('bob', 2);
    const timed = scheduler.submit({ code: 'while (true) {}', timeoutMs: 300 });
    const failing = scheduler.submit({ code: 'throw 1' });
    const [t1, t2] = tasksSent(bob);
    network.from(bob, 'error', { id: t1.id, json: JSON.stringify({ ename: 'Tsp2pError', evalue: 'stopped', stack: '', worker: 'bob@vm', code: 'TASK_TIMEOUT' }) });
    network.from(bob, 'error', { id: t2.id, json: JSON.stringify({ ename: 'RangeError', evalue: 'too far', stack: 'RangeError: too far', worker: 'bob@vm' }) });
    await assert.rejects(timed.result, (err) => err.code === 'TASK_TIMEOUT' && /timeout of 300 ms .*\(on bob@vm\)/.test(err.message));
    await assert.rejects(failing.result, (err) => err.code === 'REMOTE_ERROR' && err.ename === 'RangeError' && err.worker === 'bob@vm');
    assert.equal(failing.status, 'failed');
  });

  test('cancel: the worker is told, the handle settles at once as cancelled', async () => {
    const network = new FakeNetwork();
    scheduler = new Scheduler(network);
    const bob = network.addWorker('bob');
    const handle = scheduler.submit({ code: 'x' });
    handle.cancel();
    await assert.rejects(handle.result, { code: 'TASK_CANCELLED' });
    assert.equal(handle.status, 'cancelled');
    assert.deepEqual(bob.sent.filter(([name]) => name === 'cancel').map(([, f]) => f.id), [handle.id]);
  });

  test('a long task holds its worker: the task waiting behind it is asked back when another worker has room', () => {
    const network = new FakeNetwork();
    scheduler = new Scheduler(network);
    const bob = network.addWorker('bob');
    const [first, long, waiting] = [scheduler.submit({ code: 'a' }), scheduler.submit({ code: 'b' }), scheduler.submit({ code: 'c' })];
    // bob's tasks take 50 ms each (as its first result says): long work, so a short pipeline.
    network.from(bob, 'result', { id: first.id, ...result(1, 50) });
    assert.deepEqual(tasksSent(bob).map((t) => t.id), [first.id, long.id, waiting.id]);
    network.from(bob, 'started', { id: long.id });
    assert.equal(bob.sent.filter(([name]) => name === 'withdraw').length, 0, 'no one else to run it yet');
    // A worker with room appears while bob's last task waits behind a long one: that task is asked back.
    const carol = network.addWorker('carol');
    assert.deepEqual(bob.sent.filter(([name]) => name === 'withdraw').map(([, f]) => f.id), [waiting.id]);
    // bob gives it back; it goes to carol, and the attempt given back does not count.
    network.from(bob, 'withdrawn', { id: waiting.id });
    assert.deepEqual(tasksSent(carol).map((t) => [t.id, t.attempt]), [[waiting.id, 1]]);
    // Had it started meanwhile, bob would say nothing and it would finish there: asked back only once.
    assert.equal(bob.sent.filter(([name]) => name === 'withdraw').length, 1);
  });

  test('load and tally: counts by outcome from a newer worker, load.done alone from an older one', () => {
    const network = new FakeNetwork();
    scheduler = new Scheduler(network);
    const older = network.addWorker('bob');
    const newer = network.addWorker('carol');
    network.from(older, 'load', { slots: 1, running: 0, queued: 0, done: 7 });
    network.from(newer, 'load', { slots: 1, running: 0, queued: 0, done: 7 });
    network.from(newer, 'tally', { done: 4, failed: 2, cancelled: 1 });
    network.from(newer, 'load', { slots: 1, running: 0, queued: 0, done: 7 });
    const info = Object.fromEntries(scheduler.workers().map((w) => [w.user, [w.done, w.failed, w.cancelled]]));
    assert.deepEqual(info, { bob: [7, 0, 0], carol: [4, 2, 1] });
  });
});

describe('spread: short tasks over as many slots as it pays to use', () => {
  /** Epochs of a Spread on a fake clock, `rateOf(width)` tasks per second finishing in each. */
  async function epochs(rateOf, count, { spread, clock, waiting = true, slots = 24 } = {}) {
    const { EPOCH_MS, Spread } = await import('../dist/p2p/spread.js');
    clock ??= { t: 0 };
    spread ??= new Spread(() => clock.t);
    if (clock.t === 0) spread.observe(waiting, slots);
    const widths = [];
    for (let i = 0; i < count; i++) {
      const finished = Math.round((rateOf(spread.width, i) * EPOCH_MS) / 1000);
      for (let k = 0; k < finished; k++) spread.finished();
      clock.t += EPOCH_MS;
      spread.observe(waiting, slots);
      widths.push(spread.width);
    }
    return { widths, spread, clock };
  }
  const share = (widths, test) => widths.filter(test).length / widths.length;
  // A little noise, the same every run: ±3%.
  const noise = (i) => 1 + 0.03 * Math.sin(i * 12.9898);

  test('workers sharing two cores (more finish no faster): the spread stays narrow', async () => {
    const { widths } = await epochs((_, i) => 2_400 * noise(i), 200);
    assert.ok(Math.max(...widths) <= 3, `widest ${Math.max(...widths)}`);
    assert.ok(share(widths, (w) => w === 2) >= 0.85, `at 2 slots ${share(widths, (w) => w === 2)} of the time`);
  });

  test('each slot adds its share (workers on their own machines): the spread widens to every slot within a few epochs', async () => {
    const { widths } = await epochs((w, i) => 300 * w * noise(i), 100);
    assert.ok(widths.indexOf(24) >= 0 && widths.indexOf(24) <= 8, `24 slots after ${widths.indexOf(24)} epochs: ${widths.slice(0, 10)}`);
    assert.ok(share(widths.slice(10), (w) => w >= 18) >= 0.9, `${widths.slice(10)}`);
  });

  test('gains that stop at 8 slots: the spread settles near 8', async () => {
    const { widths } = await epochs((w, i) => 300 * Math.min(w, 8) * noise(i), 200);
    assert.ok(share(widths.slice(20), (w) => w >= 8 && w <= 12) >= 0.8, `${widths.slice(20)}`);
  });

  test('when the work no longer gains from width, the spread narrows again; with no tasks waiting it stays put', async () => {
    const wide = await epochs((w) => 300 * w, 40);
    assert.equal(wide.widths.at(-1), 24);
    const shared = await epochs(() => 2_400, 150, wide);
    assert.ok(shared.widths.slice(-20).every((w) => w <= 3), `${shared.widths.slice(-20)}`);
    // The tasks came slower than the spread could take them: epochs say nothing of the spread then.
    const idle = await epochs(() => 10, 50, { waiting: false });
    assert.ok(idle.widths.every((w) => w === 2));
  });

  test('the scheduler: short work goes to the first workers the spread holds; a task for a named worker goes there; long work everywhere', () => {
    const network = new FakeNetwork();
    const scheduler = new Scheduler(network);
    try {
      const workers = ['bob', 'carol', 'dave', 'erin', 'frank', 'grace'].map((user) => network.addWorker(user));
      const first = Array.from({ length: 12 }, () => scheduler.submit({ code: '1' }));
      // Before any task's cost is known, every worker takes some (2 each).
      assert.deepEqual(workers.map((w) => tasksSent(w).length), [2, 2, 2, 2, 2, 2]);
      // Each answers its first within 1 ms: short work. Later tasks go to two workers only (the first two in
      // this client's own order).
      for (const w of workers) network.from(w, 'result', { id: tasksSent(w)[0].id, ...result(1, 1) });
      const more = Array.from({ length: 30 }, () => scheduler.submit({ code: '1' }));
      const sent = workers.map((w) => tasksSent(w).length);
      assert.equal(sent.filter((n) => n > 2).length, 2, `${sent}`);
      assert.equal(sent.filter((n) => n === 2).length, 4, `${sent}`);
      const outside = workers.find((w, i) => sent[i] === 2);
      const named = scheduler.submit({ code: '1', worker: outside.hello.user });
      assert.equal(tasksSent(outside).at(-1).id, named.id);
      for (const h of [...first, ...more, named]) h.cancel();
      // The work turns long (the first workers' next tasks take 50 ms): then it goes wherever there is room.
      const before = workers.map((w) => tasksSent(w).length);
      Array.from({ length: 12 }, () => scheduler.submit({ code: '2' }));
      for (const w of workers.filter((w, i) => sent[i] > 2)) network.from(w, 'result', { id: tasksSent(w).at(-1).id, ...result(1, 50) });
      const after = workers.map((w, i) => tasksSent(w).length - before[i]);
      assert.ok(after.filter((n) => n > 0).length >= 5, `long work at every worker with room: ${after}`);
    } finally {
      scheduler.close();
    }
  });
});
