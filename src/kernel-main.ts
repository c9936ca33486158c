/**
 * Starts the kernel in this process: the IO thread first (so the client's kernel_info is answered as soon as
 * possible), then the engine and the p2p layer. Handles SIGINT (interrupt), SIGTERM and background errors.
 */
import { readConnectionFile } from './jupyter/connection.js';
import { Kernel } from './jupyter/kernel.js';
import { IoThreadTransport } from './jupyter/transport.js';
import { TypeScriptEngine } from './engine/engine.js';
import { P2PExecutor } from './magics/p2p-executor.js';
import { createLogger } from './log.js';

const log = createLogger('kernel');

export async function startKernel(connectionFile: string): Promise<Kernel> {
  const connection = readConnectionFile(connectionFile);
  const transport = await IoThreadTransport.start(connection);
  const engine = new TypeScriptEngine();
  engine.install();
  const executor = new P2PExecutor(engine);
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    await executor.shutdown(false).catch((err: unknown) => log.error(`shutdown: ${String(err)}`));
    await transport.close();
    process.exit(code);
  };
  const kernel = new Kernel(transport, executor, { onShutdown: () => void exit(0) });
  process.on('SIGINT', () => {
    kernel.interruptInput();
    executor.interrupt();
  });
  process.on('SIGTERM', () => void exit(0));
  process.on('uncaughtException', (err) => engine.reportBackground(err));
  process.on('unhandledRejection', (reason) => engine.reportBackground(reason));
  log.debug(`kernel ready, session ${transport.session}`);
  return kernel;
}
