/**
 * The peer protocol: one protomux channel `tsp2p/2` per connection. The channel handshake is a `hello`
 * (role, user, host, slots, versions and the newest roster the sender holds); then typed frames, each a
 * compact-encoding struct. Frames arrive as raw bytes and are decoded here, so a malformed or unknown one is
 * logged and dropped: it never closes the connection or reaches a handler. See docs/protocol.md.
 */
import Protomux, { type Channel, type Message } from 'protomux';
import type { Duplex } from 'node:stream';
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { version } from '../version.js';
import { bytes, c, decode, encode, struct, type Encoder, type StructOf } from './codec.js';
import { hearsAcks } from './liveness.js';
import { DEFAULT_MAX_VALUE_BYTES } from './values.js';

const log = createLogger('protocol');
export const PROTOCOL = 'tsp2p/2';
/** Earlier versions of the channel: a peer that opens one runs an older tsp2p (values changed in /2). */
const OLDER_PROTOCOLS = ['tsp2p/1'];

/** relay: the process relays members' streams (its hello names the relay's key: relay.ts). */
export const ROLE = { worker: 1, client: 2, host: 4, relay: 8 } as const;

const helloEncoding = struct({
  roles: c.uint,
  user: c.string,
  host: c.string,
  slots: c.uint,
  /** JSON: { tsp2p, node, platform } */
  versions: c.string,
  roster: bytes,
  /** The key of the relay this process runs (empty: none). */
  relay: bytes,
  /** The relay the dialler reached this peer through (empty: direct, or the accepting side). */
  via: bytes,
});
export type Hello = StructOf<{ roles: typeof c.uint; user: typeof c.string; host: typeof c.string; slots: typeof c.uint; versions: typeof c.string; roster: typeof bytes; relay: typeof bytes; via: typeof bytes }>;

const valueFields = { json: c.string, buffers: c.array(bytes) };

/** Frame fields in wire order: the index is the protomux message type, so only append. */
const FIELDS = {
  roster: { roster: bytes },
  task: { id: c.string, code: c.string, ...valueFields, timeoutMs: c.uint, attempt: c.uint },
  started: { id: c.string },
  stream: { id: c.string, name: c.string, text: c.string },
  display: { id: c.string, json: c.string },
  emit: { id: c.string, ...valueFields },
  result: { id: c.string, ...valueFields, ms: c.uint },
  error: { id: c.string, json: c.string },
  cancel: { id: c.string },
  /** `done`: tasks finished, whatever their outcome (the `tally` that follows tells them apart). */
  load: { slots: c.uint, running: c.uint, queued: c.uint, done: c.uint },
  /** A piece of a frame too large for one secret-stream message (they carry 16 MiB at most). */
  part: { type: c.uint, data: bytes, last: c.bool },
  /** The client takes back a task that has not started, to run it on a worker that went idle. */
  withdraw: { id: c.string },
  /** The worker gave the task back (it had not started; it will not run there). */
  withdrawn: { id: c.string },
  /** A client's "still here?" to a worker every 0.5 s: silence means a dead or frozen peer (liveness.ts). */
  ping: {},
  /** The task's process died while running it (not the task's error): the attempt failed, the client may re-run it. */
  lost: { id: c.string, reason: c.string },
  /** The client's tasks it believes are at this worker (sent a while ago, no outcome yet). */
  inflight: { ids: c.array(c.string) },
  /** Of those, the ones this worker does not hold (never arrived, or their outcome went missing). */
  unknown: { ids: c.array(c.string) },
  /** Sent on a connection this side stopped using (another one with the same peer is kept): see peer-network.ts. */
  retire: {},
  /** The answer to a `ping`, sent at once (liveness.ts). */
  pong: {},
  /** Sent after each `load`: the worker's finished tasks by outcome (timeouts and lost processes are failed). */
  tally: { done: c.uint, failed: c.uint, cancelled: c.uint },
};

export type FrameName = keyof typeof FIELDS;
export type Frame<N extends FrameName> = StructOf<(typeof FIELDS)[N]>;
const FRAMES = Object.fromEntries(Object.entries(FIELDS).map(([name, fields]) => [name, struct(fields)])) as { [N in FrameName]: Encoder<Frame<N>> };
export type FrameHandler = <N extends FrameName>(name: N, frame: Frame<N>) => void;

