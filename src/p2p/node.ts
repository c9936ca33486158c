/**
 * Joining a cluster as a process (client, worker or both): your identity, a DHT node (bootstrap from
 * --bootstrap / TSP2P_BOOTSTRAP, else the public DHT), the cluster's roster, and a started PeerNetwork.
 * The roster comes from an invite, or as roster-source.ts says (waiting for the host when it must).
 */
import DHT, { type NodeAddress } from 'hyperdht';
import { Tsp2pError, messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { addFriend, listFriends } from './friends.js';
import { inviteKeyPair, parseInvite } from './hosting.js';
import { INVITE_MESSAGES, INVITE_PROTOCOL } from './host.js';
import { loadIdentity, type Identity } from './identity.js';
import { encodeKey } from './keys.js';
import { fetchRosterFromHost, isPersonal, resolveClusterRef, storeRoster, type ClusterRef } from './membership.js';
import { PeerNetwork } from './peer-network.js';
import { probeRandomNatsFaster } from './random-probes.js';
import { ROLE } from './protocol.js';
import { RelayService } from './relay.js';
import { isExpired, isMember, openRoster, type OpenedRoster } from './roster.js';
import { confirmReachability } from './reachability.js';
import { confirmStoredRoster, hostProblem, obtainRoster, type RosterWait } from './roster-source.js';
import { request } from './rpc.js';

const log = createLogger('node');
const HOST_TIMEOUT_MS = 15_000;
/** How often a running member asks the host for a newer roster (revocations reach it even if it missed the push). */
const HOST_CHECK_MS = 5 * 60_000;

/** `host:port[,host:port...]`; undefined means the public DHT. */
export function parseBootstrap(text: string | undefined): NodeAddress[] | undefined {
  const value = text ?? process.env.TSP2P_BOOTSTRAP;
  if (!value) return undefined;
  return value.split(',').map((entry) => {
    const match = /^\s*([^:\s]+):(\d+)\s*$/.exec(entry);
    if (!match) throw Tsp2pError.USAGE(`"${entry}" is not a bootstrap address: use host:port, e.g. 127.0.0.1:49737`);
    return { host: match[1] as string, port: Number(match[2]) };
  });
}

/**
 * A DHT node for a tsp2p process. On a private DHT (explicit bootstrap) it stays ephemeral, a client only:
 * the DHT is then exactly the nodes you run (`tsp2p dht`), and short-lived processes never become routing
 * nodes that hold announcements and vanish with them. On the public DHT, hyperdht's adaptive default lets
 * long-running workers serve the DHT like everyone else. `serving`: a process members dial (a host, a
 * worker, a relay): see SERVED_RANDOM_PUNCHES.
 */
export function createDht(bootstrapText: string | undefined, { serving = false }: { serving?: boolean } = {}): DHT {
  const bootstrap = parseBootstrap(bootstrapText);
  probeRandomNatsFaster();
  const dht = new DHT({ ...(bootstrap ? { bootstrap, ephemeral: true } : {}), randomPunchInterval: RANDOM_PUNCH_INTERVAL_MS, connectionKeepAlive: KEEP_ALIVE_MS });
  if (serving) {
    dht._randomPunchLimit = SERVED_RANDOM_PUNCHES;
    void confirmReachability(dht);
  }
  return dht;
}

/**
 * Crossing a port-randomizing NAT takes a "random punch" (hundreds of probes or sockets, up to ~35 s);
 * hyperdht allows one per DHT instance at a time and, by default, none for 20 s after one ends, to keep a
 * public node from being used to spray packets. A tsp2p process dials only the few members of its cluster
 * it needs (see dial-policy.ts), one random punch at a time still, and a member joining needs two in a row
 * (the host, then a worker), as does a worker serving two members' execs one after the other: any pause
 * between them is time the user waits (20 s made most first runs from such a network time out; 2 s added
 * ~2 s to each). The pause stays, short: a spray never follows another back to back.
 */
const RANDOM_PUNCH_INTERVAL_MS = 250;

/**
 * How often an idle connection says something (an empty encrypted message each way), to keep the NAT
 * mappings along its path open. hyperdht's default is 5 s; a worker in a cluster of N keeps ~N idle
 * connections (other workers, the host), and at 5 s those cost it ~1 ms of CPU a second at N = 24.
 * 15 s is half the shortest common UDP mapping timeout (30 s: Linux conntrack, before a flow has seen
 * replies; 120 s after, as these have). Connections with a client need none: it pings every 0.5 s.
 */
const KEEP_ALIVE_MS = 15_000;

/**
 * A process that members dial serves up to this many random punches at once (hyperdht: one). The far end
 * of a punch is never told when its dialler gives up (an exec whose --wait ended, a kernel shut down, an
 * exec that exits right after its answer while its host check is still punching): its half goes on
 * probing for up to ~35 s, and with one turn a worker or host would turn every other member away until
 * then. Only members get that far (the firewall runs before any punch), and a probe is 200 packets a second
 * for a few seconds (random-probes.ts).
 */
const SERVED_RANDOM_PUNCHES = 4;

export interface NodeOptions {
  cluster?: string | undefined;
  bootstrap?: string | undefined;
  roles: number;
  slots?: number;
  invite?: string | undefined;
  /** Waiting for the host when no roster is at hand (default: until it answers). */
  wait?: RosterWait;
  /** The largest value taken from a peer (default 256 MiB). */
  maxValueBytes?: number;
  /** Hears each step of joining (for an error that says where a join that took too long was stuck). */
  onPhase?: (phase: string) => void;
  /** Called with the network before it starts, so listeners miss no early peer or frame. */
  setup?: (network: PeerNetwork) => void;
  /** Also relay members' streams (relay.ts): for a process with a reachable address. */
  relay?: boolean;
  /** Who started this process, told to peers in the hello (`notebook:ID` for one a notebook started). */
  origin?: string;
}

export interface ClusterNode {
  dht: DHT;
  identity: Identity;
  ref: ClusterRef;
  network: PeerNetwork;
  /** How the roster was had: "from the host", "hosted here", "stored here (host not reached: …)". */
  rosterSource: string;
  /** The relay this process runs, if it was asked to. */
  relay: RelayService | null;
  close(): Promise<void>;
}

/** Redeems an invite at the owner's host: both learn each other's key; returns the roster. */
async function redeemInvite(dht: DHT, me: Identity, clusterText: string, code: string): Promise<OpenedRoster> {
  const { owner, seed } = parseInvite(code);
  const [ownerName, name] = clusterText.split('/');
  if (!ownerName || !name) throw Tsp2pError.BAD_CLUSTER_NAME(clusterText);
  const known = listFriends().find((f) => f.name === ownerName);
  if (known && known.key !== encodeKey(owner) && ownerName !== me.name) {
    throw Tsp2pError.BAD_INVITE(`"${ownerName}" in your friends book has another key than this invite's owner`);
  }
  const reply = await request(dht, inviteKeyPair(seed).publicKey, me.keyPair, INVITE_PROTOCOL, INVITE_MESSAGES.request, INVITE_MESSAGES.response, { name: me.name }, HOST_TIMEOUT_MS).catch(
    (err: unknown) => {
      throw Tsp2pError.INVITE_UNREACHABLE(ownerName, hostProblem(err), err);
    },
  );
  if (reply.error) throw Tsp2pError.BAD_INVITE(reply.error);
  const roster = openRoster(Buffer.from(reply.roster), { owner, name });
  if (!known) addFriend(ownerName, encodeKey(owner));
  storeRoster(roster);
  return roster;
}

export async function openNode(options: NodeOptions): Promise<ClusterNode> {
  const identity = loadIdentity();
  const dht = createDht(options.bootstrap, { serving: (options.roles & (ROLE.worker | ROLE.host)) !== 0 || options.relay === true });
  try {
    options.onPhase?.('reaching the DHT (bootstrap)');
    await dht.ready();
    options.onPhase?.('getting the roster');
    if (options.invite && !options.cluster) throw Tsp2pError.USAGE('an invite needs the cluster it is for: join OWNER/NAME --invite CODE');
    // An invite is redeemed first: it adds the owner to the friends book, which resolving the name needs.
    const invited = options.invite ? await redeemInvite(dht, identity, options.cluster as string, options.invite) : null;
    const ref = resolveClusterRef(options.cluster, identity);
    const obtained = invited ? { roster: invited, source: 'from the invite' } : await obtainRoster(dht, identity, ref, options.wait);
    const { roster } = obtained;
    let rosterSource = obtained.source;
    if (isExpired(roster)) throw Tsp2pError.BAD_ROSTER(`the roster of ${ref.label} expired: ask its host to run \`tsp2p host\` again`);
    if (!isMember(roster, identity.keyPair.publicKey)) throw Tsp2pError.NOT_A_MEMBER(ref.label);
    // The relay checks callers against the network's members (the network is made just below).
    const members = { check: (_session: Buffer): Promise<boolean> => Promise.resolve(false) };
    const relay = options.relay ? new RelayService(dht, (session) => members.check(session)) : null;
    const network = new PeerNetwork({
      dht,
      identity,
      roster,
      roles: options.roles | (relay ? ROLE.relay : 0),
      ...(relay ? { relayKey: relay.publicKey } : {}),
      ...(options.slots ? { slots: options.slots } : {}),
      ...(options.maxValueBytes ? { maxValueBytes: options.maxValueBytes } : {}),
      ...(options.origin ? { origin: options.origin } : {}),
      onRoster: storeRoster,
    });
    members.check = (session) => network.isMemberSession(session);
    options.setup?.(network);
    await relay?.start();
    await network.start(options.onPhase);
    // A newer roster may wait at the host (new members, a new secret): adopt it when the host answers.
    const checkHost = () =>
      fetchRosterFromHost(dht, identity, ref, HOST_TIMEOUT_MS)
        .then((fresh) => network.adoptRoster(fresh.bytes))
        .catch((err: unknown) => log.debug(`host of ${ref.label} not reached: ${messageOf(err)}`));
    let hostCheck: NodeJS.Timeout | null = null;
    if (!isPersonal(ref, identity)) {
      hostCheck = setInterval(() => void checkHost(), HOST_CHECK_MS);
      hostCheck.unref();
    }
    const stopConfirming =
      'stored' in obtained && obtained.stored
        ? confirmStoredRoster(dht, identity, ref, network, { asking: obtained.asking, onSource: (source) => (rosterSource = source), warn: (options.roles & ROLE.worker) !== 0 })
        : null;
    return {
      dht,
      identity,
      ref,
      network,
      get rosterSource() {
        return rosterSource;
      },
      relay,
      async close() {
        if (hostCheck) clearInterval(hostCheck);
        stopConfirming?.();
        await network.stop();
        await relay?.close();
        await dht.destroy();
      },
    };
  } catch (err) {
    await dht.destroy();
    throw err;
  }
}
