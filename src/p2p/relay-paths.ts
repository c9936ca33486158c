/**
 * Relayed paths, seen from one process: which relay to dial a peer through, and whether a connection runs
 * through one now. A relay is a peer whose hello names a relay key (relay.ts). The dialling end knows it
 * dialled through one and says so in its hello (`via`), so both ends know; when hyperdht later moves the
 * stream to a direct path (a punch succeeded meanwhile), the stream's remote changes and the path is
 * direct from then on.
 */
import type { SecretStream } from 'hyperdht';

export interface RelayPeer {
  id: string;
  hello: { user: string; relay: Buffer };
  via: Buffer | null;
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

/**
 * The relay a new connection runs through: the one this end dialled through, or the one the dialler names
 * in its hello. Watches the stream, so `peer.via` is cleared when it moves to a direct path.
 */
export function pathOf(dialledThrough: Buffer | null, remote: { via: Buffer }): Buffer | null {
  return dialledThrough ?? (remote.via.length > 0 ? remote.via : null);
}

/** Marks `peer` direct when its stream moves off the relay. */
export function watchPath(peer: { socket: SecretStream; via: Buffer | null }): void {
  const socket = peer.socket;
  if (peer.via) socket.rawStream?.once('remote-changed', () => peer.socket === socket && (peer.via = null));
}

/** The user of the relay the connection with `peer` runs through ("a relay" if not connected to it), or null. */
export function relayedVia(peer: RelayPeer, peers: Iterable<RelayPeer>): string | null {
  if (!peer.via) return null;
  for (const other of peers) if (other.hello.relay.length > 0 && other.hello.relay.equals(peer.via)) return other.hello.user;
  return 'a relay';
}
