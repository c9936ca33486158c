/** `tsp2p doctor`: how this machine sees the network and the cluster, on one screen (src/p2p/doctor.ts). */
import { requiredNumber } from '../options.js';
import type { Command } from './command.js';
import { closeSoon, joinUntil, waitOption } from './cluster-commands.js';
import { bootstrapOption, clusterOption, say } from './common.js';
import { waitLine } from './progress.js';

export const doctorCommand: Command = {
  spec: {
    name: 'tsp2p doctor',
    summary: "Check this machine's connection to a cluster: DHT, NAT kind, host, members found, each worker direct or relayed with a round trip, and why others are not reached.",
    options: [clusterOption, { ...waitOption, description: 'how long to wait for the host and the workers', default: '10s' }, bootstrapOption],
    epilog: ['Example: tsp2p doctor --cluster=alice/friends'],
  },
  async run({ options }) {
    const { doctor } = await import('../p2p/doctor.js');
    const waitMs = requiredNumber(options, 'wait');
    const deadline = Date.now() + waitMs;
    const started = performance.now();
    const cluster = await joinUntil(options, deadline);
    say(`DHT and roster: joined in ${Math.round(performance.now() - started)} ms`);
    // Workers are found one by one: give them the rest of the wait, but no longer than a few quiet seconds.
    await cluster.waitForWorkers(1, Math.max(0, deadline - Date.now())).catch(() => {});
    await cluster.settle(1_000, Math.min(3_000, Math.max(0, deadline - Date.now())));
    const line = waitLine();
    try {
      const rows = await doctor(cluster, (what) => line.update(`${what}…`, 0));
      line.done();
      const width = Math.max(...rows.map(([what]) => what.length));
      for (const [what, finding] of rows) say(`${what.padEnd(width)}  ${finding}`);
      return cluster.workers().length > 0 ? 0 : 1;
    } finally {
      line.done();
      await closeSoon(cluster);
    }
  },
};
