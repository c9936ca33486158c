// One scenario on the simulated internet (simnet.mjs), run through runInSimnet(): JSON in argv, JSON out.
//   { randomNat: [2], runs: 10, hostAt: 'h1' | 'p3', hostExtra: [], wait: '15s', doctor: true, measure: true,
//     lossPercent: 1, notebook: true, short: { runs: 4, wait: '1.5s' }, debug: true }
// With `debug`, every process logs at debug level and `out.logs` holds the lines of all of them on one clock
// (ms since the scenario began), for a test to show when a run was slow.
// alice hosts alice/friends (in home 1, or on the public machine p3), bob's worker is in home 1, and diana,
// in home 2, runs `tsp2p exec` `runs` times, each a fresh process as a user would: the time to its
// answer, or its error. Prints {"runs": [{ok, ms, error}], ...} on stdout.
import { World } from './cluster.mjs';
import { buildInternet } from './simnet.mjs';

const plan = JSON.parse(process.argv[2] ?? '{}');
const began = Date.now();
if (plan.debug) process.env.TSP2P_LOG = 'debug';
const internet = await buildInternet({ randomNat: plan.randomNat ?? [] });
const world = await World.create(['alice', 'bob', 'carol', 'diana'], { bootstrap: internet.bootstrap });
const MEMBERS = ['bob', 'carol', 'diana'];
const out = { runs: [] };
/** Every process's debug lines on the scenario's clock, discovery rounds left out. */
const timeline = (procs) =>
  procs
    .flatMap((p) =>
      p.stderr.split('\n').flatMap((line) => {
        const m = line.match(/^\[tsp2p (\S+) \+([\d.]+)s\] (.*)$/);
        if (!m || m[3].includes('discovery round')) return [];
        return [{ at: Math.round(p.spawnedAt - began + Number(m[2]) * 1000), line: `${p.label} ${m[1]}: ${m[3]}` }];
      }),
    )
    .sort((a, b) => a.at - b.at)
    .map((e) => `${String(e.at).padStart(6)} ${e.line}`);
