/**
 * A relay for members who cannot reach each other directly (both behind port-randomizing NATs: no
 * holepunch crosses two of those). It runs in a process with a reachable address (`tsp2p host --relay`),
 * listens on a key of its own, and pairs two members' streams with hyperdht's blind relay (`blind-relay`):
 * the two ends keep their end-to-end encryption, so the relay forwards ciphertext only. It serves members
 * only: its firewall checks a caller's session certificate as every peer does (isMember). Peers learn its
 * key from the relaying process's hello and pass it as `relayThrough` to hyperdht, which keeps trying to
 * punch a direct path meanwhile and moves the stream to it if one opens. Lifecycle: start() … close().
 */
import { Server as BlindRelay } from 'blind-relay';
import crypto, { type KeyPair } from 'hypercore-crypto';
import type DHT from 'hyperdht';
import type { Server } from 'hyperdht';
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';

const log = createLogger('relay');

export class RelayService {
  readonly keyPair: KeyPair = crypto.keyPair();
  readonly #relay: BlindRelay;
  #server: Server | null = null;

  /** `isMember(session)`: whether a session key belongs to a member of the cluster (its certificate). */
  constructor(
    private readonly dht: DHT,
    private readonly isMember: (session: Buffer) => Promise<boolean>,
  ) {
    this.#relay = new BlindRelay({ createStream: (options) => dht.createRawStream({ ...options, framed: true }) });
  }

  get publicKey(): Buffer {
    return this.keyPair.publicKey;
  }

  /** Streams being relayed now. */
  get active(): number {
    return this.#relay.stats.pairings.active;
  }

  async start(): Promise<void> {
    this.#server = this.dht.createServer({ firewall: async (remote) => !(await this.isMember(remote)) }, (socket) => {
      socket.on('error', (err: Error) => log.debug(`relay connection: ${err.message}`));
      const session = this.#relay.accept(socket, { id: socket.remotePublicKey });
      session.on('error', (err: Error) => log.debug(`relay session: ${messageOf(err)}`));
    });
    await this.#server.listen(this.keyPair);
  }

  async close(): Promise<void> {
    await this.#relay.close().catch(() => {});
    await this.#server?.close().catch(() => {});
  }
}
