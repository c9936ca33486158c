/**
 * `tsp2p doctor` / `%p2p doctor`: how this machine sees the network and the cluster, on one screen (as
 * `tailscale netcheck` does): the DHT, this machine's NAT as the DHT nodes see it, the host, the members
 * found and how each worker is reached (direct or relayed) with a task's round trip, and why the others
 * could not be. Rows of [what, finding]; the front ends lay them out.
 */
import { networkInterfaces } from 'node:os';
import type { Cluster } from './cluster.js';
import { counted } from '../words.js';
import { natProblem } from './nat-words.js';
import { fetchRosterFromHost } from './membership.js';
import { confirmReachability } from './reachability.js';
import { hostProblem } from './roster-source.js';

export type DoctorRow = [what: string, finding: string];

/** This machine's own addresses: a DHT that sees one of them sees this machine without a NAT between. */
function ownAddresses(): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)));
}

/** What the DHT nodes saw of this machine's address: the kind of NAT it is behind, in a user's words. */
export function natKind(dht: { host: string | null; port: number; randomized: boolean; firewalled: boolean }, own = ownAddresses()): string {
  if (!dht.host) return 'unknown (too few DHT nodes answered to tell)';
  if (dht.randomized) return `behind a NAT that randomizes ports (symmetric; public address ${dht.host}): direct connections need the other side's NAT to keep ports, and two such members need a relay`;
  if (own.has(dht.host) && !dht.firewalled) return `open: reachable at ${dht.host}:${dht.port}, this machine's own address (no NAT); it can relay for others (tsp2p host --relay, tsp2p relay)`;
  if (own.has(dht.host)) return `a public address (${dht.host}, this machine's own) but a firewall drops UDP that was not asked for: members reach it by holepunching; to relay here, let UDP in`;
  return `behind a NAT that keeps ports (public address ${dht.host}:${dht.port}): holepunching works with most members`;
}

export async function doctor(cluster: Cluster, onProgress?: (what: string) => void): Promise<DoctorRow[]> {
  const { node } = cluster;
  const { dht, network, ref } = node;
  const rows: DoctorRow[] = [];
  rows.push(['cluster', `${ref.label} as ${node.identity.name}; roster version ${network.roster.seq} (${node.rosterSource}), valid until ${new Date(network.roster.expires).toISOString()}`]);
  onProgress?.(`asking ${ref.ownerName}'s host`);
  // Whether DHT nodes can reach this machine unasked (up to ~4 s when they cannot), meanwhile.
  const reachability = confirmReachability(dht);
  const hostStarted = performance.now();
  const host = await fetchRosterFromHost(dht, node.identity, ref, 10_000).then(
    (roster) => `reached in ${Math.round(performance.now() - hostStarted)} ms; it hands out roster version ${roster.seq}`,
    (err: unknown) => `not reached: ${hostProblem(err)}`,
  );
  await reachability;
  rows.push(['NAT', natKind(dht)], ['host', host]);
  const summary = network.dialSummary();
  rows.push(['found', `${summary.found} process(es) of the cluster on the DHT, ${summary.members} proven members`]);
  const relays = network.peers.filter((p) => p.hello.relay.length > 0).map((p) => `${p.hello.user}@${p.hello.host} (${network.remoteAddress(p) ?? 'address unknown'})`);
  rows.push(['relay', relays.length ? `available: ${relays.join(', ')}` : `none connected (one runs with \`tsp2p host --relay\` on a machine with a public address)`]);
  for (const worker of cluster.workers()) {
    onProgress?.(`timing a task on ${worker.user}@${worker.host}`);
    const started = performance.now();
    const trip = await cluster.run({ code: '1', worker: worker.id, timeoutMs: 10_000 }).then(
      () => `${(performance.now() - started).toFixed(1)} ms task round trip`,
      (err: unknown) => `no task answer (${err instanceof Error ? err.message : String(err)})`,
    );
    const peer = network.peers.find((p) => p.id === worker.id);
    const address = peer ? network.remoteAddress(peer) : null;
    rows.push(['worker', `${worker.user}@${worker.host}: ${worker.path}${address ? ` (${address})` : ''}, ${counted(worker.slots, 'slot')}, ${trip}`]);
  }
  if (cluster.workers().length === 0) rows.push(['worker', 'none connected']);
  const nameOf = (key: Buffer | null) => (key === null ? 'a non-member' : (network.roster.members.find((m) => m.key.equals(key))?.name ?? ref.ownerName));
  for (const failure of summary.failures.slice(0, 5)) rows.push(['not connected', `${nameOf(failure.identity)}: ${failure.reason}`]);
  for (const dial of network.dialSummary().connecting.slice(0, 5)) rows.push(['connecting', `${nameOf(dial.identity)}: for ${Math.round(dial.ms / 1000)} s`]);
  const nat = natProblem(
    summary.failures.map((f) => ({ name: nameOf(f.identity), reason: f.reason })),
    { randomized: dht.randomized, relay: relays.length > 0, owner: ref.ownerName },
  );
  if (nat) rows.push(['why', nat]);
  return rows;
}
