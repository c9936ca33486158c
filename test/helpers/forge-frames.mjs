// Run as a cluster member (TSP2P_HOME, TSP2P_BOOTSTRAP from the environment): sends every worker malformed
// and forged frames, then a valid task, and prints what happened as JSON. Used by test/cluster.test.mjs.
import { Cluster } from '../../dist/p2p/cluster.js';

const cluster = await Cluster.join({ cluster: process.argv[2] });
await cluster.waitForWorkers(Number(process.argv[3] ?? 1), 15_000);
const peers = cluster.node.network.peers.filter((p) => p.hello.roles & 1);
for (const peer of peers) {
  peer.channel.sendRaw('task', Buffer.from([0xff, 0xff, 0xff]));          // truncated garbage
  peer.channel.sendRaw('task', Buffer.alloc(0));                           // empty
  peer.channel.sendRaw('cancel', Buffer.from('not a cancel frame at all')); // wrong shape
  peer.channel.send('roster', { roster: Buffer.from('forged roster bytes') }); // unsigned roster
}
const value = await cluster.run({ code: '6 * 7', timeoutMs: 10_000 });
process.stdout.write(JSON.stringify({ workers: peers.length, value }) + '\n');
await cluster.close();
