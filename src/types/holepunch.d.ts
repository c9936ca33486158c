// Minimal types for the holepunch modules tsp2p uses (they ship none): only what is called here.

declare module 'hypercore-crypto' {
  export interface KeyPair {
    publicKey: Buffer;
    secretKey: Buffer;
  }
  const crypto: {
    keyPair(seed?: Buffer): KeyPair;
    sign(message: Buffer, secretKey: Buffer): Buffer;
    verify(message: Buffer, signature: Buffer, publicKey: Buffer): boolean;
    hash(data: Buffer | Buffer[]): Buffer;
    randomBytes(n: number): Buffer;
    discoveryKey(key: Buffer): Buffer;
  };
  export default crypto;
}

declare module 'hypercore-id-encoding' {
  const ids: {
    encode(key: Buffer): string;
    decode(id: string | Buffer): Buffer;
    normalize(id: string | Buffer): string;
    isValid(id: string | Buffer): boolean;
  };
  export default ids;
}

declare module 'sodium-universal' {
  const sodium: {
    crypto_secretbox_NONCEBYTES: number;
    crypto_secretbox_MACBYTES: number;
    crypto_secretbox_KEYBYTES: number;
    crypto_secretbox_easy(out: Buffer, message: Buffer, nonce: Buffer, key: Buffer): void;
    crypto_secretbox_open_easy(out: Buffer, cipher: Buffer, nonce: Buffer, key: Buffer): boolean;
    randombytes_buf(out: Buffer): void;
  };
  export default sodium;
}

declare module 'hyperdht' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex } from 'node:stream';
  import type { KeyPair } from 'hypercore-crypto';

  export interface NodeAddress {
    host: string;
    port: number;
  }

  /** An end-to-end encrypted connection (a @hyperswarm/secret-stream). */
  export interface SecretStream extends Duplex {
    remotePublicKey: Buffer;
    publicKey: Buffer;
    isInitiator: boolean;
    /** The UDX stream underneath; `packetsReceived` counts every packet from the peer, acknowledgements included. */
    rawStream: {
      remoteHost?: string;
      remotePort?: number;
      readonly packetsReceived: number;
      /** UDX keepalive: a probe after each `ms` without traffic, acknowledged by the peer's UDX itself. */
      setKeepalive(ms: number): void;
      once(event: 'remote-changed', listener: () => void): void;
    };
    opened: Promise<boolean>;
    setKeepAlive(ms: number): void;
  }

  export interface Server extends EventEmitter {
    listen(keyPair: KeyPair): Promise<void>;
    close(): Promise<void>;
    relayAddresses: NodeAddress[];
    publicKey: Buffer | null;
  }

  export interface QueryPeer {
    publicKey: Buffer;
    relayAddresses: NodeAddress[];
  }

  export interface Query extends AsyncIterable<{ peers: QueryPeer[] }> {
    finished(): Promise<void>;
    destroy(): void;
  }

  export interface DHTOptions {
    bootstrap?: (string | NodeAddress)[];
    keyPair?: KeyPair;
    port?: number;
    host?: string;
    ephemeral?: boolean;
    firewalled?: boolean;
    /** Minimum pause between two randomized-NAT punches (hyperdht default 20 s). */
    randomPunchInterval?: number;
    /** How often an idle connection sends an empty message (hyperdht default 5 s). */
    connectionKeepAlive?: number;
  }

  export default class DHT extends EventEmitter {
    constructor(options?: DHTOptions);
    static keyPair(seed?: Buffer): KeyPair;
    static bootstrapper(port: number, host: string, options?: { host?: string }): DHT;
    defaultKeyPair: KeyPair;
    destroyed: boolean;
    ready(): Promise<void>;
    address(): { host: string; port: number };
    connect(remotePublicKey: Buffer, options?: { keyPair?: KeyPair; relayAddresses?: NodeAddress[]; relayThrough?: Buffer | null }): SecretStream;
    /** A UDX stream on this node's socket (what a blind relay pairs). */
    createRawStream(options?: Record<string, unknown>): unknown;
    /** This node's view of its NAT: its public address as DHT nodes see it, and whether it is reachable. */
    host: string | null;
    port: number;
    firewalled: boolean;
    randomized: boolean;
    /**
     * Random punches this node runs at once, dialling and dialled (hyperdht 6.32: a plain field set to 1 in
     * the constructor, "for extra safety for now"; no option). Read and set by node.ts only.
     */
    _randomPunchLimit: number;
    /** Random punches under way now (same hyperdht field; read by peer-network.ts to word a refusal). */
    _randomPunches: number;
    /**
     * dht-rpc 6.27's test of whether this node is reachable unasked (`onlyFirewall`: asks up to 5 nodes to
     * ping its server socket); clears `firewalled` when it is. Called by reachability.ts only.
     */
    _updateNetworkState(onlyFirewall: boolean): Promise<boolean>;
    createServer(
      options: { firewall?: (remotePublicKey: Buffer, payload: unknown) => boolean | Promise<boolean> },
      onConnection?: (socket: SecretStream) => void,
    ): Server;
    announce(topic: Buffer, keyPair: KeyPair, relayAddresses?: NodeAddress[]): Query;
    unannounce(topic: Buffer, keyPair: KeyPair): Promise<void>;
    lookup(topic: Buffer): Query;
    mutablePut(keyPair: KeyPair, value: Buffer, options?: { seq?: number }): Promise<{ seq: number }>;
    mutableGet(publicKey: Buffer, options?: { latest?: boolean; seq?: number }): Promise<{ value: Buffer; seq: number } | null>;
    destroy(options?: { force?: boolean }): Promise<void>;
  }
}

