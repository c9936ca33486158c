/**
 * What `tsp2p kernel` starts before anything else of the command loads: main.ts imports this module first
 * (ES modules evaluate in import order). Both take a while and the user waits for both: the TypeScript
 * service's process (~0.25 s; a notebook's first cell waits for it) and the IO thread that binds the
 * sockets and answers kernel_info (~0.05 s; Jupyter's client retries its connection every 0.1 s). The rest
 * of the kernel loads meanwhile.
 */
import { describeEngine } from '../engine/describe.js';
import { TypeScriptRemote } from '../engine/typescript-remote.js';
import { readConnectionFile } from '../jupyter/connection.js';
import { staticReplies } from '../jupyter/static-replies.js';
import { IoThreadTransport } from '../jupyter/transport.js';
import { parseCommand } from '../options.js';
import { kernelCommand } from './kernel-command.js';

/** The parts of a kernel that take long to start, started. */
export interface KernelParts {
  ts: TypeScriptRemote;
  /** Rejects as starting the transport would (a bad connection file): the command reports it. */
  transport: Promise<IoThreadTransport>;
}

export function startKernelParts(connectionFile: string): KernelParts {
  const transport = Promise.resolve().then(() => IoThreadTransport.start(readConnectionFile(connectionFile), staticReplies(describeEngine())));
  transport.catch(() => undefined); // awaited (and reported) by the command
  return { ts: new TypeScriptRemote(), transport };
}

function prestart(argv: string[]): (KernelParts & { connectionFile: string }) | null {
  if (argv[0] !== 'kernel') return null;
  let file: unknown;
  try {
    const parsed = parseCommand(kernelCommand.spec, argv.slice(1));
    if (parsed.help) return null;
    file = parsed.options['connection-file'];
  } catch {
    return null; // the command itself reports bad options
  }
  if (typeof file !== 'string') return null;
  return { connectionFile: file, ...startKernelParts(file) };
}

export const prestarted = prestart(process.argv.slice(2));
