// The cluster across real processes on a real (local) DHT: alice hosts alice/friends for bob, carol and diana;
// bob and carol run workers; diana (and an outsider, eve) use it. Each has their own TSP2P_HOME.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parentPid, skipUnlessNetns, World } from './helpers/cluster.mjs';

describe('tsp2p cluster (host, two workers, a client)', { skip: skipUnlessNetns }, () => {
  let world;
  let host;
  const workers = {};

  before(async () => {
    world = await World.create(['alice', 'bob', 'carol', 'diana', 'eve']);
    host = await world.startHost(['bob', 'carol', 'diana']);
    workers.bob = await world.startWorker('bob');
    workers.carol = await world.startWorker('carol');
  });
  after(() => world?.stop());

  const exec = (user, code, extra = []) => world.cli(user, ['exec', '--cluster=alice/friends', ...extra, code]);

  test('exec returns the pid of a worker slot process', async () => {
    const r = await exec('diana', 'process.pid');
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(r.stdout.trim());
    assert.ok([workers.bob.pid, workers.carol.pid].includes(parentPid(pid)), `pid ${pid} is not a slot of a worker`);
  });

  test('status lists both workers with user, host and slots', async () => {
    const r = await world.cli('diana', ['status', '--cluster=alice/friends', '--json', '--wait', '3s']);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout);
    assert.deepEqual(status.workers.map((w) => w.user).sort(), ['bob', 'carol']);
    for (const w of status.workers) assert.equal(w.slots, 1);
  });

  test('streams arrive in order', async () => {
    const r = await exec('diana', 'for (let i = 0; i < 200; i++) console.log(i); "end"');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 200), Array.from({ length: 200 }, (_, i) => String(i)));
    assert.equal(lines[200], 'end');
  });

  test('a script may declare names of built-ins and Node globals (the worker binds them for speed)', async () => {
    const r = await exec('diana', 'const crypto = require("node:crypto"); let Math = { pi: 3 };\nfunction parseInt() { return 7 }\n[typeof crypto.randomBytes, Math.pi, parseInt(), JSON.stringify([1])].join(" ")');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'function 3 7 [1]');
  });

  test('a script may declare a global that appeared after its slot started (gc, once exposed)', async () => {
    const expose = await exec('diana', 'require("node:v8").setFlagsFromString("--expose-gc"); typeof globalThis.gc', ['--worker', 'bob']);
    assert.equal(expose.code, 0, expose.stderr);
    const r = await exec('diana', 'const gc = 41; gc + 1', ['--worker', 'bob']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '42');
  });

  test('a thrown error comes back with its remote stack and exit code 1', async () => {
    const r = await exec('diana', 'function deep() { throw new TypeError("remote trouble") }\ndeep()');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /TypeError: remote trouble/);
    assert.match(r.stderr, /at deep \(task-[\w-]+\.js:1:\d+\)/);
    assert.match(r.stderr, /on (bob|carol)@/);
  });

  test('a thrown value that cannot even be described is an error, and the worker serves the next task', async () => {
    const weird = 'throw new Proxy({}, { get() { throw new Error("boom") }, getPrototypeOf() { throw new Error("boom") }, ownKeys() { throw new Error("boom") } })';
    const r = await exec('diana', weird, ['--worker', 'bob']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the task's error could not be reported: boom/);
    const next = await exec('diana', '6 * 7', ['--worker', 'bob']);
    assert.equal(next.stdout.trim(), '42', next.stderr);
  });

  test('a timeout kills only that task: the worker lives on and serves the next', async () => {
    const r = await exec('diana', 'while (true) {}', ['--timeout', '500ms', '--worker', 'bob']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the task ran longer than its timeout of 500 ms and was stopped \(on bob@/);
    assert.equal(workers.bob.child.exitCode, null, 'the worker process is alive');
    const next = await exec('diana', 'p2p.worker', ['--worker', 'bob']);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, /^bob@/);
  });

  test('forged and malformed frames are dropped; workers stay up and keep serving', async () => {
    const proc = world.script('diana', 'forge-frames.mjs', ['alice/friends', '2']);
    assert.equal(await proc.exited, 0, proc.stderr);
    const report = JSON.parse(proc.stdout);
    assert.equal(report.workers, 2);
    assert.equal(report.value, 42);
    for (const w of [workers.bob, workers.carol]) {
      assert.equal(w.child.exitCode, null);
      await w.waitFor('dropped a malformed frame');
      await w.waitFor('ignored a roster');
    }
  });

  test('a user not on the roster is refused: no roster from the host, and no worker will take a stolen one', async () => {
    const t0 = Date.now();
    const refused = await exec('eve', 'process.pid', ['--wait', '10s']);
    assert.notEqual(refused.code, 0);
    // Told the real cause, at once (not after the wait, not "is the host running?").
    assert.match(refused.stderr, /you are not a member of alice\/friends/);
    assert.ok(Date.now() - t0 < 5_000, `told after ${Date.now() - t0} ms`);
    // eve copies a member's stored roster (with the topic secret): she finds the peers, they refuse her.
    const { copyFileSync, readdirSync, mkdirSync } = await import('node:fs');
    mkdirSync(`${world.home('eve')}/clusters`, { recursive: true });
    for (const f of readdirSync(`${world.home('bob')}/clusters`)) copyFileSync(`${world.home('bob')}/clusters/${f}`, `${world.home('eve')}/clusters/${f}`);
    const honest = await exec('eve', 'process.pid', ['--wait', '2s']);
    assert.match(honest.stderr, /you are not a member of alice\/friends/);
    // Skipping the client's own checks does not help: every worker refuses her in the handshake.
    const intruder = world.script('eve', 'intruder.mjs', ['alice/friends', '4000']);
    assert.equal(await intruder.exited, 0, intruder.stderr);
    assert.deepEqual(JSON.parse(intruder.stdout), { connected: 0, ran: false });
    await workers.bob.waitFor('is not on the roster');
    await workers.carol.waitFor('is not on the roster');
    assert.doesNotMatch(workers.bob.output + workers.carol.output, /from eve/);
  });

  test('killing a worker mid-task re-runs the task on the other one', async () => {
    const code = '(async () => { console.log(p2p.worker); await new Promise((r) => setTimeout(r, 3000)); return "finished on " + p2p.worker })()';
    const run = world.spawn('diana', ['exec', '--cluster=alice/friends', code], 'diana exec');
    const [, first] = await run.waitFor(/^(bob|carol)@/m, { stream: 'stdout' });
    const victim = first;
    const survivor = victim === 'bob' ? 'carol' : 'bob';
    await workers[victim].kill('SIGKILL');
    assert.equal(await run.exited, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`finished on ${survivor}@`));
    assert.match(run.stderr, /lost .*re-running 1 task/);
    workers[victim] = await world.startWorker(victim);
  });

  test('a task waiting behind a long one is taken back when the other worker goes idle', async () => {
    const client = world.script('diana', 'tail-client.mjs', ['alice/friends']);
    assert.equal(await client.exited, 0, client.stderr);
    const [long, , waiting] = JSON.parse(client.stdout);
    // It was sent behind the long task (two in flight per worker), then ran on the other worker, once.
    assert.notEqual(waiting.worker, long.worker, JSON.stringify(JSON.parse(client.stdout)));
    assert.ok(waiting.doneAt < long.doneAt - 1000, `the short task finished at ${waiting.doneAt} ms, the long one at ${long.doneAt} ms`);
    for (const run of JSON.parse(client.stdout)) assert.equal(run.attempts, 1);
  });

  test('the cluster keeps working after the host stops', async () => {
    await host.kill('SIGTERM');
    await host.waitFor('host stopped');
    const r = await exec('diana', 'p2p.worker');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^(bob|carol)@/);
    // A worker restarted now serves with its stored roster, and says what that means for revocations.
    await workers.carol.kill('SIGTERM');
    workers.carol = world.spawn('carol', ['worker', '--cluster=alice/friends', '--slots', '1'], 'carol worker');
    await workers.carol.waitFor(/host of alice\/friends was not reached .*: using the roster stored here \(version \d+, .*members removed since then may still be let in/);
    await workers.carol.waitFor('worker joined');
  });

  test('re-hosting without a member revokes their access at once', async () => {
    host = await world.startHost(['bob', 'diana']);
    assert.match(host.stdout, /removed carol/);
    // bob's worker hears of the new roster and drops carol; it refuses her from then on.
    await workers.bob.waitFor(/roster of friends is now version 2/);
    const carol = await exec('carol', 'process.pid', ['--wait', '3s', '--worker', 'bob']);
    assert.notEqual(carol.code, 0, `${carol.stdout}\n${carol.stderr}\nBOB:${workers.bob.output.slice(-1500)}\nCAROL:${workers.carol.output.slice(-800)}`);
    // The host tells her why.
    assert.match(carol.stderr, /you are not a member of alice\/friends/);
    // diana still works, only on bob's worker (carol's is no longer in the cluster).
    for (let i = 0; i < 3; i++) {
      const r = await exec('diana', 'p2p.worker');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^bob@/);
    }
  });
});

