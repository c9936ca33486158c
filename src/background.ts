/**
 * `tsp2p` commands run as child processes by other parts of tsp2p (the notebook's `%p2p host` / `%p2p
 * worker`, `tsp2p demo`): started, awaited until they say they are up, and stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Tsp2pError } from './errors.js';
import { packageRoot } from './version.js';

export const CLI = fileURLToPath(new URL('dist/cli/main.js', packageRoot));
/** Tells a worker who started it (`notebook:ID`): it says so to members, whose join lines show it. */
export const ORIGIN_ENV = 'TSP2P_ORIGIN';

/**
 * What a background `tsp2p host` or `tsp2p worker` tells the process that started it, over IPC (never read
 * from its terminal text): it is up, and what it said for a person to read; or it waits for its host.
 */
export type BackgroundEvent = { kind: 'up'; cluster: string; said: string[] } | { kind: 'waiting'; for: string };

/** Tells the process that started this one (startTsp2p) how it is doing; nothing when run from a shell. */
export function tellParent(event: BackgroundEvent): void {
  process.send?.(event);
}

export interface Started {
  process: ChildProcess;
  /** What it printed so far (the last 20,000 characters). */
  output(): string;
  /** The event that made it count as started. */
  event: BackgroundEvent;
}

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  /** Resolves once the process tells an event (tellParent) for which this is true. */
  ready: (event: BackgroundEvent) => boolean;
  /** Names it in errors. */
  label: string;
  /** Its own process group, so that a Ctrl-C meant for the parent does not reach it. */
  detached?: boolean;
  timeoutMs?: number;
}

/** Starts `tsp2p ARGS`; rejects with its output if it ends, or is not up within the time limit. */
export async function startTsp2p(args: string[], options: StartOptions): Promise<Started> {
  const child = spawn(process.execPath, [CLI, ...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: options.detached === true });
  // The channel must not keep this process alive, nor tie the child's life to it beyond start-up.
  child.channel?.unref();
  let output = '';
  const collect = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const event = await new Promise<BackgroundEvent>((resolve, reject) => {
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(Tsp2pError.BACKGROUND_FAILED(options.label, `stopped (exit ${code})`, output));
    };
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(Tsp2pError.BACKGROUND_FAILED(options.label, `did not start within ${timeoutMs / 1000} s`, output));
    }, timeoutMs);
    const onMessage = (message: BackgroundEvent) => {
      if (!options.ready(message)) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  return { process: child, output: () => output, event };
}

/** Asks `child` to stop (SIGTERM) and waits for it; after `graceMs` it is killed. */
export async function stopProcess(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
