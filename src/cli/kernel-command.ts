/** `tsp2p kernel -f FILE`: what the kernelspec runs. Wires transport, kernel and engine together. */
import type { Command } from './command.js';

export const kernelCommand: Command = {
  spec: {
    name: 'tsp2p kernel',
    summary: 'Run the Jupyter kernel (Jupyter starts this through the kernelspec; see `tsp2p install`).',
    options: [{ name: 'connection-file', short: 'f', type: 'string', placeholder: 'FILE', description: 'the connection file written by the Jupyter client' }],
  },
  async run({ options }) {
    const file = options['connection-file'];
    if (typeof file !== 'string') throw (await import('../errors.js')).Tsp2pError.USAGE('tsp2p kernel needs -f CONNECTION_FILE');
    // Its slow parts were started as the command began (kernel-prestart.ts), unless run some other way.
    const { prestarted, startKernelParts } = await import('./kernel-prestart.js');
    const parts = prestarted?.connectionFile === file ? prestarted : startKernelParts(file);
    const { startKernel } = await import('../kernel-main.js');
    await startKernel(parts);
    // The kernel runs until shutdown_request or a signal ends the process.
    return new Promise<number>(() => {});
  },
};
