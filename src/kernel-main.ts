/**
 * Starts the kernel in this process from its parts already starting (kernel-prestart.ts: the IO thread,
 * which answers kernel_info itself, and the TypeScript service): the engine and the p2p layer. Handles
 * SIGINT (interrupt), SIGTERM and background errors.
 */
import { Kernel } from './jupyter/kernel.js';
import { TypeScriptEngine } from './engine/engine.js';
import { TypeScriptRemote } from './engine/typescript-remote.js';
import type { KernelParts } from './cli/kernel-prestart.js';
import { P2PExecutor } from './magics/p2p-executor.js';
import { createLogger } from './log.js';

const log = createLogger('kernel');

export async function startKernel(parts: KernelParts): Promise<Kernel> {
  // The IO thread answers kernel_info (and comm_info) from the start; the TypeScript service gets ready
  // while the rest starts.
  const transport = await parts.transport;
  const engine = new TypeScriptEngine({ ts: new TypeScriptRemote({ started: parts.tsProcess }) });
  engine.install();
  const executor = new P2PExecutor(engine);
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    // Leaving a cluster whose peers are gone can take long: the kernel ends regardless after a few seconds.
    setTimeout(() => process.exit(code), 5_000).unref();
    log.debug('exiting: leaving the cluster, ending the TypeScript service');
    const shutdown = executor.shutdown(false).catch((err: unknown) => log.error(`shutdown: ${String(err)}`));
    await Promise.race([shutdown, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    log.debug('exiting: closing the sockets');
    await transport.close();
    log.debug('exiting now');
    process.exit(code);
  };
  const kernel = new Kernel(transport, executor, { onShutdown: () => void exit(0) });
  process.on('SIGINT', () => {
    kernel.interruptInput();
    executor.interrupt();
  });
  process.on('SIGTERM', () => void exit(0));
  // As ipykernel's parent poller: when whoever started the kernel is gone (we were re-parented), nobody can
  // reach this kernel any more, so it ends instead of lingering.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && !exiting) {
      log.warn('the process that started this kernel is gone: shutting down');
      void exit(0);
    }
  }, 1_000).unref();
  process.on('uncaughtException', (err) => engine.reportBackground(err));
  process.on('unhandledRejection', (reason) => engine.reportBackground(reason));
  log.debug(`kernel ready, session ${transport.session}`);
  return kernel;
}
