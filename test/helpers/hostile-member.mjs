// A hostile member (TSP2P_HOME, TSP2P_BOOTSTRAP from the environment) doing what the protocol allows and
// more, for test/bombs.test.mjs. Prints one JSON line per outcome.
//   node hostile-member.mjs CLUSTER bombs    : sends workers tasks whose inputs are decompression bombs
//   node hostile-member.mjs CLUSTER parts MIB: sends each worker MIB MiB of a task frame's parts, never the last
//   node hostile-member.mjs CLUSTER worker   : poses as a worker that answers every task with a bomb result
//   node hostile-member.mjs CLUSTER garbage N: sends each worker N malformed frames, then an ordinary task
//   node hostile-member.mjs CLUSTER forgetful: poses as a worker that starts tasks and then loses them
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';
import { Cluster } from '../../dist/p2p/cluster.js';
import { openNode } from '../../dist/p2p/node.js';
import { ROLE } from '../../dist/p2p/protocol.js';

const [cluster, mode, arg] = process.argv.slice(2);
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const MiB = 1024 * 1024;

/**
 * A value whose one binary part claims 512 MiB: 'dense' is 512 MiB of zeros at brotli's quality 11 (841
 * bytes, kept in test/fixtures: it takes 16 s to make), 'wide' the same at quality 0, as tsp2p compresses.
 */
function bombValue(kind) {
  const claimed = 512 * MiB;
  const data =
    kind === 'dense'
      ? readFileSync(new URL('../fixtures/zeros-512MiB.br', import.meta.url))
      : brotliCompressSync(Buffer.alloc(claimed), { params: { [constants.BROTLI_PARAM_QUALITY]: 0, [constants.BROTLI_PARAM_SIZE_HINT]: claimed } });
  return { json: JSON.stringify({ json: { x: { i: 0, t: 'Uint8Array', z: claimed } }, meta: { values: { x: [['custom', 'tsp2p-binary']] } } }), buffers: [data] };
}

if (mode === 'forgetful') {
  // A worker that says it started each task and then forgets it (as a bug that lost it would): asked what
  // it holds, it says so.
  const node = await openNode({ cluster, roles: ROLE.worker, slots: 1 });
  node.network.on('peer', (peer) => peer.channel.send('load', { slots: 1, running: 0, queued: 0, done: 0 }));
  node.network.handle({
    task: (peer, frame) => peer.channel.send('started', { id: frame.id }),
    inflight: (peer, frame) => peer.channel.send('unknown', { ids: frame.ids }),
  });
  say({ ready: true, id: node.network.session.publicKey.toString('hex') });
  await new Promise(() => {});
}

if (mode === 'worker') {
  const node = await openNode({ cluster, roles: ROLE.worker, slots: 1 });
  const bomb = bombValue('dense');
  node.network.on('peer', (peer) => peer.channel.send('load', { slots: 1, running: 0, queued: 0, done: 0 }));
  node.network.handle({
    task: (peer, frame) => {
      peer.channel.send('started', { id: frame.id });
      peer.channel.send('result', { id: frame.id, ...bomb, ms: 1 });
    },
  });
  say({ ready: true, bytes: bomb.buffers[0].byteLength });
  await new Promise(() => {});
}

const c = await Cluster.join({ cluster });
await c.waitForWorkers(1, 15_000);
const workers = c.node.network.peers.filter((p) => p.hello.roles & ROLE.worker);
const answers = new Map();
c.node.network.handle({
  error: (_peer, frame) => answers.set(frame.id, JSON.parse(frame.json)),
  result: (_peer, frame) => answers.set(frame.id, { result: true }),
});

if (mode === 'bombs') {
  // The bomb (841 bytes claiming 512 MiB), and an honest-looking one within the ratio but over the size.
  const bombs = { dense: bombValue('dense'), wide: bombValue('wide') };
  for (const peer of workers) {
    for (const [kind, value] of Object.entries(bombs)) {
      peer.channel.send('task', { id: `${kind}-${peer.id.slice(0, 6)}`, code: 'x.length', ...value, timeoutMs: 0, attempt: 1 });
    }
  }
  const deadline = Date.now() + 20_000;
  while (answers.size < workers.length * 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  say({ answers: Object.fromEntries(answers), sizes: Object.fromEntries(Object.entries(bombs).map(([k, v]) => [k, v.buffers[0].byteLength])) });
} else if (mode === 'garbage') {
  // Frames no tsp2p sends: truncated, empty, wrongly shaped; N of them to each worker, as fast as it goes.
  const shapes = [Buffer.from([0xff, 0xff, 0xff]), Buffer.alloc(0), Buffer.from('not a frame at all')];
  for (const peer of workers) {
    for (let i = 0; i < Number(arg); i++) {
      peer.channel.sendRaw(i % 2 ? 'task' : 'cancel', shapes[i % shapes.length]);
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
  }
  say({ sent: Number(arg), value: await c.run({ code: '6 * 7', timeoutMs: 20_000 }) });
} else if (mode === 'parts') {
  const total = Number(arg) * MiB;
  const chunk = Buffer.alloc(MiB / 2, 1);
  for (const peer of workers) {
    // Parts of a `task` frame (type 1), never the last one.
    for (let sent = 0; sent < total; sent += chunk.byteLength) {
      peer.channel.send('part', { type: 1, data: chunk, last: false });
      if (sent % (16 * MiB) === 0) await new Promise((r) => setImmediate(r));
    }
  }
  // Still a member in good standing: an ordinary task runs.
  say({ sent: total, value: await c.run({ code: '6 * 7', timeoutMs: 20_000 }) });
}
await c.close();
process.exit(0);