/**
 * One handler per frame name, each given its own frame's type: how a service takes peers' frames (as the
 * kernel's handler table keyed by msg_type). A frame without an entry is not that table's business.
 */
export type FrameTable<C> = { [N in FrameName]?: (context: C, frame: Frame<N>) => void };

/** Hands `frame` to the table's handler for `name`. Returns whether the table has one. */
export function dispatchFrame<C, N extends FrameName>(table: FrameTable<C>, context: C, name: N, frame: Frame<N>): boolean {
  const handler = table[name];
  if (!handler) return false;
  handler(context, frame);
  return true;
}

const FRAME_NAMES = Object.keys(FRAMES) as FrameName[];
/** The frame name of a protomux message type, or null for a type this version does not know. */
const frameName = (type: number): FrameName | null => FRAME_NAMES[type] ?? null;
const PART = FRAME_NAMES.indexOf('part');
/** Frames larger than this travel as parts. */
export const PART_SIZE = 1024 * 1024;
/** Frames are batched per turn up to this many bytes (see PeerChannel.#batch). */
const BATCH_BYTES = 64 * 1024;
const DROPS_SAID = 3;
const DROPS_SUMMARY_MS = 10_000;
/** Liveness checks a watched peer every 250 ms: checks further apart mean this side was not watching. */
const CHECKS_LAPSED_MS = 1_000;
/** Room in a frame beside its value (a task's code, ids): a frame may be this much larger than --max-value. */
const FRAME_OVERHEAD = 1024 * 1024;

/** The id at the start of a frame (task, result, emit… all begin with it), read from its first bytes. */
export function frameIdOf(head: Uint8Array): string | null {
  try {
    return c.string.decode(c.state(0, head.byteLength, head));
  } catch {
    return null;
  }
}

export interface PeerChannelEvents {
  onopen(remote: Hello): void;
  onframe: FrameHandler;
  onclose(): void;
  /** A frame larger than allowed was dropped as its parts came (`head`: its first part, to tell which). */
  onoversize?(name: FrameName, head: Buffer, bytes: number): void;
}

/**
 * A connection's underlying stream (UDX), as far as liveness uses it: every packet from the peer counted,
 * and keepalive probes, which the peer's UDX acknowledges without waking its event loop.
 */
interface PacketCounter {
  readonly packetsReceived: number;
  setKeepalive?(ms: number): void;
}

/** A connection's tsp2p channel: typed sends, validated receives. */
export class PeerChannel {
  readonly #channel: Channel;
  readonly #messages: Message<Uint8Array>[];
  readonly #label: string;
  /** Bytes of small frames waiting in this turn's batch (0: not corked). */
  #batched = 0;
  /** Parts of the large frame being received (parts of one frame arrive back to back): at most one. */
  #parts: { type: number; chunks: Buffer[]; size: number } | null = null;
  /** The rest of a frame that grew past the limit is dropped as it comes, up to its last part. */
  #discarding = false;
  readonly #maxFrame: number;
  readonly #events: PeerChannelEvents;
  /** Frames dropped from this peer: the first few are said, the rest counted and summed up now and then. */
  #drops = { total: 0, unsaid: 0, saidAt: 0 };
  /** When the peer was last heard from (Date.now()): any message counts, parts of a large frame included. */
  lastHeard = Date.now();
  /** The connection (its raw stream, which counts every packet from the peer, comes once it is connected). */
  readonly #socket: { readonly rawStream?: PacketCounter | null };
  #packets = { seen: 0, checkedAt: Date.now() };
  /** Whether the peer hears our life in the connection's packets (HEARS_ACKS); else frames only (an older tsp2p). */
  #peerHearsAcks = false;
  /** Whether the transport probes the peer now (see beat()). */
  #probing = false;

