// A cluster that heals itself, tried the way people start and break things: host, worker and client at the
// same instant, a worker before its host, a host restarted under a running worker, a worker killed or
// frozen in the middle of a long task, and many short maps whose tasks get taken back. Tasks append to a
// file when they start and end, so the tests count executions, not just results.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipUnlessNetns, World } from './helpers/cluster.mjs';
import { executions } from './helpers/executions.mjs';


function events(proc) {
  return proc.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function waitForEvent(proc, predicate, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = events(proc).find(predicate);
    if (found) return found;
    if (proc.child.exitCode !== null) throw new Error(`map client exited:\n${proc.output}`);
    if (Date.now() > deadline) throw new Error(`no such event within ${timeoutMs} ms:\n${proc.output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('any start order', { skip: skipUnlessNetns }, () => {
  let world;
  before(async () => {
    world = await World.create();
  });
  after(() => world?.stop());

  test('host, worker and exec started at the same instant answer, 10 rounds out of 10', async () => {
    const took = [];
    for (let round = 0; round < 10; round++) {
      const cluster = `alice/at-once-${round}`;
      // The owner's own worker (the case a boot script hits) and a friend's, in turn.
      const workerUser = round % 2 === 0 ? 'alice' : 'bob';
      const t0 = Date.now();
      const host = world.spawn('alice', ['host', '--users=bob,carol,diana', `--cluster=${cluster}`], 'host');
      const worker = world.spawn(workerUser, ['worker', `--cluster=${cluster}`, '--slots', '1'], 'worker');
      const exec = await world.cli('diana', ['exec', `--cluster=${cluster}`, 'p2p.worker']);
      took.push(Date.now() - t0);
      assert.equal(exec.code, 0, `round ${round}: ${exec.stderr}\nworker: ${worker.output}\nhost: ${host.output}`);
      assert.match(exec.stdout, new RegExp(`^${workerUser}@`));
      await Promise.all([host.kill(), worker.kill()]);
    }
    process.stderr.write(`# at once: exec answered in ${took.join(', ')} ms\n`);
  });

  test('a worker started before its host says what it waits for, and serves within 3 s of the host being up', async () => {
    const cluster = 'alice/early';
    const worker = world.spawn('bob', ['worker', `--cluster=${cluster}`, '--slots', '1'], 'worker');
    await worker.waitFor(/waiting for alice's host \(alice\/early\)/);
    const host = world.spawn('alice', ['host', '--users=bob,diana', `--cluster=${cluster}`], 'host');
    await host.waitFor('is up');
    const up = Date.now();
    await worker.waitFor('worker joined', { timeoutMs: 10_000 });
    const joined = Date.now() - up;
    assert.ok(joined <= 3_000, `the worker joined ${joined} ms after the host was up`);
    const exec = await world.cli('diana', ['exec', `--cluster=${cluster}`, 'p2p.worker']);
    assert.equal(exec.code, 0, exec.stderr);
    await Promise.all([host.kill(), worker.kill()]);
  });

  test('a host restarted while a worker runs: the worker stays, members keep using it', async () => {
    const cluster = 'alice/restart';
    let host = await world.startHost(['bob', 'diana'], cluster);
    const worker = await world.startWorker('bob', { cluster });
    assert.equal((await world.cli('diana', ['exec', `--cluster=${cluster}`, '1 + 1'])).stdout.trim(), '2');
    await host.kill('SIGTERM');
    host = world.spawn('alice', ['host', '--users=bob,diana', `--cluster=${cluster}`], 'host again');
    const r = await world.cli('diana', ['exec', `--cluster=${cluster}`, '2 + 2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '4');
    await host.waitFor('is up');
    assert.equal(worker.child.exitCode, null, worker.output);
    await Promise.all([host.kill(), worker.kill()]);
  });

  test('without a host, exec waits --wait and then says what it found', async () => {
    const t0 = Date.now();
    const r = await world.cli('diana', ['exec', '--cluster=alice/nobody-hosts', '--wait', '2s', '1']);
    assert.equal(r.code, 1);
    assert.ok(Date.now() - t0 < 6_000, `took ${Date.now() - t0} ms`);
    assert.match(r.stderr, /waited 2 s for the host of alice\/nobody-hosts.*not on the DHT/);
    // alice hosting another cluster is not taken for "you are not a member".
    const other = await world.startHost(['diana'], 'alice/other');
    const r2 = await world.cli('diana', ['exec', '--cluster=alice/nobody-hosts', '--wait', '2s', '1']);
    assert.match(r2.stderr, /alice's host answered, but it hosts another cluster, not alice\/nobody-hosts/);
    await other.kill();
  });

  test('with a host but no worker, exec waits --wait and then says what it found and what is connected', async () => {
    const host = await world.startHost(['diana'], 'alice/no-workers');
    const r = await world.cli('diana', ['exec', '--cluster=alice/no-workers', '--wait', '2s', '1']);
    assert.equal(r.code, 1);
    // (A client does not connect to the host: it asks it for the roster, and dials workers only.)
    assert.match(r.stderr, /no worker of alice\/no-workers became available within 2 s \(roster from the host; 1 process\(es\) of the cluster found on the DHT, 0 connected\): start one with `tsp2p worker --cluster=alice\/no-workers`/);
    await host.kill();
  });
});

describe('failures are noticed fast and tasks run once', { skip: skipUnlessNetns }, () => {
  let world;
  let workers;
  before(async () => ({ world, workers } = await World.friendsWithTwoWorkers()));
  after(() => world?.stop());
  const client = (plan) => world.mapClient('diana', plan);

  for (const signal of ['SIGKILL', 'SIGSTOP']) {
    test(`${signal} of the worker running a 10 s task: it re-runs elsewhere within 2 s, and runs to completion once`, async () => {
      const file = path.join(world.dir, `long-${signal}.txt`);
      writeFileSync(file, '');
      const run = client({ mode: 'long', ms: 10_000, file, workers: 2 });
      const first = await waitForEvent(run, (e) => e.event === 'started');
      const victim = first.user;
      const killedAt = Date.now();
      workers[victim].child.kill(signal);
      const second = await waitForEvent(run, (e) => e.event === 'started' && e.attempt === 2, 10_000);
      const detection = second.at - killedAt;
      process.stderr.write(`# ${signal}: re-run on ${second.user} after ${detection} ms\n`);
      assert.notEqual(second.user, victim);
      assert.ok(detection <= 2_500, `re-run ${detection} ms after the ${signal}`);
      if (signal === 'SIGSTOP') {
        workers[victim].child.kill('SIGCONT');
        // It comes back: its log says the client connected again.
        const before = (workers[victim].stdout.match(/connected: diana/g) ?? []).length;
        await workers[victim].waitFor(new RegExp(`(connected: diana[^]*){${before + 1}}`), { timeoutMs: 15_000 });
      }
      await waitForEvent(run, (e) => e.event === 'done' || e.event === 'failed', 20_000);
      const done = events(run).find((e) => e.event === 'done');
      assert.ok(done, run.output);
      assert.equal(done.attempts, 2);
      assert.equal(executions(file).get(0).end, 1, readFileSync(file, 'utf8'));
      if (signal === 'SIGKILL') workers[victim] = await world.startWorker(victim);
    });
  }

  test('many short maps on two 1-slot workers: tasks taken back are never run twice', async () => {
    const file = path.join(world.dir, 'withdraw.txt');
    writeFileSync(file, '');
    const run = client({ mode: 'map', tasks: 24, minMs: 5, maxMs: 60, rounds: 25, file, workers: 2 });
    const summary = await waitForEvent(run, (e) => e.event === 'summary', 90_000);
    assert.equal(summary.tasks, 600);
    assert.deepEqual(summary.failed, []);
    assert.equal(summary.wrong, 0);
    const counts = executions(file);
    const twice = [...counts].filter(([, c]) => c.start !== 1);
    assert.deepEqual(twice, [], 'tasks that ran more than once');
    assert.equal(counts.size, 600);
    // The race was run: some tasks were taken back and moved to the other worker.
    assert.ok(summary.moved > 0, 'no task was taken back');
    process.stderr.write(`# withdraw race: ${summary.moved} tasks moved, none ran twice\n`);
  });
});

describe('vanished clients, dead workers, dying task processes, prompt exits', { skip: skipUnlessNetns }, () => {
  let world;
  let workers;
  before(async () => ({ world, workers } = await World.friendsWithTwoWorkers()));
  after(() => world?.stop());
  const client = (plan, env = {}) => world.mapClient('diana', plan, env);

  test("a client that vanishes: workers stop its running and queued tasks within 2 s", async () => {
    const file = path.join(world.dir, 'vanish.txt');
    writeFileSync(file, '');
    // Four 10 s tasks on two 1-slot workers: each runs one and holds one.
    const run = client({ mode: 'long', ms: 10_000, file, workers: 2, tasks: 4 });
    await waitForEvent(run, (e) => e.event === 'started' && e.index === 0);
    await waitForEvent(run, (e) => e.event === 'started' && e.index === 1);
    const before = (workers.bob.output.match(/diana left/g) ?? []).length + (workers.carol.output.match(/diana left/g) ?? []).length;
    const killedAt = Date.now();
    run.child.kill('SIGKILL');
    const deadline = killedAt + 5_000;
    let stoppedAt = null;
    while (Date.now() < deadline) {
      const now = (workers.bob.output.match(/diana left/g) ?? []).length + (workers.carol.output.match(/diana left/g) ?? []).length;
      if (now >= before + 2) {
        stoppedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(stoppedAt, `the workers did not stop diana's tasks:\n${workers.bob.output}\n${workers.carol.output}`);
    process.stderr.write(`# vanished client: tasks stopped ${stoppedAt - killedAt} ms after the kill\n`);
    assert.ok(stoppedAt - killedAt <= 2_500, `stopped ${stoppedAt - killedAt} ms after the kill`);
    // The queued ones never start, and nothing runs to its end.
    const settle = Date.now() + 1_000;
    while (Date.now() < settle) {
      const counts = executions(file);
      assert.equal(counts.size, 2, readFileSync(file, 'utf8'));
      assert.ok([...counts.values()].every((c) => c.end === 0));
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  test('a dead idle worker leaves workers() within 2 s and is not redialled in a storm', async () => {
    const watch = client({ mode: 'watch', workers: 2 }, { TSP2P_LOG: 'debug' });
    await waitForEvent(watch, (e) => e.event === 'workers' && e.n === 2);
    const killedAt = Date.now();
    await workers.carol.kill('SIGKILL');
    const gone = await waitForEvent(watch, (e) => e.event === 'workers' && e.n === 1, 10_000);
    process.stderr.write(`# dead idle worker gone from workers() after ${gone.at - killedAt} ms\n`);
    assert.ok(gone.at - killedAt <= 2_500, `left workers() ${gone.at - killedAt} ms after the kill`);
    assert.deepEqual(gone.users, ['bob']);
    // Watch the dialling for 6 s: a few attempts on a back-off, not one per discovery round.
    const dials = () => (watch.stderr.match(/dialling/g) ?? []).length;
    const start = dials();
    const until = Date.now() + 6_000;
    while (Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    process.stderr.write(`# redials of the dead worker in 6 s: ${dials() - start}\n`);
    assert.ok(dials() - start <= 4, `${dials() - start} dials in 6 s`);
    watch.child.kill('SIGKILL');
    workers.carol = await world.startWorker('carol');
  });

  test('a task its worker lost track of (started, then nothing) does not wait forever: it runs again, and fails naming why', async () => {
    const forgetful = world.script('carol', 'hostile-member.mjs', ['alice/friends', 'forgetful']);
    await forgetful.waitFor('"ready"', { stream: 'stdout' });
    const { id } = JSON.parse(forgetful.stdout.split('\n')[0]);
    const t0 = Date.now();
    // Only the forgetful worker answers to its id: every attempt is lost, and the client finds out.
    const r = await world.cli('diana', ['exec', '--cluster=alice/friends', '--worker', id.slice(0, 12), 'p2p.worker']);
    const took = Date.now() - t0;
    process.stderr.write(`# task lost by its worker 3 times: given up after ${took} ms\n`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /does not hold task .* running it again/);
    assert.match(r.stderr, /given up after 3 attempts: its worker carol@\S+ lost track of it/);
    assert.ok(took < 20_000, `took ${took} ms`);
    await forgetful.kill();
  });

  test('a task whose process dies runs again once, then fails naming the signal', async () => {
    const file = path.join(world.dir, 'dies.txt');
    writeFileSync(file, '');
    const r = await world.cli('diana', ['exec', '--cluster=alice/friends', `require("fs").appendFileSync(${JSON.stringify(file)}, "ran\\n"); process.kill(process.pid, "SIGKILL")`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /its process died 2 times while its worker ran on \(SIGKILL: out of memory\?\)/);
    assert.equal(readFileSync(file, 'utf8'), 'ran\nran\n');
    // The workers live on.
    assert.equal((await world.cli('diana', ['exec', '--cluster=alice/friends', '6 * 7'])).stdout.trim(), '42');
  });

  test('one-shot commands exit within 200 ms of printing their answer; Cluster.close() leaves no timer', async () => {
    const gaps = [];
    for (const args of [['exec', '--cluster=alice/friends', '1 + 1'], ['status', '--cluster=alice/friends']]) {
      const proc = world.spawn('diana', args);
      let printedAt = 0;
      proc.child.stdout.once('data', () => (printedAt = Date.now()));
      assert.equal(await proc.exited, 0, proc.output);
      gaps.push(Date.now() - printedAt);
    }
    process.stderr.write(`# exit after printing: exec ${gaps[0]} ms, status ${gaps[1]} ms\n`);
    for (const gap of gaps) assert.ok(gap <= 250, `exited ${gap} ms after printing`);
    const lib = client({ mode: 'close', workers: 1 });
    const left = await waitForEvent(lib, (e) => e.event === 'left');
    assert.deepEqual(left.resources.filter((r) => r === 'Timeout'), [], JSON.stringify(left.resources));
  });
});
