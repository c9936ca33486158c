/** `tsp2p dht`: a DHT bootstrap node (a small local DHT) for private networks, tests and demos. */
import { requiredNumber, requiredText } from '../options.js';
import type { Command } from './command.js';
import { say, untilSignal } from './common.js';

export const dhtCommand: Command = {
  spec: {
    name: 'tsp2p dht',
    summary: 'Run a DHT bootstrap node; point peers at it with --bootstrap HOST:PORT (or TSP2P_BOOTSTRAP).',
    options: [
      { name: 'port', type: 'number', placeholder: 'P', description: 'UDP port of the bootstrap node', default: '49737' },
      { name: 'host', type: 'string', placeholder: 'ADDR', description: 'address to listen on', default: '127.0.0.1' },
      { name: 'nodes', type: 'number', placeholder: 'N', description: 'DHT nodes to run in this process', default: '3' },
    ],
  },
  async run({ options }) {
    const { default: createTestnet } = await import('hyperdht/testnet.js');
    const host = requiredText(options, 'host');
    const port = requiredNumber(options, 'port');
    const testnet = await createTestnet(requiredNumber(options, 'nodes'), { host, port });
    const address = testnet.bootstrap.map((b) => `${b.host}:${b.port}`).join(',');
    say(`DHT bootstrap node on ${address}: use --bootstrap ${address} (or TSP2P_BOOTSTRAP=${address})`);
    await untilSignal();
    await testnet.destroy();
    say('DHT stopped');
    return 0;
  },
};
