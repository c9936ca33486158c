/**
 * Who dials whom. Between two homes every dial is a holepunch, and crossing a port-randomizing NAT takes a
 * random punch: one at a time per process, seconds each, with a pause between (node.ts). Dialling every
 * member from both ends, as a plain swarm does, spends those on connections no one needs and has the two
 * ends of a pair punch against each other. So a process dials only peers it needs, and of a pair that
 * need each other only one end dials:
 *  - a client dials workers (its tasks run there);
 *  - a worker dials hosts (a new roster reaches it at once) and a few other workers: its RING_LINKS
 *    successors on the ring of the workers' session keys it knows, once a first discovery round has
 *    shown it the others (RING_SETTLE_MS). Rosters travel between workers (when the
 *    host is offline, say), and a ring keeps them all connected at a cost that does not grow with the
 *    cluster: with a link to every worker, each idle worker of 24 kept 23 connections alive;
 *  - a host dials no one: members come to it, and its one random punch at a time is theirs;
 *  - everyone dials a relay (relay.ts): its key comes in its hello, and it dials no one.
 * Clients reach hosts by request only (roster-source.ts); clients meet no other clients.
 * An end that should be dialled but has not been WAIT_FOR_DIAL_MS after it found the other (discovery can
 * see one way only for a while) dials itself, unless it is a host.
 */
import { ROLE } from './protocol.js';

export const WAIT_FOR_DIAL_MS = 8_000;
/** How many other workers each worker dials: two, so the ring holds when one of them is gone. */
export const RING_LINKS = 2;
/**
 * Two workers that met decide on a link this long after: by the next discovery round (0.3 s after the
 * first ends, discovery.ts), so every worker the first round found is on the ring as each end sees it.
 */
export const RING_SETTLE_MS = 300;

export interface DialEnd {
  roles: number;
  session: Buffer;
}

const has = (end: DialEnd, role: number): boolean => (end.roles & role) !== 0;
/** A worker that is not also a host: the ring is made of these. */
export const isPlainWorker = (roles: number): boolean => (roles & ROLE.worker) !== 0 && (roles & ROLE.host) === 0;

/** The RING_LINKS session keys after `session` on the ring of `workers` (sorted, wrapping around). */
export function ringSuccessors(session: Buffer, workers: Iterable<Buffer>): Buffer[] {
  const others = [...workers].filter((w) => !w.equals(session)).sort(Buffer.compare);
  const after = others.findIndex((w) => Buffer.compare(w, session) > 0);
  const ring = after < 0 ? others : [...others.slice(after), ...others.slice(0, after)];
  return ring.slice(0, RING_LINKS);
}

/** What a dial decision knows besides the two ends: the workers this end knows of (the ring). */
export interface DialView {
  /** Session keys of the cluster's workers found (this one's own is added). */
  workers: Iterable<Buffer>;
  /** Since when this end has known the remote one (discovery), in ms. */
  foundForMs: number;
}

/** Whether `local` dials `remote` first (the other end waits to be dialled). */
function dialsFirst(local: DialEnd, remote: DialEnd, workers: Iterable<Buffer>): boolean {
  // A relay is there to be reached by everyone it may have to relay for; it learns nothing by dialling.
  if (has(remote, ROLE.relay) && !has(local, ROLE.relay)) return true;
  if (has(local, ROLE.relay)) return false;
  if (has(local, ROLE.client) && has(remote, ROLE.worker)) return true;
  if (has(local, ROLE.worker) && has(remote, ROLE.host)) return true;
  if (isPlainWorker(local.roles) && isPlainWorker(remote.roles)) return ringSuccessors(local.session, workers).some((w) => w.equals(remote.session));
  return false;
}

/**
 * Whether `local` dials `remote` now: it dials first, or the other end should have and has not within
 * WAIT_FOR_DIAL_MS of being found. Null: no connection between them is needed (now: two workers decide
 * once the ring has settled, RING_SETTLE_MS after they met).
 */
export function shouldDial(local: DialEnd, remote: DialEnd, view: DialView): boolean | null {
  const workers = [...view.workers, local.session];
  if (isPlainWorker(local.roles) && isPlainWorker(remote.roles) && view.foundForMs < RING_SETTLE_MS) return null;
  if (dialsFirst(local, remote, workers)) return true;
  if (!dialsFirst(remote, local, workers)) return null;
  return !has(local, ROLE.host) && view.foundForMs >= WAIT_FOR_DIAL_MS;
}
