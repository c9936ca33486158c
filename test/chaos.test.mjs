// Chaos: a 500-task map over three workers (2 + 1 + 2 slots) while every 1.5 s a random worker or slot
// process is SIGKILLed or SIGSTOPped and restarted (or continued) 1 s later. Each task appends to a file
// when it starts and ends: no result may be missing, wrong or delivered twice, no task may fail, and none
// may start more often than its attempts.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startChaos } from './helpers/chaos.mjs';
import { skipUnlessNetns, World } from './helpers/cluster.mjs';
import { executions } from './helpers/executions.mjs';

let world;
before(async () => {
  if (skipUnlessNetns) return;
  world = await World.create();
  await world.startHost(['bob', 'carol', 'diana']);
});
after(() => world?.stop());

test('a 500-task map survives workers and slot processes killed and frozen every 1.5 s', { skip: skipUnlessNetns, timeout: 120_000 }, async () => {
  const workers = [
    { user: 'alice', slots: 2 },
    { user: 'bob', slots: 1 },
    { user: 'carol', slots: 2 },
  ];
  for (const w of workers) w.proc = await world.startWorker(w.user, { slots: w.slots });
  const file = path.join(world.dir, 'chaos.txt');
  writeFileSync(file, '');
  const plan = { mode: 'map', tasks: 500, minMs: 30, maxMs: 90, rounds: 1, file, workers: 3 };
  const client = world.mapClient('diana', plan);
  await client.waitFor('"ready"', { stream: 'stdout' });
  const chaos = startChaos(world, workers);
  await client.waitFor('"summary"', { stream: 'stdout', timeoutMs: 110_000 });
  await chaos.stop();
  const summary = client.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.event === 'summary');
  process.stderr.write(`# chaos: ${chaos.log.length} faults, map in ${summary.ms[0]} ms\n`);
  assert.ok(chaos.log.length >= 3, `only ${chaos.log.length} faults were made`);
  assert.equal(summary.tasks, 500);
  assert.deepEqual(summary.failed, [], chaos.log.join('\n'));
  assert.equal(summary.wrong, 0);
  const counts = executions(file);
  const over = [...counts].filter(([i, c]) => c.start > summary.attempts[i]);
  assert.deepEqual(over, [], `tasks started more often than their attempts\n${chaos.log.join('\n')}`);
  for (let i = 0; i < 500; i++) assert.ok((counts.get(i)?.start ?? 0) >= 1, `task ${i} never ran`);
});
