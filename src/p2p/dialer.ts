/**
 * Dialling members: one attempt per peer at a time, bounded, retried as hyperdht's punch gate and the
 * back-off allow, and through a relay when a direct path is not there (or not yet). The network (peer-network.ts)
 * hands the sockets on once they are made; this module decides when and how to make them.
 */
import type DHT from 'hyperdht';
import type { QueryPeer, SecretStream } from 'hyperdht';
import type { KeyPair } from 'hypercore-crypto';
import { createLogger } from '../log.js';
import type { DialBook } from './dial-book.js';
import { isPlainWorker, shouldDial } from './dial-policy.js';
import type { Peer } from './peer-network.js';
import { relayFor } from './relay-paths.js';
import type { SessionCertificates } from './session-certificates.js';

const log = createLogger('network');

/**
 * A connection attempt not open by then is abandoned (and retried by a later discovery round). hyperdht
 * ends every attempt by itself first (a punch across ordinary NATs after ~10 s, a random punch after
 * ~35 s): this only guards against one that never ends. Cutting a random punch short would lose it while
 * the far side's half went on probing, holding that peer's one random punch at a time (node.ts).
 */
const CONNECT_TIMEOUT_MS = 45_000;
/** A punch that failed this fast was refused by hyperdht's random-punch gate, not by the network. */
const PUNCH_GATE_MS = 1_500;
/** Dialling again after the gate: soon (this end's pause is short), then less often (the far end's punch for someone else lasts seconds). */
const punchRetryMs = (failures: number): number => Math.min(2_400, 300 * 2 ** failures);
/** How long a direct dial may try before a known relay is used instead (hyperdht keeps punching there). */
const DIRECT_FIRST_MS = 3_000;
const GAVE_WAY = 'gave way to the relay';
/**
 * A relayed dial opens in well under a second (no punch to wait for). When its connection to the relay
 * fails (e.g. it needed a random punch and lost the turn to the direct punch hyperdht runs beside it),
 * hyperdht keeps it waiting for that punch, for up to ~35 s. One not open after this (doubling with each
 * such stall in a row, up to the guard above) is made again, which pairs afresh through the relay.
 */
const RELAYED_OPEN_MS = 4_000;
const RELAY_STALLED = 'relay stalled';
const PUNCH_TURN = 'waiting for its turn to punch (this process punches through its NAT to one peer at a time)';

/** What the dialler needs of the network it dials for. */
export interface DialContext {
  readonly dht: DHT;
  readonly session: KeyPair;
  readonly roles: number;
  readonly certificates: SessionCertificates;
  readonly dials: DialBook;
  /** The peers connected now (a relay among them is used for dials that need one). */
  peers(): Iterable<Peer>;
  connected(id: string): boolean;
  stopped(): boolean;
  /** Takes a socket being made: the network's handshake, channel and peer from here on. */
  attach(socket: SecretStream, onOpen: () => void, relayThrough: Buffer | null): void;
  label(session: Buffer): string;
}

export class Dialer {
  readonly #connecting = new Set<string>();
  /** Direct dials in progress, each with a way to give way to a relay. */
  readonly #directDials = new Map<string, () => void>();
  /** Relayed dials to a peer that stalled in a row (RELAYED_OPEN_MS doubles with each). */
  readonly #relayStalls = new Map<string, number>();
  /** Session keys of the workers found (not hosts), by id: the ring workers dial around (dial-policy.ts). */
  readonly #workers = new Map<string, Buffer>();

  constructor(private readonly context: DialContext) {}

