/**
 * Heartbeats between clients and workers. A client keeps each worker it knows answering every
 * HEARTBEAT_MS, and anything from the worker counts as a sign of life: a message (the parts of a large
 * result too) or any packet of the connection, acknowledgements included (UDX acks each packet from its
 * own event loop, so a dead or frozen worker acks nothing). Every side says so in its hello (HEARS_ACKS);
 * to such a worker the client sends no message at all: its UDX stream's keepalive probes the worker after
 * each HEARTBEAT_MS without traffic, and the worker's UDX acknowledges the probe natively (PeerChannel.beat):
 * an idle worker runs no JavaScript for heartbeats, and counts the probes as the client's life in turn.
 * To an older worker the client sends a `ping` message; to an older client, which hears frames only, a
 * worker answers each `ping` with a `pong`.
 * A peer silent for SILENCE_MS is dead or frozen (SIGKILL, SIGSTOP, a cut network): `onSilent` drops it,
 * so a client re-runs its tasks elsewhere (or stops listing an idle worker) and a worker stops a vanished
 * client's tasks, both within 2 s. A dead TCP-less UDP peer says nothing at all; without this, only
 * hyperdht's own timeouts (~5-20 s) would notice.
 *
 * One side leads: the client. A worker watches a client's silence only while it holds that client's tasks
 * (issue: an idle worker ≤ 1 ms of CPU a second).
 *
 * If the check itself ran late, this process's event loop was blocked (a long synchronous cell in the
 * kernel): frames may wait unread, so that silence is ours, and the clocks restart instead.
 * The clock runs only while some peer is watched: wake() when one comes; with none left it stops.
 * Lifecycle: start() → wake()… → stop().
 */
import { jsonObject } from '../json-fields.js';
import type { Peer } from './peer-network.js';

export const HEARTBEAT_MS = 500;
/** In a hello's versions: this side hears a peer's life in its transport's packets, so its pings need no pong. */
export const HEARS_ACKS = { heartbeat: 'acks' } as const;

/** Whether a peer's hello says it hears acknowledgements (HEARS_ACKS): its pings need no pong. */
export function hearsAcks(hello: { versions: string }): boolean {
  return jsonObject(hello.versions)?.heartbeat === HEARS_ACKS.heartbeat;
}
export const SILENCE_MS = 1_500;
const TICK_MS = 250;

export interface Watched {
  peer: Peer;
  /** This side pings (a client, of a worker); else it only heeds the peer's silence. */
  leads: boolean;
}

export class Liveness {
  #timer: NodeJS.Timeout | null = null;
  #started = false;
  #lastTick = Date.now();
  #lastPing = 0;

  constructor(
    private readonly watched: () => Iterable<Watched>,
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
    for (const { peer, leads } of watched) {
      const channel = peer.channel;
      const heard = channel.heard();
      if (late) channel.lastHeard = Math.max(heard, now);
      else if (now - heard > SILENCE_MS) {
        this.onSilent(peer, now - heard);
        continue;
      }
      if (ping && leads) channel.beat(HEARTBEAT_MS);
    }
  }

  stop(): void {
    this.#started = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
