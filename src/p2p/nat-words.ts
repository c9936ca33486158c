/**
 * Why members could not connect, in words that name the cause: the NATs (which kind, whose) and whether
 * a relay could have helped. hyperdht's codes alone ("HOLEPUNCH_ABORTED") send users looking for a host
 * that is not running when their router is what stands in the way.
 */
const PUNCH_FAILURES = /^HOLEPUNCH_|RELAY_|no connection within/;

export interface NatView {
  /** This process's NAT randomizes source ports (hyperdht's verdict from several DHT nodes). */
  randomized: boolean;
  /** A relay (a peer running `tsp2p host --relay`) is connected. */
  relay: boolean;
  /** The cluster's owner, who can start one. */
  owner: string;
}

/** The sentence for dial failures `reasons` (by peer name), or null when none is about NATs. */
export function natProblem(reasons: { name: string; reason: string }[], view: NatView): string | null {
  const punched = reasons.filter((r) => PUNCH_FAILURES.test(r.reason));
  if (punched.length === 0) return null;
  const names = [...new Set(punched.map((r) => r.name))].join(', ');
  const both = punched.some((r) => r.reason === 'HOLEPUNCH_DOUBLE_RANDOMIZED_NATS');
  const mine = view.randomized ? 'your NAT randomizes ports (a symmetric NAT, as on carrier-grade and phone networks)' : 'the NATs between you';
  const cause = both ? `your NAT randomizes ports (symmetric) and so does ${names}'s: no direct path exists` : `${mine} could not be crossed to reach ${names}`;
  const fix = view.relay
    ? 'the relay was tried too; check that the relaying host has a public address'
    : `no relay is available: ask ${view.owner} to host with \`tsp2p host --relay\` on a machine with a public address`;
  return `${cause}; ${fix}`;
}

/** What crossing a port-randomizing NAT takes. */
export const RANDOM_PUNCH = 'a random punch (usually a second or two, at times 5 s or more)';

/** Why a connection from behind a port-randomizing NAT is slow, and what makes it fast. */
export function slowPunch(owner: string): string {
  return (
    `your NAT randomizes ports, so each connection takes ${RANDOM_PUNCH}; ` +
    `a relay makes it immediate: ask ${owner} to host with \`tsp2p host --relay\` on a machine with a public address`
  );
}
