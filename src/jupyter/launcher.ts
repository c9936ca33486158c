/**
 * Starts a kernel the way a Jupyter client does: find its kernelspec, write a connection file with free
 * ports and a fresh key, run the spec's argv, connect a KernelClient and wait until it is ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Tsp2pError } from '../errors.js';
import { KernelClient } from './client.js';
import type { ConnectionInfo } from './connection.js';
import { userDataDir, type KernelJson } from './kernelspec.js';

/** Where Jupyter looks for kernelspecs, in its order: JUPYTER_PATH, the user dir, then system dirs. */
export function kernelspecSearchPath(): string[] {
  const fromEnv = (process.env.JUPYTER_PATH ?? '').split(path.delimiter).filter(Boolean);
  return [...fromEnv, userDataDir(), '/usr/local/share/jupyter', '/usr/share/jupyter'].map((d) => path.join(d, 'kernels'));
}

export function findKernelspec(name: string): { dir: string; spec: KernelJson } {
  for (const dir of kernelspecSearchPath()) {
    const file = path.join(dir, name, 'kernel.json');
    if (existsSync(file)) return { dir: path.dirname(file), spec: JSON.parse(readFileSync(file, 'utf8')) as KernelJson };
  }
  throw Tsp2pError.NO_KERNELSPEC(name, kernelspecSearchPath());
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface LaunchOptions {
  /** A kernelspec name (searched like Jupyter does) or an explicit argv with `{connection_file}`. */
  kernel?: string | { argv: string[]; env?: Record<string, string> };
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the kernel's stderr goes (default: ours). */
  stderr?: 'inherit' | 'pipe' | 'ignore';
  readyTimeoutMs?: number;
}

export interface LaunchedKernel {
  client: KernelClient;
  process: ChildProcess;
  connection: ConnectionInfo;
  /** Milliseconds from spawn to the first kernel_info_reply. */
  startupMs: number;
  /** Asks for a clean shutdown, then kills what is left; removes the connection file. */
  stop(): Promise<void>;
}

export async function launchKernel(options: LaunchOptions = {}): Promise<LaunchedKernel> {
  const kernel = options.kernel ?? 'tsp2p';
  const spec = typeof kernel === 'string' ? findKernelspec(kernel).spec : kernel;
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const connection: ConnectionInfo = {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: ports[0] as number,
    control_port: ports[1] as number,
    stdin_port: ports[2] as number,
    iopub_port: ports[3] as number,
    hb_port: ports[4] as number,
    signature_scheme: 'hmac-sha256',
    key: randomBytes(32).toString('hex'),
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'tsp2p-kernel-'));
  const file = path.join(dir, 'connection.json');
  writeFileSync(file, JSON.stringify(connection), { mode: 0o600 });
  const [command, ...args] = spec.argv.map((a) => a.replace('{connection_file}', file));
  const started = performance.now();
  const child = spawn(command as string, args, {
    cwd: options.cwd,
    env: { ...process.env, ...(spec.env ?? {}), ...(options.env ?? {}) },
    stdio: ['ignore', 'ignore', options.stderr ?? 'inherit'],
  });
  // A kernel never outlives whoever launched it (the kernel also notices a dead parent; this is quicker).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.off('exit', killOnExit));
  const client = new KernelClient(connection);
  let startupMs = 0;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      await client.shutdown().catch(() => {});
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    client.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const died = exited.then(() => {
      throw Tsp2pError.KERNEL_DIED(String(child.exitCode ?? child.signalCode));
    });
    await Promise.race([
      client.kernelInfo(options.readyTimeoutMs ?? 30_000, true).then(() => {
        startupMs = performance.now() - started;
      }),
      died,
    ]);
    await Promise.race([client.waitForReady(options.readyTimeoutMs ?? 30_000), died]);
  } catch (err) {
    child.kill('SIGKILL');
    client.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { client, process: child, connection, startupMs, stop };
}
