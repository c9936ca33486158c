/**
 * Whether members can reach this process without a holepunch. dht-rpc decides a node is reachable
 * (`firewalled: false`, announced to callers as an open firewall) with one quick test raced against its
 * bootstrap query, and looks again only after ~20 minutes of a stable address. When the query wins (a DHT
 * that answers in milliseconds, as a small private one does), a machine with a public address stays
 * "firewalled": every member behind a port-randomizing NAT must then spend its one random punch to reach
 * it, even to reach a relay, and a relayed dial whose relay connection lost that race to the direct punch
 * beside it hangs until the punch ends (seen: 8 s instead of 0.3 s). So a process that members dial runs
 * dht-rpc's own test once more after bootstrap. Behind a NAT or firewall it finds nothing and changes
 * nothing; the test's pings go to the DHT nodes this node already talks to.
 */
import type DHT from 'hyperdht';
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';

const log = createLogger('node');

/** Runs in the background for the DHT's life; never throws. */
export async function confirmReachability(dht: DHT): Promise<void> {
  try {
    await dht.ready();
    if (!dht.firewalled || dht.randomized || dht.destroyed) return;
    await dht._updateNetworkState(true);
    log.debug(dht.firewalled ? 'not reachable unasked: members reach this process by holepunching' : `reachable unasked at ${dht.host}:${dht.port}: members connect without a holepunch`);
  } catch (err) {
    log.debug(`reachability test: ${messageOf(err)}`);
  }
}
