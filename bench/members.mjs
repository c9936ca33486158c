// What keeping members apart (one slot process per member, issue 11) costs, in one run, on a 1-slot worker:
// tiny tasks of one member alone (the baseline) beside two members running theirs at the same time, and a
// new member's first task (its own process is started: spawn to first result) beside a warm one.
// Goal: two members together lose at most 10% of the tiny-task throughput of one alone.
//   node bench/members.mjs [--tasks N] [--workers N]
// --workers: that many 1-slot workers (bob's) instead of one: members then share a cluster, not a slot.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inPrivateNetwork, progressClock } from './setup.mjs';

inPrivateNetwork(import.meta.url);
const { World } = await import('../test/helpers/cluster.mjs');

const arg = (name) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : 0);
const tasks = arg('--tasks') || 2000;
const workers = arg('--workers') || 1;
const progress = progressClock();
const world = await World.create(['alice', 'bob', 'carol', 'diana']);
const CLIENT = fileURLToPath(new URL('./tiny-client.mjs', import.meta.url));

function client(user) {
  const child = spawn(process.execPath, [CLIENT, 'alice/friends', String(tasks), String(workers)], { env: world.env(user), stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const waiters = [];
  child.stdout.on('data', (d) => {
    out += d;
    for (const w of [...waiters]) w();
  });
  const events = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const next = (n) =>
    new Promise((resolve) => {
      const check = () => events().length >= n && (waiters.splice(waiters.indexOf(check), 1), resolve(events()[n - 1]));
      waiters.push(check);
      check();
    });
  return { child, next, go: () => child.stdin.write('go\n') };
}

try {
  await world.startHost(['bob', 'carol', 'diana']);
  await Promise.all(Array.from({ length: workers }, () => world.startWorker('bob', { slots: 1 })));
  const carol = client('carol');
  const diana = client('diana');
  await Promise.all([carol.next(1), diana.next(1)]);
  progress(`two members joined ${workers === 1 ? 'a 1-slot worker' : `${workers} 1-slot workers`}`);
  let seen = { carol: 1, diana: 1 };
  const next = (who, c) => c.next(++seen[who]);
  // Warm-up: carol alone; then diana's first task needs a process of her own (cold), carol's next is warm.
  carol.go();
  await next('carol', carol);
  diana.go();
  const cold = await next('diana', diana);
  carol.go();
  const warm = await next('carol', carol);
  const rounds = [];
  for (let round = 0; round < 5; round++) {
    carol.go();
    const alone = await next('carol', carol);
    carol.go();
    diana.go();
    const [c, d] = await Promise.all([next('carol', carol), next('diana', diana)]);
    const together = (c.tasks + d.tasks) / (Math.max(c.ms, d.ms) / 1000);
    rounds.push({ alone: alone.perSecond, together, ratio: together / alone.perSecond, fairness: Math.max(c.ms, d.ms) / Math.min(c.ms, d.ms) });
    progress(`round ${round + 1}: alone ${alone.perSecond.toFixed(0)}/s, two members ${together.toFixed(0)}/s`);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const f = (v, d = 0) => v.toFixed(d).padStart(8);
  console.log(`${''.padEnd(50)}${rounds.map((_, i) => `round ${i + 1}`.padStart(8)).join('')}`);
  console.log(`${`one member alone, ${tasks} tiny tasks (tasks/s)`.padEnd(50)}${rounds.map((r) => f(r.alone)).join('')}`);
  console.log(`${`two members at once, ${tasks} each (tasks/s)`.padEnd(50)}${rounds.map((r) => f(r.together)).join('')}`);
  console.log(`${'  two vs one'.padEnd(50)}${rounds.map((r) => f(r.ratio, 2)).join('')}   median ${median(rounds.map((r) => r.ratio)).toFixed(2)} (goal ≥ 0.9)`);
  console.log(`${'  their finishing times, slower / faster'.padEnd(50)}${rounds.map((r) => f(r.fairness, 2)).join('')}   (1 = fair)`);
  console.log(`${'first task on a warm process of the member (ms)'.padEnd(50)}${f(warm.firstMs, 1)}`);
  console.log(`${'first task of a new member: a cold process (ms)'.padEnd(50)}${f(cold.firstMs, 1)}   (spawn to first result)`);
  carol.child.stdin.end();
  diana.child.stdin.end();
} finally {
  await world.stop();
}