describe('revocation while the host is offline', { skip: skipUnlessNetns }, () => {
  test('a worker restarted with its stored roster, after a removal it missed, refuses the removed member once it meets a member', async () => {
    const world = await World.create(['alice', 'bob', 'carol', 'mallory']);
    try {
      let host = await world.startHost(['bob', 'carol', 'mallory']);
      const bob = await world.startWorker('bob');
      let carol = await world.startWorker('carol');
      const before = await world.cli('mallory', ['exec', '--cluster=alice/friends', '--worker', 'carol', 'p2p.worker']);
      assert.match(before.stdout, /^carol@/, before.stderr);
      // carol's worker is down while alice removes mallory; then alice's host goes down too.
      await carol.kill('SIGTERM');
      await host.kill('SIGTERM');
      host = await world.startHost(['bob', 'carol']);
      await bob.waitFor(/roster of friends is now version 2/);
      await host.kill('SIGTERM');
      // carol's worker starts with the roster it stored (mallory still on it)...
      const started = Date.now();
      carol = world.spawn('carol', ['worker', '--cluster=alice/friends', '--slots', '1'], 'carol worker');
      // ...until it meets bob's worker on the old topic (members visit it while a roster with its secret
      // may be in use) and takes the newer roster from it.
      await carol.waitFor(/roster of friends is now version 2/);
      process.stderr.write(`# the restarted worker had the new roster ${Date.now() - started} ms after it started\n`);
      const after = await world.cli('mallory', ['exec', '--cluster=alice/friends', '--worker', 'carol', '--wait', '3s', 'p2p.worker']);
      assert.notEqual(after.code, 0, after.stdout);
      assert.doesNotMatch(carol.output, /task \w+ from mallory|; mallory \d|: mallory \d/);
      // Members still use it.
      const diana = await world.cli('bob', ['exec', '--cluster=alice/friends', '--worker', 'carol', 'p2p.worker']);
      assert.match(diana.stdout, /^carol@/, diana.stderr);
    } finally {
      await world.stop();
    }
  });
});
