/**
 * Heartbeats between clients and workers. Each side sends a `ping` every HEARTBEAT_MS to the peers it
 * watches; any message counts as a sign of life (the parts of a large result too). A peer silent for
 * SILENCE_MS is dead or frozen (SIGKILL, SIGSTOP, a cut network): `onSilent` drops it, so a client re-runs
 * its tasks elsewhere and a worker stops a vanished client's tasks, both within 2 s. A dead TCP-less UDP
 * peer says nothing at all; without this, only hyperdht's own timeouts (~5-20 s) would notice.
 *
 * If the check itself ran late, this process's event loop was blocked (a long synchronous cell in the
 * kernel): frames may wait unread, so that silence is ours, and the clocks restart instead.
 * The clock runs only while some peer is watched: wake() when one comes; with none left it stops (an idle
 * worker's event loop sleeps).
 * Lifecycle: start() → wake()… → stop().
 */
export const HEARTBEAT_MS = 500;
export const SILENCE_MS = 1_500;
const TICK_MS = 250;

import type { Peer } from './peer-network.js';

export class Liveness {
  #timer: NodeJS.Timeout | null = null;
  #started = false;
  #lastTick = Date.now();
  #lastPing = 0;

  constructor(
    private readonly watched: () => Iterable<Peer>,
    private readonly onSilent: (peer: Peer, silentMs: number) => void,
  ) {}

  start(): void {
    this.#started = true;
    this.wake();
  }

  /** A peer that may be watched came: the clock runs (again). */
  wake(): void {
    if (!this.#started || this.#timer) return;
    this.#lastTick = Date.now();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  #tick(): void {
    const now = Date.now();
    const late = now - this.#lastTick > 2 * TICK_MS;
    this.#lastTick = now;
    const ping = now - this.#lastPing >= HEARTBEAT_MS - TICK_MS / 2;
    if (ping) this.#lastPing = now;
    const watched = [...this.watched()];
    if (watched.length === 0) {
      if (this.#timer) clearInterval(this.#timer);
      this.#timer = null;
      return;
    }
    for (const peer of watched) {
      const channel = peer.channel;
      if (late) channel.lastHeard = Math.max(channel.lastHeard, now);
      else if (now - channel.lastHeard > SILENCE_MS) {
        this.onSilent(peer, now - channel.lastHeard);
        continue;
      }
      if (ping) channel.send('ping', {});
    }
  }

  stop(): void {
    this.#started = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