  /** Dials `peer` if it is due, needed (dial-policy.ts) and not connected or being dialled already. */
  dial(peer: QueryPeer): void {
    const id = peer.publicKey.toString('hex');
    if (this.context.stopped() || this.context.connected(id) || this.#connecting.has(id) || !this.context.dials.due(id)) return;
    this.#connecting.add(id);
    void (async () => {
      const remote = await this.context.certificates.verify(peer.publicKey);
      if (remote && isPlainWorker(remote.roles)) this.#workers.set(id, peer.publicKey);
      const view = { workers: this.#ring(), foundForMs: this.context.dials.foundFor(id) };
      const dial = remote && shouldDial({ roles: this.context.roles, session: this.context.session.publicKey }, { roles: remote.roles, session: peer.publicKey }, view);
      if (!dial || this.context.stopped() || this.context.connected(id)) {
        this.#connecting.delete(id);
        return;
      }
      log.debug(`dialling ${this.context.label(peer.publicKey)}`);
      const dialled = Date.now();
      this.context.dials.dialling(id);
      const failures = this.context.dials.failures(id);
      const relayThrough = relayFor(this.context.peers(), id, failures.count, this.context.dht.randomized);
      if (relayThrough) log.info(`dialling ${this.context.label(peer.publicKey)} through a relay (${failures.reason ? `direct: ${failures.reason}` : 'this NAT randomizes ports'})`);
      const socket = this.context.dht.connect(peer.publicKey, { keyPair: this.context.session, relayAddresses: peer.relayAddresses, relayThrough });
      let failure = 'the connection closed before it opened';
      const done = () => {
        clearTimeout(deadline);
        this.#connecting.delete(id);
      };
      const openWithinMs = relayThrough ? Math.min(CONNECT_TIMEOUT_MS, RELAYED_OPEN_MS * 2 ** (this.#relayStalls.get(id) ?? 0)) : CONNECT_TIMEOUT_MS;
      const deadline = setTimeout(() => {
        log.debug(`${this.context.label(peer.publicKey)}: no connection after ${openWithinMs} ms${relayThrough ? ' through the relay: dialling again' : ', giving up for now'}`);
        failure = relayThrough ? RELAY_STALLED : `no connection within ${CONNECT_TIMEOUT_MS / 1000} s`;
        socket.destroy();
      }, openWithinMs);
      socket.on('error', (err: Error & { code?: string }) => (failure = err.code ?? err.message));
      // A direct punch that has not got through while a relay is at hand gives way to the relay: after
      // DIRECT_FIRST_MS, or at once when a relay connects and this NAT randomizes ports.
      const giveWay = () => {
        if (relayFor(this.context.peers(), id, 1, this.context.dht.randomized) === null) return;
        failure = GAVE_WAY;
        socket.destroy();
      };
      const directFirst = relayThrough ? null : setTimeout(giveWay, DIRECT_FIRST_MS);
      if (!relayThrough) this.#directDials.set(id, giveWay);
      const settled = () => {
        if (directFirst) clearTimeout(directFirst);
        if (this.#directDials.get(id) === giveWay) this.#directDials.delete(id);
      };
      socket.once('open', () => {
        clearTimeout(deadline);
        settled();
      });
      socket.once('close', () => {
        done();
        settled();
        if (this.context.connected(id) || this.context.stopped()) return;
        if (failure === RELAY_STALLED) this.#relayStalls.set(id, (this.#relayStalls.get(id) ?? 0) + 1);
        if (failure === GAVE_WAY || failure === RELAY_STALLED) {
          this.context.dials.failed(id, failure === GAVE_WAY ? 'no direct path yet: through the relay' : `the relay did not connect within ${openWithinMs / 1000} s`, 0);
          setImmediate(() => this.dial(peer));
          return;
        }
        // A punch refused at once: hyperdht allows one random punch at a time, with a pause after it
        // (node.ts). It is not the peer's fault: dial again when the pause is over, not on the back-off.
        // Likewise a direct dial that cannot work while a relay is at hand: through it, at once.
        const refused = failure === 'HOLEPUNCH_ABORTED' && Date.now() - dialled < PUNCH_GATE_MS;
        const gated = refused || (!relayThrough && relayFor(this.context.peers(), id, failures.count + 1, this.context.dht.randomized) !== null);
        const retryMs = punchRetryMs(failures.count);
        // Said as what it is when this end's own punch is what it waits for: a turn, not a NAT that could
        // not be crossed. (hyperdht says HOLEPUNCH_ABORTED for that, for the far end's gate and for two
        // randomizing NATs alike.)
        const turn = refused && this.context.dht._randomPunches >= this.context.dht._randomPunchLimit;
        this.context.dials.failed(id, turn ? PUNCH_TURN : failure, gated ? retryMs : undefined);
        if (gated) setTimeout(() => this.dial(peer), retryMs).unref();
      });
      // Still "connecting" until the channel opens (see #attach): a discovery round meanwhile must not dial
      // the peer a second time.
      this.context.attach(socket, done, relayThrough);
    })();
  }

  /**
   * The workers on the ring as this end sees it: those connected (they may have dialled it) and those found
   * and not forgotten (the dial book's bounds hold here too), less those it cannot reach now (the next one
   * on the ring stands in for them).
   */
  #ring(): Buffer[] {
    for (const id of this.#workers.keys()) if (!this.context.dials.knows(id)) this.#workers.delete(id);
    const ring = new Map([...this.#workers].filter(([id]) => this.context.connected(id) || this.context.dials.failures(id).count === 0));
    for (const peer of this.context.peers()) if (isPlainWorker(peer.hello.roles)) ring.set(peer.id, peer.session);
    return [...ring.values()];
  }

  /** The peer's connection opened: its relay stalls are forgotten. */
  connected(id: string): void {
    this.#relayStalls.delete(id);
  }

  /** A relay is here: punches that cannot work, or take seconds, from this NAT go through it now. */
  giveWayToRelay(): void {
    for (const giveWay of [...this.#directDials.values()]) giveWay();
  }
}
