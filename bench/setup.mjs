// What the benchmarks share: moving into a private network namespace, a progress clock, and the friends'
// cluster (a local DHT, alice hosting alice/friends, bob and carol with a 1-slot worker each) with diana's
// kernel joined to it.
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
