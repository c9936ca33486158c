/**
 * A process's place in a cluster's swarm, on HyperDHT. Its lifecycle: start() → (peers come and go) → stop().
 *
 * - It listens on an ephemeral session key whose certificate it stores in the DHT (session-certificates.ts),
 *   and announces that key on the cluster's secret topics.
 * - Its firewall accepts a remote session key only if that key's certificate opens with the cluster's key
 *   and names a member of the newest roster: outsiders are refused during the handshake. (Hyperswarm's
 *   firewall is synchronous and bans what it refuses, so this cannot be built on it; HyperDHT awaits ours.)
 * - Discovery (discovery.ts) announces and looks up the topics; the dialler (dialer.ts) dials the verified
 *   peers found that it needs, one end of a pair only (dial-policy.ts), through a relay when a direct path
 *   fails or cannot work (relay-paths.ts).
 *   A peer is one remote session, whatever its connections: when two open (both sides dialled at once, or
 *   the peer reconnected), one is kept and the other retired (connection-pair.ts), its frames in flight still
 *   delivered; neither side takes that as the peer leaving. A peer that failed is redialled on a back-off
 *   (dial-book.ts).
 * - Clients ping their workers, which answer (liveness.ts): a silent peer is dropped within 2 s.
 * - Rosters travel in every hello and as frames; the newest valid one wins everywhere. A roster with a new
 *   secret moves the swarm to a new topic; peers that left the roster are disconnected.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import crypto, { type KeyPair } from 'hypercore-crypto';
import type DHT from 'hyperdht';
import type { SecretStream, Server } from 'hyperdht';
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { version } from '../version.js';
import { replaces, Retirements } from './connection-pair.js';
import { DialBook, type DialSummary } from './dial-book.js';
import { Dialer } from './dialer.js';
import { SessionCertificates } from './session-certificates.js';
import { pathOf, relayedVia, remoteOf, watchPath } from './relay-paths.js';
import { Discovery } from './discovery.js';
import type { Identity } from './identity.js';
import { HEARS_ACKS, Liveness, type Watched } from './liveness.js';
import { shortKey } from './keys.js';
import { dispatchFrame, frameIdOf, PeerChannel, ROLE, type FrameName, type FrameTable, type Hello } from './protocol.js';
import { isExpired, isMember, isNewer, openRoster, type OpenedRoster } from './roster.js';

const log = createLogger('network');

const CERTIFICATE_REFRESH_MS = 10 * 60_000;

/** A remote session: stable while its connection may be replaced underneath (channel and socket change). */
export interface Peer {
  /** Session key, hex. */
  id: string;
  session: Buffer;
  identity: Buffer;
  hello: Hello;
  channel: PeerChannel;
  socket: SecretStream;
  /** The key of the relay the connection runs through; null once direct (relay-paths.ts). */
  via: Buffer | null;
}

/** Whether this side pings the other (a client, its workers: liveness.ts). */
function leads(mine: number, theirs: number): boolean {
  return (mine & ROLE.client) !== 0 && (theirs & ROLE.worker) !== 0;
}

export interface NetworkOptions {
  dht: DHT;
  identity: Identity;
  roster: OpenedRoster;
  roles: number;
  slots?: number;
  /** Called with each newer roster adopted (to store it). */
  onRoster?: (roster: OpenedRoster) => void;
  /** The largest value this process takes from a peer (`--max-value`); larger frames are dropped as they come. */
  maxValueBytes?: number;
  /** The key of the relay this process runs (relay.ts), told to peers in the hello. */
  relayKey?: Buffer;
  /** Who started this process, told to peers in the hello (`notebook:ID` for one a notebook started). */
  origin?: string;
}

