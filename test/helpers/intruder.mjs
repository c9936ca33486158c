// An attacker who is not on the roster but holds a stolen copy of it (so she knows the topic secret): joins
// the swarm directly, skipping every client-side check, and tries to get any task run for a few seconds.
// Prints JSON: how many peers let her in and whether a task ran. Used by test/cluster.test.mjs.
import { loadIdentity } from '../../dist/p2p/identity.js';
import { loadStoredRoster, resolveClusterRef } from '../../dist/p2p/membership.js';
import { createDht } from '../../dist/p2p/node.js';
import { PeerNetwork } from '../../dist/p2p/peer-network.js';
import { ROLE } from '../../dist/p2p/protocol.js';
import { Scheduler } from '../../dist/p2p/scheduler.js';

const me = loadIdentity();
const ref = resolveClusterRef(process.argv[2], me);
const roster = loadStoredRoster(ref);
if (!roster) throw new Error('no stolen roster to use');
const dht = createDht(undefined);
await dht.ready();
const network = new PeerNetwork({ dht, identity: me, roster, roles: ROLE.client });
let connected = 0;
network.on('peer', () => connected++);
await network.start();
const scheduler = new Scheduler(network);
const task = scheduler.submit({ code: 'process.pid' });
const ran = await Promise.race([task.result.then(() => true, () => false), new Promise((r) => setTimeout(() => r(false), Number(process.argv[3] ?? 4000)))]);
process.stdout.write(JSON.stringify({ connected, ran }) + '\n');
scheduler.close();
await network.stop();
await dht.destroy();