declare module 'blind-relay' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex } from 'node:stream';
  export interface RelaySession extends EventEmitter {}
  export class Server extends EventEmitter {
    constructor(options: { createStream(options: Record<string, unknown>): unknown });
    accept(stream: Duplex, options?: { id?: Buffer }): RelaySession;
    close(): Promise<void>;
    stats: { sessions: { active: number }; pairings: { active: number; matched: number }; streams: { active: number } };
  }
}

declare module 'hyperdht/lib/holepuncher.js' {
  import type { NodeAddress } from 'hyperdht';
  /**
   * One connection's hole punch (hyperdht 6.32, lib/holepuncher.js: internal, no exports map). Only
   * random-probes.ts touches it, to replace `_randomProbes`; a test checks the shape at every upgrade.
   */
  export default class Holepuncher {
    punching: boolean;
    readonly _sleeper: { pause(ms: number): Promise<void> };
    /** Sends one probe from the punch's socket (hyperdht: `holepunch(socket, addr, false)`). */
    ping(address: NodeAddress): Promise<unknown>;
    _autoDestroy(): void;
    /** The consistent side of a punch towards a randomizing NAT: probes at random ports of its address. */
    _randomProbes(remote: NodeAddress): Promise<void>;
  }
}

declare module 'hyperdht/testnet.js' {
  import type DHT from 'hyperdht';
  export default function createTestnet(size?: number, options?: { host?: string; port?: number }): Promise<{ bootstrap: { host: string; port: number }[]; nodes: DHT[]; destroy(): Promise<void> }>;
}

declare module 'protomux' {
  import type { Duplex } from 'node:stream';
  export interface Encoding<T> {
    preencode(state: unknown, value: T): void;
    encode(state: unknown, value: T): void;
    decode(state: unknown): T;
  }
  export interface Message<T> {
    send(value: T): boolean;
  }
  export interface Channel {
    open(handshake?: unknown): void;
    close(): void;
    closed: boolean;
    opened: boolean;
    addMessage<T>(options: { encoding: Encoding<T>; onmessage?: (value: T) => void }): Message<T>;
    cork(): void;
    uncork(): void;
  }
  export default class Protomux {
    static from(stream: Duplex): Protomux;
    createChannel(options: {
      protocol: string;
      id?: Buffer | null;
      handshake?: Encoding<unknown>;
      unique?: boolean;
      onopen?: (handshake: unknown) => void | Promise<void>;
      onclose?: () => void;
      ondestroy?: () => void;
    }): Channel;
    /** `notify` runs when the remote opens a channel of `protocol` that this side has not created. */
    pair(options: { protocol: string; id?: Buffer | null }, notify: (id: Buffer | null) => void | Promise<void>): void;
    cork(): void;
    uncork(): void;
  }
}
