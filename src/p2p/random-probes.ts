/**
 * Crossing a port-randomizing NAT sooner. In a random punch the randomizing side opens 256 sockets towards
 * the other's fixed address, and the other side probes random ports of the randomizing NAT until one lands
 * on a port those sockets hold: each probe hits with p = 256/64,512 (~0.4%), so a punch takes ~250 probes
 * on average however fast they go. hyperdht sends one every 20 ms (50 a second: 5 s on average, p50 3.5 s,
 * one in ten over 11 s), at most 1,750 (~35 s). tsp2p's processes send the same probes, at most as many,
 * four every 20 ms: the same packets per punch on average and the same chance of getting through at all
 * (1 − e^−7 ≈ 99.9%), in a quarter of the time (p50 ~0.9 s). A router sees the same number of new flows
 * per punch, sooner; probing stops at the first hit as before.
 *
 * hyperdht has no option for this (its rate is a constant of lib/holepuncher.js), so the method is replaced
 * on its prototype: hyperdht is pinned in package.json, and a unit test checks the method is still there
 * and shaped as this expects (test/p2p-units "random probes").
 */
import Holepuncher from 'hyperdht/lib/holepuncher.js';
import type { NodeAddress } from 'hyperdht';

/** hyperdht's own bound on one punch's probes. */
export const RANDOM_PROBES = 1_750;
/** Probes sent together; one burst every PROBE_TICK_MS (hyperdht: 1). */
export const PROBES_PER_TICK = 4;
const PROBE_TICK_MS = 20;

/** A random port above the well-known ones, as hyperdht picks them (NATs map into 1024–65535). */
const randomPort = (): number => (1000 + Math.random() * 64_536) | 0;

async function randomProbes(this: Holepuncher, remote: NodeAddress): Promise<void> {
  let sent = 0;
  while (this.punching && sent < RANDOM_PROBES) {
    await this.ping({ host: remote.host, port: randomPort() });
    sent++;
    if (this.punching && sent % PROBES_PER_TICK === 0) await this._sleeper.pause(PROBE_TICK_MS);
  }
  this._autoDestroy();
}

/** Makes every random punch of this process probe PROBES_PER_TICK at a time. Idempotent. */
export function probeRandomNatsFaster(): void {
  Holepuncher.prototype._randomProbes = randomProbes;
}

/** Whether hyperdht's punches use tsp2p's probing (for the unit test). */
export const probesFaster = (): boolean => Holepuncher.prototype._randomProbes === randomProbes;
