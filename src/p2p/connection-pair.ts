/**
 * Two connections with one peer (both sides dialled at once, or the peer reconnected): which to keep, and
 * how to let the other go without losing anything on it and without either side taking that for the peer
 * leaving. Both sides decide alike, so both retire the same connection; it is ended only once both have.
 */
import type { SecretStream } from 'hyperdht';
import type { PeerChannel } from './protocol.js';

/** A retired connection the other side never agrees to retire is destroyed after this long. */
const RETIRE_MS = 10_000;

/**
 * Whether `candidate` replaces `existing`. A second connection opened by the same side as the first is a
 * reconnect (a side dials only a peer it has no connection with, nor one being made: it gave the first
 * up): the new one wins. Otherwise both dialled at once, and the one opened by the lower session key wins.
 */
export function replaces(me: Buffer, candidate: SecretStream, existing: SecretStream): boolean {
  if (candidate.isInitiator === existing.isInitiator) return true;
  const lower = Buffer.compare(me, candidate.remotePublicKey) < 0 ? me : candidate.remotePublicKey;
  const openedBy = candidate.isInitiator ? me : candidate.remotePublicKey;
  return openedBy.equals(lower);
}

/**
 * Connections being retired. Nothing more is sent on one but `retire`, and frames still arriving on it are
 * read. It is ended (`end()` flushes what was sent) only once both sides have retired it: the other side
 * may not have seen the second connection open yet and still use this one as its only one; ending it then
 * looked to it like the peer leaving (its tasks were dropped while the client, on the other connection,
 * waited for them).
 */
export class Retirements {
  readonly #state = new WeakMap<SecretStream, { here: boolean; there: boolean }>();

  #of(socket: SecretStream): { here: boolean; there: boolean } {
    const state = this.#state.get(socket) ?? { here: false, there: false };
    this.#state.set(socket, state);
    return state;
  }

  /** This side stops using `socket` (its `channel`): says so, and ends it if the other side already has. */
  retire(socket: SecretStream, channel: PeerChannel): void {
    const state = this.#of(socket);
    state.here = true;
    channel.send('retire', {});
    const timer = setTimeout(() => socket.destroy(), RETIRE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    if (state.there) socket.end();
  }

  /** The other side retired `socket`: end it if this side has too (else it will, soon). */
  retiredThere(socket: SecretStream): void {
    const state = this.#of(socket);
    state.there = true;
    if (state.here) socket.end();
  }
}
