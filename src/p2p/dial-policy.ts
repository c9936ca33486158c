/**
 * Who dials whom. Between two homes every dial is a holepunch, and crossing a port-randomizing NAT takes a
 * random punch: one at a time per process, seconds each, with a pause between (node.ts). Dialling every
 * member from both ends, as a plain swarm does, spends those on connections no one needs and has the two
 * ends of a pair punch against each other. So a process dials only peers it needs, and of a pair that
 * need each other only one end dials:
 *  - a client dials workers (its tasks run there);
 *  - a worker dials hosts (a new roster reaches it at once) and, of two workers, the one with the lower
 *    session key dials the other (rosters travel between them);
 *  - a host dials no one: members come to it, and its one random punch at a time is theirs;
 *  - everyone dials a relay (relay.ts): its key comes in its hello, and it dials no one.
 * Clients reach hosts by request only (roster-source.ts); clients meet no other clients.
 * An end that should be dialled but has not been WAIT_FOR_DIAL_MS after it found the other (discovery can
 * see one way only for a while) dials itself, unless it is a host.
 */
import { ROLE } from './protocol.js';

export const WAIT_FOR_DIAL_MS = 8_000;

export interface DialEnd {
  roles: number;
  session: Buffer;
}

const has = (end: DialEnd, role: number): boolean => (end.roles & role) !== 0;

/** Whether `local` dials `remote` first (the other end waits to be dialled). */
function dialsFirst(local: DialEnd, remote: DialEnd): boolean {
  // A relay is there to be reached by everyone it may have to relay for; it learns nothing by dialling.
  if (has(remote, ROLE.relay) && !has(local, ROLE.relay)) return true;
  if (has(local, ROLE.relay)) return false;
  if (has(local, ROLE.client) && has(remote, ROLE.worker)) return true;
  if (has(local, ROLE.worker) && has(remote, ROLE.host)) return true;
  if (has(local, ROLE.worker) && has(remote, ROLE.worker) && !has(local, ROLE.host) && !has(remote, ROLE.host)) return Buffer.compare(local.session, remote.session) < 0;
  return false;
}

/**
 * Whether `local` dials `remote` now: it dials first, or the other end should have and has not within
 * WAIT_FOR_DIAL_MS of being found (`foundForMs`). Null: no connection between them is needed at all.
 */
export function shouldDial(local: DialEnd, remote: DialEnd, foundForMs: number): boolean | null {
  if (dialsFirst(local, remote)) return true;
  if (!dialsFirst(remote, local)) return null;
  return !has(local, ROLE.host) && foundForMs >= WAIT_FOR_DIAL_MS;
}
