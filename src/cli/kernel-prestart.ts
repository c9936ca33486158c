/**
 * What `tsp2p kernel` starts before anything else of the command loads (main.ts imports only this module,
 * and the rest by import() after it: Node loads every module of a static import graph before it runs any).
 * Both take a while and the user waits for both: the TypeScript service's process (~0.2 s; a notebook's
 * first cell waits for it) and the IO thread that binds the sockets and answers kernel_info (~0.05 s;
 * Jupyter's client retries its connection every 0.1 s). This module's own imports are few for that reason:
 * the process is spawned ~20 ms after Node has booted, instead of ~45 ms with the whole command loaded.
 */
import { describeEngine } from '../engine/describe.js';
import { startSnapshotProcess, type StartedProcess } from '../engine/ts-snapshot.js';
import { readConnectionFile } from '../jupyter/connection.js';
import { staticReplies } from '../jupyter/static-replies.js';
import { IoThreadTransport } from '../jupyter/transport.js';
import { parseCommand } from '../options.js';
import { kernelCommand } from './kernel-command.js';

/** The parts of a kernel that take long to start, started. */
export interface KernelParts {
  /** The TypeScript service's process (for TypeScriptRemote), or why it runs on a thread instead. */
  tsProcess: StartedProcess | { reason: string };
  /** Rejects as starting the transport would (a bad connection file): the command reports it. */
  transport: Promise<IoThreadTransport>;
}

export function startKernelParts(connectionFile: string): KernelParts {
  // The IO thread first: spawning the process takes the thread ~5 ms (fork), and a kernel_info answered
  // sooner is what jupyter_client waits for; the first cell waits for the TypeScript process anyway.
  let transport: Promise<IoThreadTransport>;
  try {
    transport = IoThreadTransport.start(readConnectionFile(connectionFile), staticReplies(describeEngine()));
  } catch (err) {
    transport = Promise.reject(err);
  }
  transport.catch(() => undefined); // awaited (and reported) by the command
  return { tsProcess: startSnapshotProcess(), transport };
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
