/** The cluster as a library: `import { Cluster } from 'tsp2p/p2p'`. */
export { Cluster, startWorker, type JoinOptions, type WorkerProcess } from './cluster.js';
export { RemoteError, type RemoteErrorData } from '../errors.js';
export { TaskHandle, type TaskSpec, type TaskStatus, type WorkerInfo, type DisplayEvent } from './task-handle.js';
export { loadIdentity, setIdentityName, type Identity } from './identity.js';
export { addFriend, listFriends, removeFriend } from './friends.js';