  /** `maxValueBytes`: the largest value this side takes; a frame being reassembled never holds more. */
  constructor(socket: Duplex & { readonly rawStream?: PacketCounter | null }, hello: Hello, events: PeerChannelEvents, label: string, maxValueBytes = DEFAULT_MAX_VALUE_BYTES) {
    this.#label = label;
    this.#events = events;
    this.#socket = socket;
    this.#maxFrame = maxValueBytes + FRAME_OVERHEAD;
    const mux = Protomux.from(socket);
    for (const older of OLDER_PROTOCOLS) {
      mux.pair({ protocol: older }, () => {
        log.warn(`${label} runs an older tsp2p (it speaks ${older}, this one ${PROTOCOL}): update it to tsp2p ${version}; dropped the connection`);
        socket.destroy();
      });
    }
    this.#channel = mux.createChannel({
      protocol: PROTOCOL,
      handshake: c.raw as unknown as Encoder<unknown>,
      onopen: (handshake) => {
        this.lastHeard = Date.now();
        let remote: Hello;
        try {
          remote = decode(helloEncoding, handshake as Uint8Array, 'hello') as Hello;
        } catch (err) {
          log.warn(`${label}: dropped a connection with a malformed hello: ${messageOf(err)}`);
          socket.destroy();
          return;
        }
        this.#peerHearsAcks = hearsAcks(remote);
        events.onopen(remote);
      },
      onclose: () => {
        this.#sayDrops();
        events.onclose();
      },
    });
    this.#messages = FRAME_NAMES.map((name) =>
      this.#channel.addMessage({
        encoding: c.raw as unknown as Encoder<Uint8Array>,
        onmessage: (raw: Uint8Array) => {
          this.lastHeard = Date.now();
          if (name === 'part') this.#receivePart(raw, events.onframe);
          else if (name === 'ping') this.#answerPing();
          else if (name !== 'pong') this.#receive(name, raw, events.onframe);
        },
      }),
    );
    this.#channel.open(encode(helloEncoding, hello));
  }

  /** A ping needs a pong only from a peer that hears frames alone (an older tsp2p: see liveness.ts). */
  #answerPing(): void {
    if (!this.#peerHearsAcks) this.send('pong', {});
  }

  /**
   * Keeps a peer this side watches answering, once a heartbeat (liveness.ts). A peer that hears packets
   * (HEARS_ACKS: it counts ours as our life) is probed by the transport itself: UDX sends a keepalive
   * probe after each `everyMs` without traffic and the peer's UDX acknowledges it natively, so the peer's
   * event loop runs no JavaScript for it (a `ping` frame woke it: decryption, the channel, ~0.2 ms each).
   * Set once; other peers get a `ping` frame each beat.
   */
  beat(everyMs: number): void {
    if (this.#probing) return;
    const raw = this.#socket.rawStream;
    if (this.#peerHearsAcks && raw?.setKeepalive) {
      raw.setKeepalive(everyMs);
      this.#probing = true;
    } else this.send('ping', {});
  }

  /**
   * When the peer was last heard from, the connection's packets included (liveness.ts): a packet first seen
   * now came after the previous check, so it counts from then. If that check is long past (this side was
   * not watching: a worker heeds a client only while it holds its tasks), it counts from now: a live
   * client's probes come every HEARTBEAT_MS, and this side starts watching when a frame of the client's
   * came anyway (its task).
   */
  heard(): number {
    const now = Date.now();
    const packets = this.#socket.rawStream?.packetsReceived;
    const since = now - this.#packets.checkedAt > CHECKS_LAPSED_MS ? now : this.#packets.checkedAt;
    if (packets !== undefined && packets !== this.#packets.seen) this.lastHeard = Math.max(this.lastHeard, since);
    this.#packets = { seen: packets ?? 0, checkedAt: now };
    return this.lastHeard;
  }

  /**
   * Says that a frame was dropped: the first DROPS_SAID in full, then a count every DROPS_SUMMARY_MS (and
   * when the connection closes), so a peer sending garbage costs a few log lines, not one per frame.
   */
  #dropped(what: string): void {
    const drops = this.#drops;
    drops.total += 1;
    if (drops.total <= DROPS_SAID) {
      log.warn(`${this.#label}: dropped ${what}${drops.total === DROPS_SAID ? ' (further drops are counted)' : ''}`);
      drops.saidAt = Date.now();
      return;
    }
    drops.unsaid += 1;
    if (Date.now() - drops.saidAt >= DROPS_SUMMARY_MS) this.#sayDrops();
  }

  #sayDrops(): void {
    const drops = this.#drops;
    if (drops.unsaid === 0) return;
    log.warn(`${this.#label}: dropped ${drops.unsaid} more malformed or oversized frames (${drops.total} from this peer in all)`);
    drops.unsaid = 0;
    drops.saidAt = Date.now();
  }

  #receivePart(raw: Uint8Array, onframe: FrameHandler): void {
    let part: Frame<'part'>;
    let name: FrameName | null;
    try {
      part = decode(FRAMES.part, raw, 'part frame');
      name = frameName(part.type);
      if (part.type === PART || !name) throw new Error(`part of unknown frame type ${part.type}`);
    } catch (err) {
      this.#parts = null;
      this.#dropped(`a malformed frame: ${messageOf(err)}`);
      return;
    }
    if (this.#discarding) {
      this.#discarding = !part.last;
      return;
    }
    const current = this.#parts && this.#parts.type === part.type ? this.#parts : { type: part.type, chunks: [], size: 0 };
    current.chunks.push(part.data);
    current.size += part.data.length;
    if (current.size > this.#maxFrame) {
      this.#parts = null;
      this.#discarding = !part.last;
      this.#dropped(`a ${name} frame larger than ${this.#maxFrame} bytes`);
      this.#events.onoversize?.(name, current.chunks[0] as Buffer, current.size);
      return;
    }
    this.#parts = part.last ? null : current;
    if (part.last) this.#receive(name, Buffer.concat(current.chunks, current.size), onframe);
  }

  #receive<N extends FrameName>(name: N, raw: Uint8Array, onframe: FrameHandler): void {
    let frame: Frame<N>;
    try {
      frame = decode(FRAMES[name], raw, `${name} frame`);
    } catch (err) {
      this.#dropped(`a malformed frame: ${messageOf(err)}`);
      return;
    }
    try {
      onframe(name, frame);
    } catch (err) {
      // A handler bug must not tear down the connection (protomux would destroy it): log loudly instead.
      log.error(`${this.#label}: handling a ${name} frame failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  send<N extends FrameName>(name: N, frame: Frame<N>): boolean {
    if (this.#channel.closed) return false;
    const index = FRAME_NAMES.indexOf(name);
    const bytes = encode(FRAMES[name], frame);
    if (bytes.length <= BATCH_BYTES && this.#batched + bytes.length <= BATCH_BYTES) {
      this.#batch(bytes.length);
      return (this.#messages[index] as Message<Uint8Array>).send(bytes);
    }
    this.#flushBatch();
    if (bytes.length <= PART_SIZE) return (this.#messages[index] as Message<Uint8Array>).send(bytes);
    // Sent back to back in one go, so no other frame can come between the parts.
    const parts = this.#messages[PART] as Message<Uint8Array>;
    let ok = true;
    for (let at = 0; at < bytes.length; at += PART_SIZE) {
      const data = bytes.subarray(at, at + PART_SIZE);
      ok = parts.send(encode(FRAMES.part, { type: index, data, last: at + PART_SIZE >= bytes.length })) && ok;
    }
    return ok;
  }

  /** Sends raw bytes as a frame of `name`: for tests that forge malformed frames. */
  sendRaw(name: FrameName, raw: Uint8Array): void {
    (this.#messages[FRAME_NAMES.indexOf(name)] as Message<Uint8Array>).send(raw);
  }

  /**
   * Small frames sent in one turn of the event loop travel as one protomux batch: one encryption, one
   * packet (a worker's result for one task and "started" for the next; a client's tasks for a worker that
   * just made room). The batch goes out at the end of the turn (a microtask: no added latency).
   */
  #batch(bytes: number): void {
    if (this.#batched === 0) {
      this.#channel.cork();
      queueMicrotask(() => this.#flushBatch());
    }
    this.#batched += bytes || 1;
  }

  #flushBatch(): void {
    if (this.#batched === 0) return;
    this.#batched = 0;
    this.#channel.uncork();
  }

  get closed(): boolean {
    return this.#channel.closed;
  }

  close(): void {
    this.#channel.close();
  }
}
