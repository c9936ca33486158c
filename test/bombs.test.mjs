// Memory (and logs) stay bounded whatever a member sends: decompression bombs as a task's inputs, a frame's
// parts that never end, a flood of malformed frames, and a bomb as a result to a client. Everyone else is
// unaffected. Bounds stated here:
// a worker with --max-value 32M peaks below 200 MB (process) and its slot below 150 MB; a client peaks
// below 200 MB. Without the caps, the issue measured 1.1 GB for the slot and 1,139 MiB for the client.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { skipUnlessNetns, World } from './helpers/cluster.mjs';

const peakMb = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
function childrenOf(pid) {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('task-child');
      } catch {
        return false;
      }
    })
    .map(Number);
}
const lines = (proc) => proc.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('a member cannot exhaust anyone\'s memory', { skip: skipUnlessNetns }, () => {
  let world;
  let worker;
  before(async () => {
    world = await World.create(['alice', 'bob', 'diana', 'mallory']);
    await world.startHost(['bob', 'diana', 'mallory']);
    worker = await world.startWorker('bob', { extra: ['--max-value', '32M'] });
  });
  after(() => world?.stop());

  test('decompression bombs as task inputs are refused before they are inflated, saying why', async () => {
    const mallory = world.script('mallory', 'hostile-member.mjs', ['alice/friends', 'bombs']);
    assert.equal(await mallory.exited, 0, mallory.output);
    const { answers, sizes } = lines(mallory).at(-1);
    process.stderr.write(`# bombs of ${sizes.dense} and ${sizes.wide} bytes, each claiming 512 MiB\n`);
    const answer = (kind) => Object.entries(answers).find(([id]) => id.startsWith(kind))?.[1] ?? assert.fail(`no answer to the ${kind} bomb: ${mallory.output}\n${worker.output}`);
    const [dense, wide] = [answer('dense'), answer('wide')];
    assert.match(dense.evalue, /claims 536870912 bytes from \d+ compressed \(more than 2048:1\)/);
    assert.match(wide.evalue, /over the limit of 32 MiB \(--max-value/);
    const [slot] = childrenOf(worker.pid);
    process.stderr.write(`# peak RSS: worker ${peakMb(worker.pid).toFixed(0)} MB, slot ${peakMb(slot).toFixed(0)} MB\n`);
    assert.ok(peakMb(worker.pid) < 200, `the worker peaked at ${peakMb(worker.pid)} MB`);
    assert.ok(peakMb(slot) < 150, `the slot peaked at ${peakMb(slot)} MB`);
    // Others are unaffected.
    const r = await world.cli('diana', ['exec', '--cluster=alice/friends', '6 * 7']);
    assert.equal(r.stdout.trim(), '42', r.stderr);
  });

  test("a frame's parts that never end hold at most --max-value, and the sender stays a working member", async () => {
    const mallory = world.script('mallory', 'hostile-member.mjs', ['alice/friends', 'parts', '80']);
    assert.equal(await mallory.exited, 0, mallory.output);
    assert.equal(lines(mallory).at(-1).value, 42);
    await worker.waitFor(/dropped a task frame larger than/);
    process.stderr.write(`# after 80 MiB of unfinished parts: worker peak ${peakMb(worker.pid).toFixed(0)} MB\n`);
    assert.ok(peakMb(worker.pid) < 200, `the worker peaked at ${peakMb(worker.pid)} MB`);
  });

  test('10,000 malformed frames cost the worker a few log lines (and a count), not one each', async () => {
    const before = worker.stderr.split('\n').length;
    const mallory = world.script('mallory', 'hostile-member.mjs', ['alice/friends', 'garbage', '10000']);
    assert.equal(await mallory.exited, 0, mallory.output);
    assert.equal(lines(mallory).at(-1).value, 42);
    // Mallory's process ended: the count of what was not said comes with the connection's close.
    await worker.waitFor(/dropped \d+ more malformed or oversized frames \(\d+ from this peer in all\)/);
    const said = worker.stderr.split('\n').slice(before - 1).filter((l) => /dropped/.test(l));
    process.stderr.write(`# 10,000 malformed frames: ${said.length} log lines\n`);
    assert.ok(said.length <= 6, said.join('\n'));
    assert.match(said.join('\n'), /\(10000 from this peer in all\)/);
  });

  test('a bomb as a result fails that task only; the client stays small', async () => {
    const fake = world.script('mallory', 'hostile-member.mjs', ['alice/friends', 'worker']);
    await fake.waitFor('"ready"', { stream: 'stdout' });
    const victim = world.script('diana', 'map-client.mjs', ['alice/friends', JSON.stringify({ mode: 'one', code: '1', worker: 'mallory', workers: 2 })]);
    assert.equal(await victim.exited, 0, victim.output);
    const outcome = lines(victim).find((e) => e.event === 'one');
    process.stderr.write(`# client after a bomb result: ${outcome.error}; peak RSS ${outcome.maxRssMb} MB\n`);
    assert.match(outcome.error, /more than 2048:1/);
    assert.ok(outcome.maxRssMb < 200, `the client peaked at ${outcome.maxRssMb} MB`);
    assert.equal(outcome.after, 42, 'the next task, on an honest worker');
    await fake.kill();
  });
});

describe("members' tasks are kept apart on a shared worker", { skip: skipUnlessNetns }, () => {
  let world;
  before(async () => {
    world = await World.create(['alice', 'bob', 'carol', 'mallory']);
    await world.startHost(['bob', 'carol', 'mallory']);
    await world.startWorker('bob'); // one slot: every task of every member goes through it
  });
  after(() => world?.stop());

  test("a member's task cannot forge another member's result or read their code (one process per member)", async () => {
    const spy = `${world.dir}/spied.txt`;
    // mallory's task rewires its process: results it sends are forged, and tasks it is handed are copied.
    const arm = `
      const send = process.send.bind(process);
      const forge = (m) => m && m.type === 'result' && !m.json.includes('armed');
      process.send = (m, ...rest) => send(forge(m) ? { ...m, json: JSON.stringify({ json: 'FORGED BY MALLORY' }) } : m, ...rest);
      process.on('message', (m) => m && m.type === 'run' && require('fs').appendFileSync(${JSON.stringify(spy)}, m.code));
      'armed'`;
    const armed = await world.cli('mallory', ['exec', '--cluster=alice/friends', arm]);
    assert.equal(armed.stdout.trim(), 'armed', armed.stderr);
    const t0 = Date.now();
    const carol = await world.cli('carol', ['exec', '--cluster=alice/friends', 'const secret = "carol-api-key-123"; secret.length']);
    process.stderr.write(`# carol's first task on a worker mallory used: ${Date.now() - t0} ms (exec, process replaced)\n`);
    assert.equal(carol.stdout.trim(), '17', carol.stderr);
    const { existsSync, readFileSync } = await import('node:fs');
    assert.ok(!existsSync(spy) || !readFileSync(spy, 'utf8').includes('carol-api-key'), 'mallory read carol\'s code');
    // mallory's next task goes to her own process, still armed: that harms only her. It spies her own code.
    const again = await world.cli('mallory', ['exec', '--cluster=alice/friends', '"mallory-" + 6 * 7']);
    assert.equal(again.stdout.trim(), 'FORGED BY MALLORY');
    assert.match(readFileSync(spy, 'utf8'), /mallory-/);
  });
});
