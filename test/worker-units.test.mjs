// The worker service in-process, against a fake peer network (no DHT): its slot processes are real, the
// members are not. Fairness between members, and what a member's frames can and cannot do.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { dispatchFrame, ROLE } from '../dist/p2p/protocol.js';
import { toWire } from '../dist/p2p/values.js';
import { WorkerService } from '../dist/p2p/worker.js';
import { waitFor } from './helpers/kernel.mjs';

class FakeNetwork extends EventEmitter {
  identity = { name: 'wendy' };
  tables = new Set();
  peers = [];
  /** Everything the worker sent, to whom, in order. */
  log = [];

  handle(table) {
    this.tables.add(table);
    return () => this.tables.delete(table);
  }

  heedSilenceOf() {}
  heedNow() {}
  peersWith(roles) {
    return this.peers.filter((p) => (p.hello.roles & roles) !== 0);
  }

  /** A member's client: its frames to the worker, and what the worker sent it, in order. */
  addClient(user) {
    const peer = {
      id: `${user}-client`.padEnd(64, '0'),
      identity: Buffer.from(user.padEnd(32, '-')),
      hello: { roles: ROLE.client, user, host: 'vm', slots: 0, versions: '{}' },
      got: [],
      channel: { send: (name, frame) => (peer.got.push([name, frame]), this.log.push([user, name, frame.id])) },
    };
    this.peers.push(peer);
    this.emit('peer', peer);
    return peer;
  }

  send(peer, name, frame) {
    for (const table of this.tables) dispatchFrame(table, peer, name, frame);
  }
}

const task = (id, code) => ({ id, code, ...toWire({}), timeoutMs: 0, attempt: 1 });
/** A task's code is a script whose completion value is its result (as ship.ts makes them). */
const sleeping = (ms, value = 1) => `(async () => { await new Promise((r) => setTimeout(r, ${ms})); return ${JSON.stringify(value)}; })()`;
const outcomes = (peer) => peer.got.filter(([name]) => name === 'result' || name === 'error').map(([name, f]) => [f.id, name]);

describe('WorkerService', () => {
  let network;
  let worker;
  before(async () => {
    network = new FakeNetwork();
    worker = new WorkerService({ network, slots: 1 });
    await worker.ready();
  });
  after(() => worker?.close());

  test('members take turns: one who queued many tasks does not hold back one who queued a single task', async () => {
    const alice = network.addClient('alice');
    const bob = network.addClient('bob');
    for (let i = 0; i < 12; i++) network.send(alice, 'task', task(`a${i}`, sleeping(30)));
    network.send(bob, 'task', task('b0', sleeping(30)));
    await waitFor(() => outcomes(alice).length === 12 && outcomes(bob).length === 1, { what: 'all thirteen results', timeoutMs: 20_000 });
    // alice keeps the slot for her turn (100 ms, SlotPool's QUANTUM_MS, and the task sent ahead), then bob's
    // task runs: after about four of hers, not after all twelve.
    const started = network.log.filter(([, name]) => name === 'started').map(([user, , id]) => `${user}:${id}`);
    assert.equal(started.length, 13);
    assert.ok(started.indexOf('bob:b0') <= 6, started.join(' '));
    assert.deepEqual(outcomes(bob), [['b0', 'result']]);
  });

  test("a member cannot cancel or withdraw another member's task: only the sender's own ids count", async () => {
    const alice = network.addClient('alice2');
    const mallory = network.addClient('mallory');
    network.send(alice, 'task', task('t1', sleeping(200, 'kept')));
    await waitFor(() => alice.got.some(([name, f]) => name === 'started' && f.id === 't1'), { what: "alice's task to start" });
    network.send(mallory, 'cancel', { id: 't1' });
    network.send(mallory, 'withdraw', { id: 't1' });
    await waitFor(() => outcomes(alice).length === 1, { what: "alice's result" });
    assert.deepEqual(outcomes(alice), [['t1', 'result']]);
    assert.deepEqual(mallory.got.filter(([name]) => name !== 'load' && name !== 'tally'), []);
  });

  test('a cancel from the sender stops its running task and is counted as cancelled', async () => {
    const carol = network.addClient('carol');
    const before = { ...worker.tally };
    network.send(carol, 'task', task('c1', 'while (true) {}'));
    await waitFor(() => carol.got.some(([name, f]) => name === 'started' && f.id === 'c1'), { what: "carol's task to start" });
    network.send(carol, 'cancel', { id: 'c1' });
    await waitFor(() => outcomes(carol).length === 1, { what: 'the cancel to answer' });
    assert.match(JSON.stringify(carol.got.find(([name]) => name === 'error')[1]), /TASK_CANCELLED/);
    assert.equal(worker.tally.cancelled, before.cancelled + 1);
    // The slot's process was replaced: the next task runs.
    network.send(carol, 'task', task('c2', '6 * 7'));
    await waitFor(() => outcomes(carol).length === 2, { what: 'the next task', timeoutMs: 10_000 });
  });
});
