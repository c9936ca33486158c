/**
 * The cluster as a library: `import { Cluster } from 'tsp2p/p2p'`.
 *
 * Who does what, joining and hosting:
 * - cluster.ts: the library's face. Cluster.join (a client), startWorker (a worker): each opens a node.
 * - node.ts: a process joining as any role: identity, DHT node (crossing randomizing NATs sooner:
 *   random-probes.ts), roster (an invite redeemed here, else roster-source.ts), then a started PeerNetwork
 *   (peer-network.ts, dialling in dialer.ts).
 * - roster-source.ts: where a joining process gets its roster: stored, hosted here, or from the host
 *   (waiting for it, saying why); membership.ts: OWNER/NAME, stored rosters, asking the host for one.
 * - hosting.ts: what hosting is on disk (members, invites, the signed roster); host.ts: the running host
 *   (answers members with the roster, redeems invites, joins the swarm as role host; relays with --relay).
 */
export { Cluster, startWorker, type JoinOptions, type WorkerProcess } from './cluster.js';
export { RemoteError, type RemoteErrorData } from '../errors.js';
export { TaskHandle, type TaskSpec, type TaskStatus, type WorkerInfo, type DisplayEvent } from './task-handle.js';
export { loadIdentity, setIdentityName, type Identity } from './identity.js';
export { addFriend, listFriends, removeFriend } from './friends.js';
