// What the benchmarks share: moving into a private network namespace, a progress clock, the CPU time of a
// process and of its tree, and the friends' cluster (a local DHT, alice hosting alice/friends, bob and carol
// with a 1-slot worker each) with diana's kernel joined to it.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inNamespace, runInNamespace } from '../dist/netns.js';

/** Re-runs the calling script inside a private loopback-only network namespace (once), then exits with it. */
export function inPrivateNetwork(scriptUrl) {
  if (inNamespace()) return;
  const script = fileURLToPath(scriptUrl);
  const code = runInNamespace([process.execPath, script, ...process.argv.slice(2)]);
  if (code === null) throw new Error(`bench/${path.basename(script)} needs a private network namespace (root or unprivileged user namespaces)`);
  process.exit(code);
}

/** The fields of /proc/PID/stat after the command's name (index 1 is the parent's pid), or null if gone. */
function statFields(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * CPU time (ms) a process has used, all its threads: the scheduler's own nanoseconds (schedstat). /proc's
 * utime and stime count 10 ms ticks, too coarse for a process that wakes for 0.2 ms a few times a second.
 */
export function cpuMs(pid) {
  let ns = 0;
  try {
    for (const thread of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    return 0;
  }
  return ns / 1e6;
}

/** CPU time (ms) of a process and its descendants (a worker with its slot processes and reaper). */
export function treeCpuMs(root) {
  // Each process's parent read once (not once per process of the tree).
  const parents = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => [Number(d), Number(statFields(d)?.[1])]);
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [p, parent] of parents) if (parent === tree[i]) tree.push(p);
  return tree.reduce((sum, p) => sum + cpuMs(p), 0);
}

/** `progress(what)` prints what happened with the seconds since the bench started, on stderr. */
export function progressClock() {
  const started = performance.now();
  return (what) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${what}\n`);
}

/** The friends' cluster and diana's kernel joined to it; `stop()` ends all of it. */
export async function dianaOnFriends() {
  const { World } = await import('../test/helpers/cluster.mjs');
  const { startKernel } = await import('../test/helpers/kernel.mjs');
  const world = await World.create();
  let kernel;
  try {
    await world.startHost(['bob', 'carol', 'diana']);
    await Promise.all([world.startWorker('bob'), world.startWorker('carol')]);
    kernel = await startKernel(null, { env: world.env('diana') });
    const join = await kernel.client.execute('%p2p join alice/friends');
    if (join.reply.content.status !== 'ok') throw new Error(`join failed: ${JSON.stringify(join.outputs.map((m) => m.content))}`);
  } catch (err) {
    await kernel?.stop();
    await world.stop();
    throw err;
  }
  return {
    client: kernel.client,
    stop: async () => {
      await kernel.stop();
      await world.stop();
    },
  };
}