try {
  if (plan.lossPercent) for (const home of [1, 2]) internet.impair(home, plan.lossPercent);
  await world.startHost(MEMBERS, 'alice/friends', { netns: plan.hostAt ?? 'h1', extra: plan.hostExtra ?? [] });
  const worker = world.spawn('bob', ['worker', '--cluster=alice/friends', '--slots', '1'], 'bob worker', { netns: 'h1' });
  await worker.waitFor('worker joined', { timeoutMs: 60_000 });
  const exec = async (wait, code = 'p2p.worker') => {
    const started = Date.now();
    const startedAt = started - began;
    const r = await world.cli('diana', ['exec', '--cluster=alice/friends', '--wait', wait, ...(plan.execExtra ?? []), code], { netns: 'h2', timeoutMs: 120_000, env: plan.env ?? {} });
    const run = { ok: r.code === 0 && /^bob@/.test(r.stdout), ms: Date.now() - started, startedAt, error: r.code === 0 ? null : r.stderr.trim().split('\n').slice(-3).join(' | '), ...(plan.env ? { log: r.stderr } : {}) };
    process.stderr.write(`[scenario] exec --wait ${wait}: ${JSON.stringify(run)}\n`);
    return run;
  };
  for (let i = 0; i < (plan.runs ?? 5); i++) out.runs.push(await exec(plan.wait ?? '15s'));
  // A task that runs for plan.longTask ms: while it runs neither side sends a message, and each hears the
  // other only in UDX's keepalive probes and their acknowledgements (through the relay, if there is one).
  if (plan.longTask) out.longTask = await exec('15s', `(async () => { await new Promise((r) => setTimeout(r, ${plan.longTask})); return p2p.worker; })()`);
  // Then execs that give up early (the roster is stored by now): what they say while a punch is under way.
  if (plan.short) {
    out.short = [];
    for (let i = 0; i < plan.short.runs; i++) out.short.push(await exec(plan.short.wait));
  }
  if (plan.relayStop) {
    // A map from home 2 to bob through the relay; the relaying host dies mid-map and comes back: every
    // task must end exactly once (counted by the side effect each run leaves), none lost.
    const { readFileSync } = await import('node:fs');
    const { executions } = await import('./executions.mjs');
    const file = `${world.dir}/executions.txt`;
    const map = { mode: 'map', tasks: 120, minMs: 20, maxMs: 40, file, workers: 1, maxAttempts: 5 };
    const client = world.script('diana', 'map-client.mjs', ['alice/friends', JSON.stringify(map)], {}, { netns: 'h2' });
    const ended = () => {
      try {
        return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('end')).length;
      } catch {
        return 0;
      }
    };
    const deadline = Date.now() + 60_000;
    while (ended() < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const host = world.procs.find((p) => p.label === 'alice host');
    await host.kill('SIGKILL');
    const killedAt = ended();
    // Back a moment later, as a restarted machine would be (a new relay key: members learn it anew).
    const restarted = Date.now();
    await world.startHost(MEMBERS, 'alice/friends', { netns: plan.hostAt ?? 'h1', extra: plan.hostExtra ?? [] });
    await client.exited;
    const lines = client.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const summary = lines.find((e) => e.event === 'summary');
    const counts = executions(file);
    out.relayStop = {
      endedBeforeKill: killedAt,
      hostBackMs: Date.now() - restarted,
      summary,
      ranTwice: [...counts.values()].filter((c) => c.end > 1).length,
      neverEnded: Array.from({ length: map.tasks }, (_, i) => i).filter((i) => !(counts.get(i)?.end > 0)).length,
      stderr: client.stderr.slice(-1500),
    };
  }
  if (plan.notebook) {
    // The showcase from the randomizing home: diana's kernel draws the Mandelbrot set on workers in home 1.
    const carol = world.spawn('carol', ['worker', '--cluster=alice/friends', '--slots', '1'], 'carol worker', { netns: 'h1' });
    await carol.waitFor('worker joined', { timeoutMs: 60_000 });
    // A copy in the world's directory: the notebook saves its image beside itself.
    const { copyFileSync, readFileSync } = await import('node:fs');
    const notebook = `${world.dir}/mandelbrot.ipynb`;
    copyFileSync(new URL('../../notebooks/mandelbrot.ipynb', import.meta.url), notebook);
    const output = `${world.dir}/mandelbrot-out.ipynb`;
    const started = Date.now();
    const r = await world.cli('diana', ['run', notebook, '-o', output, '--timeout', '120'], { netns: 'h2', timeoutMs: 180_000 });
    const cells = r.code === 0 ? JSON.parse(readFileSync(output, 'utf8')).cells : [];
    const text = cells.flatMap((c) => c.outputs ?? []).map((o) => [o.text, o.data?.['text/plain']].flat().join('')).join('\n');
    out.notebook = { code: r.code, ms: Date.now() - started, image: cells.some((c) => (c.outputs ?? []).some((o) => o.data?.['image/png'])), text: text.slice(-3000), stderr: r.stderr.slice(-1500) };
  }
  if (plan.measure) {
    const client = world.script('diana', 'path-client.mjs', ['alice/friends', 'bob'], {}, { netns: 'h2' });
    await client.exited;
    out.measure = client.stdout.trim() ? JSON.parse(client.stdout.trim()) : { error: client.stderr.slice(-500) };
  }
  if (plan.doctor) {
    // With debug logs (stderr), so that a doctor that did not see a worker says where the dial stood.
    const r = await world.cli('diana', ['doctor', '--cluster=alice/friends'], { netns: 'h2', timeoutMs: 60_000, env: { TSP2P_LOG: 'debug' } });
    out.doctor = { code: r.code, stdout: r.stdout, stderr: r.stderr };
    // The NAT verdict from each kind of place: home 1, and the public machine.
    out.doctorAt = {};
    for (const netns of plan.doctorAt ?? []) {
      const at = await world.cli('diana', ['doctor', '--cluster=alice/friends'], { netns, timeoutMs: 60_000 });
      out.doctorAt[netns] = at.stdout;
    }
  }
} finally {
  if (plan.debug) out.logs = timeline(world.procs);
  await world.stop();
  await internet.close();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
