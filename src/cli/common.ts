/** Options and helpers shared by the cluster commands. */
import type { OptionSpec } from '../options.js';

export const clusterOption: OptionSpec = { name: 'cluster', type: 'string', placeholder: 'OWNER/NAME', description: 'the cluster (default: your personal cluster)' };
export const bootstrapOption: OptionSpec = {
  name: 'bootstrap',
  type: 'string',
  placeholder: 'HOST:PORT,...',
  env: 'TSP2P_BOOTSTRAP',
  description: 'DHT bootstrap nodes (default: the public DHT)',
};

/** Resolves on the first SIGINT or SIGTERM: long-running commands then stop cleanly. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
