/**
 * Relayed paths, seen from one process: which relay to dial a peer through, and whether a connection runs
 * through one now. A relay is a peer whose hello names a relay key (relay.ts); a stream it relays arrives
 * from the relaying process's own UDP socket, so a connection whose remote address is a relay's is relayed
 * (hyperdht moves it to the peer's own address if a direct punch succeeds later).
 */
import type { SecretStream } from 'hyperdht';

export interface RelayPeer {
  id: string;
  hello: { user: string; relay: Buffer };
  socket: SecretStream;
}

/**
 * The relay key to dial peer `id` through, or null to dial direct: after a failed direct dial, or at once
 * when this process is behind a port-randomizing NAT (`randomized`), where a punch takes seconds or cannot
 * work at all. Dialling through a relay loses nothing: hyperdht punches on meanwhile and moves the stream
 * to the direct path if one opens.
 */
export function relayFor(peers: Iterable<RelayPeer>, id: string, failures: number, randomized: boolean): Buffer | null {
  if (failures < 1 && !randomized) return null;
  for (const peer of peers) if (peer.id !== id && peer.hello.relay.length > 0) return peer.hello.relay;
  return null;
}

const remoteOf = (socket: SecretStream): string | null =>
  socket.rawStream?.remoteHost ? `${socket.rawStream.remoteHost}:${socket.rawStream.remotePort}` : null;

/** The user of the relay `socket` runs through, or null when it is direct. */
export function relayedVia(socket: SecretStream, peers: Iterable<RelayPeer>): string | null {
  const remote = remoteOf(socket);
  if (!remote) return null;
  for (const peer of peers) {
    if (peer.socket !== socket && peer.hello.relay.length > 0 && remoteOf(peer.socket) === remote) return peer.hello.user;
  }
  return null;
}