interface NetworkEvents {
  peer: [Peer];
  /** The peer is gone (its connection closed, or it fell silent), not merely reconnected. */
  close: [Peer];
  /** A second connection with the peer opened; one was kept and the other retired (nothing is lost). */
  replaced: [Peer];
  /** The peer sent a frame larger than this process takes (dropped); `id` when the frame starts with one. */
  oversize: [Peer, FrameName, string | null, number];
  roster: [OpenedRoster];
  revoked: [OpenedRoster];
}

export class PeerNetwork extends EventEmitter<NetworkEvents> {
  readonly session: KeyPair = crypto.keyPair();
  readonly dht: DHT;
  readonly identity: Identity;
  #roster: OpenedRoster;
  readonly #certificates: SessionCertificates;
  #peers = new Map<string, Peer>();
  #retirements = new Retirements();
  #heeded: (peer: Peer) => boolean = () => false;
  #dials = new DialBook();
  #liveness = new Liveness(
    () => this.#watched(),
    (peer, silentMs) => {
      log.info(`${peer.hello.user}@${peer.hello.host} (${this.#label(peer.session)}) silent for ${(silentMs / 1000).toFixed(1)} s: dropped`);
      this.#dials.failed(peer.id, `silent for ${(silentMs / 1000).toFixed(1)} s`);
      peer.socket.destroy();
    },
  );
  #server: Server | null = null;
  readonly #discovery: Discovery;
  readonly #dialer: Dialer;
  #certificateTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** The services' frame tables (a worker's, a client's scheduler): each frame goes to every table that has it. */
  #tables = new Set<FrameTable<Peer>>();
  /** Frames the network itself takes, given the connection they came on. */
  readonly #ownFrames: FrameTable<SecretStream> = {
    retire: (socket) => this.#retirements.retiredThere(socket),
    roster: (_socket, frame) => void this.adoptRoster(frame.roster),
  };

  constructor(private readonly options: NetworkOptions) {
    super();
    this.dht = options.dht;
    this.identity = options.identity;
    this.#roster = options.roster;
    // hyperdht's relayed connections (relay.ts), on both ends, dial the relay with the default key pair:
    // it must be the one whose certificate proves membership.
    this.dht.defaultKeyPair = this.session;
    this.#certificates = new SessionCertificates(options.dht, options.identity, this.session, options.roles, () => this.#roster, {
      verified: (id, identity) => this.#dials.verified(id, identity),
      refused: (id, why) => this.#dials.failed(id, why),
    });
    this.#dialer = new Dialer({
      dht: options.dht,
      session: this.session,
      roles: options.roles,
      certificates: this.#certificates,
      dials: this.#dials,
      peers: () => this.#peers.values(),
      connected: (id) => this.#peers.has(id),
      stopped: () => this.#stopped,
      attach: (socket, onOpen, relayThrough) => this.#attach(socket, onOpen, relayThrough),
      label: (session) => this.#label(session),
    });
    this.#discovery = new Discovery({
      dht: options.dht,
      session: this.session,
      topics: () => this.#certificates.topics(),
      relayAddresses: () => this.#server?.relayAddresses ?? [],
      onPeer: (peer) => {
        this.#dials.found(peer.publicKey.toString('hex'));
        this.#dialer.dial(peer);
      },
    });
  }

  get roster(): OpenedRoster {
    return this.#roster;
  }

  get peers(): Peer[] {
    return [...this.#peers.values()];
  }

  /** The user of the relay the connection with `peer` runs through, or null when it is direct. */
  relayedVia(peer: Peer): string | null {
    return relayedVia(peer, this.#peers.values());
  }

  /** The address the connection with `peer` reaches (host:port), for diagnostics. */
  remoteAddress(peer: Peer): string | null {
    return remoteOf(peer.socket);
  }

  /** Whether a session key belongs to a member of the cluster (its certificate; what the relay serves). */
  async isMemberSession(session: Buffer): Promise<boolean> {
    return (await this.#certificates.verify(session)) !== null;
  }

  #label(session: Buffer): string {
    return `peer ${shortKey(session)}`;
  }

  /** `onPhase` hears each step, so a caller that gives up can say where it was stuck. */
  async start(onPhase?: (phase: string) => void): Promise<void> {
    onPhase?.('listening on the DHT');
    this.#server = this.dht.createServer(
      { firewall: async (remote: Buffer) => (await this.#certificates.verify(remote)) === null },
      (socket) => this.#attach(socket),
    );
    await this.#server.listen(this.session);
    log.debug(`session key ${shortKey(this.session.publicKey)} in ${this.#roster.name}`);
    onPhase?.('publishing this process\'s certificate on the DHT');
    await this.#certificates.publish();
    this.#certificateTimer = setInterval(() => void this.#certificates.publish().catch((err: unknown) => log.warn(`certificate refresh: ${messageOf(err)}`)), CERTIFICATE_REFRESH_MS);
    this.#certificateTimer.unref();
    this.#liveness.start();
    this.refresh();
  }

  *#watched(): Iterable<Watched> {
    for (const peer of this.#peers.values()) {
      if (leads(this.options.roles, peer.hello.roles)) yield { peer, leads: true };
      else if (this.#heeded(peer)) yield { peer, leads: false };
    }
  }

  /**
   * The peers whose silence this process acts on though it does not ping them: a worker's, the clients
   * whose tasks it holds (they ping it). heedNow() when one may have come.
   */
  heedSilenceOf(heeded: (peer: Peer) => boolean): void {
    this.#heeded = heeded;
  }

  heedNow(): void {
    this.#liveness.wake();
  }

  /** What discovery found and why peers that are not connected failed. */
  dialSummary(): DialSummary {
    return this.#dials.summary(new Set(this.#peers.keys()));
  }

  /** Looks for peers now (and then on the back-off schedule again). */
  refresh(): void {
    this.#discovery.refresh();
  }

  #attach(socket: SecretStream, onOpen?: () => void, relayThrough: Buffer | null = null): void {
    const session = socket.remotePublicKey;
    const id = session.toString('hex');
    socket.on('error', (err: Error) => log.debug(`${this.#label(session)}: ${err.message}`));
    const hello: Hello = {
      roles: this.options.roles,
      user: this.identity.name,
      host: hostname(),
      slots: this.options.slots ?? 0,
      versions: JSON.stringify({ tsp2p: version, node: process.version, platform: `${process.platform}-${process.arch}`, ...HEARS_ACKS, ...(this.options.origin ? { origin: this.options.origin } : {}) }),
      roster: this.#roster.bytes,
      relay: this.options.relayKey ?? Buffer.alloc(0),
      via: relayThrough ?? Buffer.alloc(0),
    };
    /** The peer this connection serves, whether as the peer's current connection or a retired one. */
    let peer: Peer | null = null;
    const channel: PeerChannel = new PeerChannel(
      socket,
      hello,
      {
        onopen: (remote) => {
          onOpen?.();
          const identity = this.#certificates.known(id)?.identity;
          if (!identity || this.#stopped) {
            socket.destroy();
            return;
          }
          const existing = this.#peers.get(id);
          if (existing) {
            peer = existing;
            if (replaces(this.session.publicKey, socket, existing.socket)) {
              const [old, oldChannel] = [existing.socket, existing.channel];
              Object.assign(existing, { socket, channel, hello: remote, via: pathOf(relayThrough, remote) });
              watchPath(existing);
              this.#retirements.retire(old, oldChannel);
            } else this.#retirements.retire(socket, channel);
            log.debug(`two connections with ${remote.user}@${remote.host} (${this.#label(session)}): kept one, retired the other`);
            this.emit('replaced', existing);
          } else {
            peer = { id, session, identity, hello: remote, channel, socket, via: pathOf(relayThrough, remote) };
            watchPath(peer);
            this.#peers.set(id, peer);
            this.#dials.connected(id);
            this.#dialer.connected(id);
            log.debug(`connected to ${remote.user}@${remote.host} (${this.#label(session)})`);
          }
          this.adoptRoster(remote.roster);
          if (!existing) {
            this.#liveness.wake();
            this.emit('peer', peer);
          }
          // A relay is here: punches that cannot work, or take seconds, from this NAT go through it now.
          if (!existing && remote.relay.length > 0 && this.dht.randomized) this.#dialer.giveWayToRelay();
        },
        onframe: (name, frame) => {
          // Frames still arriving on a retired connection belong to the peer, as long as it is here.
          if (!peer || this.#peers.get(id) !== peer) return;
          if (dispatchFrame(this.#ownFrames, socket, name, frame)) return;
          for (const table of this.#tables) dispatchFrame(table, peer, name, frame);
        },
        onclose: () => socket.destroy(),
        onoversize: (name, head, size) => {
          if (peer && this.#peers.get(id) === peer) this.emit('oversize', peer, name, frameIdOf(head), size);
        },
      },
      this.#label(session),
      this.options.maxValueBytes,
    );
    socket.once('close', () => {
      // Only the peer's current connection closing means the peer is gone.
      if (peer && this.#peers.get(id) === peer && peer.socket === socket) {
        this.#peers.delete(id);
        this.emit('close', peer);
        // Find it (or its replacement) again soon.
        if (!this.#stopped) this.refresh();
      }
    });
  }

  /** Adopts a roster if it is this cluster's, validly signed, unexpired and newer. Returns whether it did. */
  adoptRoster(bytes: Buffer): boolean {
    if (bytes.length === 0 || bytes.equals(this.#roster.bytes)) return false;
    let roster: OpenedRoster;
    try {
      roster = openRoster(bytes, { owner: this.#roster.owner, name: this.#roster.name });
    } catch (err) {
      log.warn(`ignored a roster: ${messageOf(err)}`);
      return false;
    }
    if (isExpired(roster) || !isNewer(roster, this.#roster)) return false;
    const previous = this.#roster;
    this.#roster = roster;
    log.info(`roster of ${roster.name} is now version ${roster.seq} (${roster.members.length + 1} members)`);
    this.options.onRoster?.(roster);
    if (!isMember(roster, this.identity.keyPair.publicKey)) {
      this.emit('revoked', roster);
      return true;
    }
    for (const peer of this.peers) {
      if (!isMember(roster, peer.identity)) {
        log.info(`disconnecting ${peer.hello.user}: no longer on the roster`);
        peer.socket.destroy();
      } else peer.channel.send('roster', { roster: roster.bytes });
    }
    if (!roster.secret.equals(previous.secret)) void this.#rotate(previous);
    this.emit('roster', roster);
    return true;
  }

  /**
   * A new secret: a new topic and certificate key. The old topic is still visited while a roster with it
   * may be in use, so members that have not heard yet meet us there and receive the new roster in our hello.
   */
  async #rotate(previous: OpenedRoster): Promise<void> {
    this.#certificates.rotated(previous);
    try {
      await this.#certificates.publish();
      this.refresh();
    } catch (err) {
      log.warn(`moving to the new topic: ${messageOf(err)}`);
    }
  }

  /** Takes peers' frames of the names `table` has handlers for, until the returned function is called. */
  handle(table: FrameTable<Peer>): () => void {
    this.#tables.add(table);
    return () => this.#tables.delete(table);
  }

  /** The connected peers that have one of `roles` (e.g. a worker's clients, for its load). */
  peersWith(roles: number): Peer[] {
    return [...this.#peers.values()].filter((peer) => (peer.hello.roles & roles) !== 0);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#liveness.stop();
    if (this.#certificateTimer) clearInterval(this.#certificateTimer);
    for (const peer of this.#peers.values()) peer.socket.destroy();
    await this.#discovery.stop();
    await this.#server?.close().catch(() => {});
  }
}
