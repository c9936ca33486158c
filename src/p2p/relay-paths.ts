/**
 * Relayed paths, seen from one process: which relay to dial a peer through, and whether a connection runs
 * through one now. A relay is a peer whose hello names a relay key (relay.ts); a stream it relays comes
 * from the relaying machine's address (another port than its own connection's), so a connection with
 * another peer whose remote host is a relay's is taken as relayed (hyperdht moves it to the peer's own
 * address if a direct punch succeeds later). A worker on the relay's own machine would look relayed too.
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

export const remoteOf = (socket: SecretStream): string | null =>
  socket.rawStream?.remoteHost ? `${socket.rawStream.remoteHost}:${socket.rawStream.remotePort}` : null;

/** The user of the relay `socket` runs through, or null when it is direct. */
export function relayedVia(socket: SecretStream, peers: Iterable<RelayPeer>): string | null {
  const host = socket.rawStream?.remoteHost;
  if (!host) return null;
  for (const peer of peers) {
    if (peer.socket !== socket && peer.hello.relay.length > 0 && peer.socket.rawStream?.remoteHost === host) return peer.hello.user;
  }
  return null;
}
