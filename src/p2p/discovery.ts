/**
 * Finding a cluster's peers: announce this process's session key on the cluster's topics and look up who
 * else is there, quickly while a cluster forms and then once a minute to heal. `refresh()` starts over at
 * the quick end (after a lost connection, a new topic). Lifecycle: refresh() … stop().
 */
import type DHT from 'hyperdht';
import type { NodeAddress, QueryPeer } from 'hyperdht';
import type { KeyPair } from 'hypercore-crypto';
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';

const log = createLogger('network');

/** Discovery back-off: quick while a cluster forms, then once a minute to heal. */
const DELAYS_MS = [300, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 60_000];

export interface DiscoveryOptions {
  dht: DHT;
  session: KeyPair;
  /** The topics to announce on and look up (the current secret's, and earlier ones during a grace). */
  topics(): Buffer[];
  relayAddresses(): NodeAddress[];
  /** Each other peer found in a round (once per round). */
  onPeer(peer: QueryPeer): void;
}

export class Discovery {
  #step = 0;
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> | null = null;
  #stopped = false;
  #lastProblem = '';

  constructor(private readonly options: DiscoveryOptions) {}

  /** Looks for peers now (and then on the back-off schedule again). */
  refresh(): void {
    this.#step = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    void this.#discover();
  }

  async #discover(): Promise<void> {
    if (this.#stopped) return;
    if (this.#round) return this.#round;
    this.#round = (async () => {
      const { dht, session } = this.options;
      const started = Date.now();
      const seen = new Set<string>();
      const answered = new Set<string>();
      try {
        for (const topic of this.options.topics()) {
          for await (const data of dht.announce(topic, session, this.options.relayAddresses())) {
            const from = (data as { from?: { host: string; port: number } }).from;
            if (from) answered.add(`${from.host}:${from.port}`);
            for (const peer of data.peers) {
              const id = peer.publicKey.toString('hex');
              if (seen.has(id) || peer.publicKey.equals(session.publicKey)) continue;
              seen.add(id);
              this.options.onPeer(peer);
            }
          }
        }
      } catch (err) {
        // Said once per change, not every round: a DHT outage would otherwise flood the log.
        const problem = messageOf(err);
        if (!this.#stopped && problem !== this.#lastProblem) log.warn(`discovery: ${problem}`);
        this.#lastProblem = problem;
      } finally {
        log.debug(`discovery round: ${seen.size} peer(s) from ${answered.size} node(s) [${[...answered].join(' ')}] in ${Date.now() - started} ms`);
        this.#round = null;
      }
      if (this.#stopped) return;
      const delay = DELAYS_MS[Math.min(this.#step++, DELAYS_MS.length - 1)] as number;
      this.#timer = setTimeout(() => void this.#discover(), delay);
      this.#timer.unref();
    })();
    return this.#round;
  }

  /** No more rounds; unannounces (at most `graceMs`, so stopping never hangs on an unreachable DHT). */
  async stop(graceMs = 1_000): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    const { dht, session } = this.options;
    const unannounce = Promise.all(this.options.topics().map((topic) => dht.unannounce(topic, session).catch(() => {})));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([unannounce, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }
}
