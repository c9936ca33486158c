/** `tsp2p relay`: relay members of a cluster who cannot reach each other directly (src/p2p/relay.ts). */
import { encodeKey } from '../p2p/keys.js';
import type { Command } from './command.js';
import { bootstrapOption, clusterOption, say, str, untilSignal } from './common.js';

export const relayCommand: Command = {
  spec: {
    name: 'tsp2p relay',
    summary:
      "Relay a cluster's members who cannot reach each other directly (both behind port-randomizing NATs). Run it on a machine with a public address; members find it by themselves. It forwards ciphertext only, and serves members only.",
    options: [clusterOption, bootstrapOption],
    epilog: ['The host can do the same: tsp2p host --relay. Check what a member sees with tsp2p doctor.', 'Example: tsp2p relay --cluster=alice/friends'],
  },
  async run({ options }) {
    const { openNode } = await import('../p2p/node.js');
    const { ROLE } = await import('../p2p/protocol.js');
    const node = await openNode({ cluster: str(options.cluster), bootstrap: str(options.bootstrap), roles: ROLE.relay, relay: true });
    const label = node.ref.label;
    say(`relaying for members of ${label} (relay key ${encodeKey(node.relay?.publicKey ?? Buffer.alloc(32))}); Ctrl-C stops it`);
    node.network.on('peer', (peer) => say(`connected: ${peer.hello.user}@${peer.hello.host}`));
    node.network.on('close', (peer) => say(`disconnected: ${peer.hello.user}@${peer.hello.host}`));
    const revoked = new Promise<string>((resolve) => node.network.once('revoked', () => resolve('revoked')));
    const why = await Promise.race([untilSignal(), revoked]);
    await node.close();
    say('relay stopped');
    return why === 'revoked' ? 1 : 0;
  },
};
