/**
 * The host of one of your clusters. It controls access and nothing else (no task traffic passes through it):
 * - it listens on your identity key, so members reach it knowing only your public key, and answers each
 *   member (checked by its key in the handshake, before any data) with the newest roster;
 * - it redeems invites: one server per pending invite, on a key only the code's holder can derive;
 * - it re-signs the roster before it expires and joins the cluster's swarm (role host) so new rosters
 *   reach every peer at once, revocations included.
 * Lifecycle: start() → close().
 */
import type DHT from 'hyperdht';
import type { Server } from 'hyperdht';
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { c } from './codec.js';
import { addFriend } from './friends.js';
import { inviteKeyPair, loadHosted, resign, rosterOf, type HostedCluster } from './hosting.js';
import type { Identity } from './identity.js';
import { encodeKey, shortKey } from './keys.js';
import { HOST_MESSAGES, HOST_PROTOCOL, storeRoster } from './membership.js';
import { RelayService } from './relay.js';
import { PeerNetwork } from './peer-network.js';
import { ROLE } from './protocol.js';
import { isMember, type OpenedRoster } from './roster.js';
import { serve } from './rpc.js';

const log = createLogger('host');
export const INVITE_PROTOCOL = 'tsp2p-invite/1';
export const INVITE_MESSAGES = { request: { name: c.string }, response: { roster: c.buffer, error: c.string } };

export interface HostEvents {
  onJoined?(cluster: string, name: string): void;
}

export interface HostOptions {
  /** Also relay members' streams (`--relay`): for a host with a reachable address (relay.ts). */
  relay?: boolean;
}

export class HostService {
  #server: Server | null = null;
  #inviteServers = new Map<string, Server>();
  #network: PeerNetwork | null = null;
  #refresh: NodeJS.Timeout | null = null;
  #roster: OpenedRoster;
  #relay: RelayService | null = null;

  constructor(
    private readonly dht: DHT,
    private readonly me: Identity,
    private readonly clusterName: string,
    private readonly events: HostEvents = {},
    private readonly options: HostOptions = {},
  ) {
    this.#roster = rosterOf(this.#hosted());
  }

  /** The key of the relay this host runs (--relay), or null. */
  get relayKey(): Buffer | null {
    return this.#relay?.publicKey ?? null;
  }

  get roster(): OpenedRoster {
    return this.#roster;
  }

  #hosted(): HostedCluster {
    const hosted = loadHosted(this.clusterName);
    if (!hosted) throw new Error(`cluster ${this.clusterName} is not hosted here`);
    return hosted;
  }

  async start(): Promise<void> {
    // No firewall here: a refused handshake looks, to the one refused, like a host that is not there. A
    // non-member is answered NOT_A_MEMBER instead (and nothing else), so they learn the real cause at once.
    this.#server = this.dht.createServer({}, (socket) =>
      serve(socket, HOST_PROTOCOL, HOST_MESSAGES.request, HOST_MESSAGES.response, async ({ name }) => {
        const roster = this.#rosterOf(name);
        if (!roster) return { roster: Buffer.alloc(0), error: 'NOT_HOSTED' };
        if (!isMember(roster, socket.remotePublicKey)) return { roster: Buffer.alloc(0), error: 'NOT_A_MEMBER' };
        log.debug(`gave the roster of ${name} to ${shortKey(socket.remotePublicKey)}`);
        return { roster: roster.bytes, error: '' };
      }),
    );
    await this.#server.listen(this.me.keyPair);
    storeRoster(this.#roster);
    const relay = this.options.relay ? new RelayService(this.dht, (session) => this.#network?.isMemberSession(session) ?? Promise.resolve(false)) : null;
    this.#network = new PeerNetwork({
      dht: this.dht,
      identity: this.me,
      roster: this.#roster,
      roles: ROLE.host | (relay ? ROLE.relay : 0),
      onRoster: storeRoster,
      ...(relay ? { relayKey: relay.publicKey } : {}),
    });
    await relay?.start();
    this.#relay = relay;
    await this.#network.start();
    for (const invite of this.#hosted().invites) await this.#listenForInvite(invite.name, invite.seed);
    // Re-sign when half the roster's lifetime has passed, so members never hold an expired one.
    this.#refresh = setInterval(() => {
      const hosted = this.#hosted();
      if (this.#roster.expires - Date.now() < hosted.durationMs / 2) this.#publish(resign(hosted, this.me));
    }, Math.min(3_600_000, this.#hosted().durationMs / 4));
    this.#refresh.unref();
  }

  /**
   * The roster of one of the owner's clusters. Each `tsp2p host` listens on the owner's key, so a member
   * asking for alice/work may reach the process hosting alice/friends: every host process answers for all
   * the clusters hosted in its TSP2P_HOME, from what hosting them wrote there.
   */
  #rosterOf(name: string): OpenedRoster | null {
    if (name === this.clusterName) return this.#roster;
    try {
      const hosted = loadHosted(name);
      return hosted?.roster ? rosterOf(hosted) : null;
    } catch {
      return null;
    }
  }

  #publish(roster: OpenedRoster): void {
    this.#roster = roster;
    storeRoster(roster);
    this.#network?.adoptRoster(roster.bytes);
  }

  async #listenForInvite(name: string, seed: string): Promise<void> {
    const keyPair = inviteKeyPair(Buffer.from(seed, 'hex'));
    const server = this.dht.createServer({}, (socket) =>
      serve(socket, INVITE_PROTOCOL, INVITE_MESSAGES.request, INVITE_MESSAGES.response, async () => {
        const hosted = this.#hosted();
        if (!hosted.invites.some((i) => i.seed === seed && i.expires > Date.now())) return { roster: Buffer.alloc(0), error: 'this invite was already used or has expired' };
        const key = socket.remotePublicKey;
        // Both directions: the newcomer goes into our friends book, and learns our key from the roster.
        try {
          addFriend(name, encodeKey(key));
        } catch (err) {
          log.warn(`invite for ${name}: ${messageOf(err)}`);
        }
        hosted.invites = hosted.invites.filter((i) => i.seed !== seed);
        hosted.members = [...hosted.members.filter((m) => m.name !== name), { name, key: encodeKey(key) }];
        this.#publish(resign(hosted, this.me));
        log.info(`${name} joined ${this.me.name}/${this.clusterName} with an invite (${shortKey(key)})`);
        this.events.onJoined?.(this.clusterName, name);
        setImmediate(() => void this.#closeInvite(seed));
        return { roster: this.#roster.bytes, error: '' };
      }),
    );
    await server.listen(keyPair);
    this.#inviteServers.set(seed, server);
  }

  async #closeInvite(seed: string): Promise<void> {
    const server = this.#inviteServers.get(seed);
    this.#inviteServers.delete(seed);
    await server?.close().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#refresh) clearInterval(this.#refresh);
    await this.#network?.stop();
    await this.#relay?.close();
    await Promise.all([...this.#inviteServers.keys()].map((s) => this.#closeInvite(s)));
    await this.#server?.close().catch(() => {});
  }
}

