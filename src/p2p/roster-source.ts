/**
 * Where a process gets the roster it starts with, waiting for it when it is not at hand yet. People start
 * things in any order (a script starts the host and a worker at once; a worker's machine boots before the
 * host's), so a missing host is something to wait for, with back-off and a word on what is awaited, not
 * a reason to exit:
 * - your personal cluster: made here, nothing to wait for;
 * - a cluster you own: the roster your host signed, read from TSP2P_HOME (hosting writes it before it
 *   starts serving), or from your host on another machine;
 * - a stored roster: the host comes first, briefly (it may hold a revocation, or tell a removed member so),
 *   then the stored one serves. Behind a port-randomizing NAT the stored one serves at once and the host
 *   is asked in the background once this process has found its peers (openNode): reaching the host there
 *   takes a random punch (seconds, one at a time; see node.ts), which would come before the ones to the
 *   workers the user waits for. A newer roster from the host, or from any peer, is adopted when it comes;
 * - none at all: the host is asked until it answers or the wait ends.
 */
import type DHT from 'hyperdht';
import { Tsp2pError, messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { loadHosted, rosterOf } from './hosting.js';
import type { Identity } from './identity.js';
import type { PeerNetwork } from './peer-network.js';
import { fetchRosterFromHost, isPersonal, loadStoredRoster, personalRoster, storeRoster, type ClusterRef } from './membership.js';
import { RANDOM_PUNCH } from './nat-words.js';
import { isExpired, isNewer, type OpenedRoster } from './roster.js';

const log = createLogger('node');
/** With a stored roster in hand (and a NAT that keeps ports), how long to give the host to hand a newer one. */
const HOST_FIRST_MS = 3_000;
/**
 * One attempt to reach the host. A found host answers within a second across ordinary NATs, but crossing a
 * port-randomizing one takes a random punch (see node.ts) that hyperdht ends by itself after ~35 s at most,
 * usually within seconds. Cut short, it is lost, and the host's half of it goes on probing until then,
 * holding the host's one random punch at a time: the next attempt would be turned away meanwhile. So an
 * attempt is given the punch's whole life (the caller's own deadline aside).
 */
export const ATTEMPT_MS = 40_000;
/** Pauses between attempts: short at first, so a host started a moment later is found within ~2 s. */
const RETRY_DELAYS_MS = [250, 500, 1_000, 2_000];

export interface RosterWait {
  /** How long to wait for the host when no roster is at hand (default: until it answers). */
  waitMs?: number;
  /** Called when waiting starts and about once a second while it lasts; `host` names what it waits for. */
  onWait?: (message: string, waitedMs: number, host: string) => void;
  /** Ends the wait (a notebook's stop button). */
  signal?: AbortSignal;
}

export interface ObtainedRoster {
  roster: OpenedRoster;
  /** Taken from this machine's store: the host has not confirmed it is the newest. */
  stored?: boolean;
  /** The host's answer, if it was asked already and has not answered yet (confirmStoredRoster awaits it). */
  asking?: Promise<OpenedRoster>;
  /** Said in diagnostics: how the roster was had ("from the host", "stored here: host not reached (...)"). */
  source: string;
}

/** The roster signed by your own host on this machine, if you host this cluster here. */
function hostedHere(ref: ClusterRef, me: Identity): OpenedRoster | null {
  if (!ref.owner.equals(me.keyPair.publicKey)) return null;
  const hosted = loadHosted(ref.name);
  return hosted?.roster ? rosterOf(hosted) : null;
}

function newest(...rosters: (OpenedRoster | null)[]): OpenedRoster | null {
  let best: OpenedRoster | null = null;
  for (const r of rosters) if (r && !isExpired(r) && isNewer(r, best)) best = r;
  return best;
}

/** Why the host did not answer, in words that name the cause. */
export function hostProblem(err: unknown): string {
  const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  if (code === 'PEER_NOT_FOUND') return 'it is not on the DHT (not running, or not up yet)';
  if (code === 'NOT_HOSTED') return messageOf(err);
  if (code === 'HOLEPUNCH_ABORTED' || code === 'HOLEPUNCH_FAILED') return `it was found but the connection failed (${code}: the NATs between you could not be crossed)`;
  if (code === 'STILL_CONNECTING') return `${messageOf(err)} (behind a NAT that randomizes ports a connection takes ${RANDOM_PUNCH})`;
  return messageOf((err as { cause?: unknown }).cause ?? err);
}

/** Whether the error says the host is running (found on the DHT): only the connection stood in the way. */
const hostFound = (err: unknown): boolean => /^(HOLEPUNCH_|STILL_CONNECTING|REMOTE_|TIMEOUT)/.test((err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code ?? '');

export async function obtainRoster(dht: DHT, me: Identity, ref: ClusterRef, wait: RosterWait = {}): Promise<ObtainedRoster> {
  if (isPersonal(ref, me)) return { roster: personalRoster(me), source: 'your personal cluster' };
  const own = hostedHere(ref, me);
  if (own) return { roster: newest(own, loadStoredRoster(ref)) ?? own, source: 'hosted here' };
  const stored = newest(loadStoredRoster(ref));
  if (stored && dht.randomized) return { roster: stored, source: 'stored here', stored: true };
  if (stored) {
    // The host gets HOST_FIRST_MS; if it has not answered by then, the stored roster serves and the same
    // attempt goes on in the background (confirmStoredRoster): a punch in progress is never thrown away.
    const asking = fetchRosterFromHost(dht, me, ref, ATTEMPT_MS);
    const first = await Promise.race([
      asking.then(
        (fresh) => ({ fresh }),
        (err: unknown) => ({ err }),
      ),
      new Promise<null>((resolve) => setTimeout(resolve, HOST_FIRST_MS, null).unref()),
    ]);
    if (first === null) return { roster: stored, source: 'stored here', stored: true, asking };
    if ('err' in first) {
      if ((first.err as Tsp2pError).code === 'NOT_A_MEMBER') throw first.err;
      warnStoredRoster(ref, stored, first.err);
      return { roster: stored, source: `stored here (host not reached: ${hostProblem(first.err)})` };
    }
    if (!isNewer(first.fresh, stored)) return { roster: stored, source: 'from the host' };
    storeRoster(first.fresh);
    return { roster: first.fresh, source: 'from the host' };
  }
  return waitForHost(dht, me, ref, wait);
}

/** Said when the host could not confirm a stored roster: a removal made meanwhile is unknown here. */
export function warnStoredRoster(ref: ClusterRef, stored: OpenedRoster, err: unknown): void {
  log.warn(
    `${ref.ownerName}'s host of ${ref.label} was not reached (${hostProblem(err)}): using the roster stored here ` +
      `(version ${stored.seq}, signed ${new Date(stored.issued).toISOString()}, valid until ${new Date(stored.expires).toISOString()}); ` +
      'members removed since then may still be let in until a peer with the newer roster is met',
  );
}

/** With a stored roster, when to ask the host for a newer one if no peer was found first. */
const STORED_CHECK_MS = 10_000;

/**
 * Has the host confirm (or replace) a stored roster a process started with: the answer to the request
 * already under way (`asking`), or, if none, a request made once this process's first peer is found or
 * after STORED_CHECK_MS: by then the punches the user waits for are done. `onSource` hears how the roster
 * stands; a worker (`warn`) says what an unconfirmed roster means, while a client's punch to the host may
 * simply have met hyperdht's one-at-a-time gate. Returns a function that stops the wait.
 */
export function confirmStoredRoster(
  dht: DHT,
  me: Identity,
  ref: ClusterRef,
  network: PeerNetwork,
  { asking, onSource, warn }: { asking?: Promise<OpenedRoster> | undefined; onSource: (source: string) => void; warn: boolean },
): () => void {
  const stored = network.roster;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = null;
    network.off('peer', ask);
  };
  function settle(answer: Promise<OpenedRoster>): void {
    answer
      .then((fresh) => {
        if (stopped) return;
        network.adoptRoster(fresh.bytes);
        onSource('stored here, confirmed by the host');
      })
      .catch((err: unknown) => {
        if (stopped) return;
        // Removed from the cluster: said as it is, and this process stops using it.
        if ((err as { code?: string }).code === 'NOT_A_MEMBER') {
          log.warn(messageOf(err));
          network.emit('revoked', stored);
          return;
        }
        if (network.roster.seq !== stored.seq) return;
        if (warn) warnStoredRoster(ref, stored, err);
        else log.debug(`${ref.ownerName}'s host of ${ref.label} not reached: ${hostProblem(err)}`);
        onSource(`stored here (host not reached: ${hostProblem(err)})`);
      });
  }
  function ask(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    network.off('peer', ask);
    settle(fetchRosterFromHost(dht, me, ref, ATTEMPT_MS));
  }
  if (asking) {
    settle(asking);
    return stop;
  }
  network.once('peer', ask);
  timer = setTimeout(ask, STORED_CHECK_MS);
  timer.unref();
  return stop;
}

async function waitForHost(dht: DHT, me: Identity, ref: ClusterRef, { waitMs = Infinity, onWait, signal }: RosterWait): Promise<ObtainedRoster> {
  const started = Date.now();
  const host = `${ref.ownerName}'s host (${ref.label})`;
  const what = `waiting for ${host}`;
  let lastError: unknown = null;
  const tell = () => onWait?.(`${what}… ${Math.round((Date.now() - started) / 1000)} s${lastError ? `: ${hostProblem(lastError)}` : ''}`, Date.now() - started, host);
  const ticker = setInterval(tell, 1_000);
  try {
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw Tsp2pError.CANCELLED(what);
      // The owner's own processes: hosting here may have begun since (it writes the roster first).
      const own = hostedHere(ref, me);
      if (own) return { roster: own, source: 'hosted here' };
      const remaining = waitMs - (Date.now() - started);
      try {
        const roster = await fetchRosterFromHost(dht, me, ref, Math.max(1, Math.min(ATTEMPT_MS, remaining)));
        storeRoster(roster);
        return { roster, source: 'from the host' };
      } catch (err) {
        if ((err as Tsp2pError).code === 'NOT_A_MEMBER') throw err;
        if (lastError === null) {
          lastError = err;
          tell();
        }
        lastError = err;
      }
      const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)] as number;
      if (Date.now() - started + delay >= waitMs) throw Tsp2pError.HOST_UNREACHABLE(ref.label, Date.now() - started, hostProblem(lastError), lastError, hostFound(lastError));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  } finally {
    clearInterval(ticker);
  }
}
