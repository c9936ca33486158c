/**
 * Private network namespaces: a fresh one whose only interface is loopback, so every peer, DHT node and
 * kernel started inside can reach only the others inside: nothing leaves the machine. Root uses
 * `unshare -n`; other users `unshare -rn` (an unprivileged user namespace). Tests, benchmarks and the demo
 * re-run themselves in one; TSP2P_NETNS=1 marks that they are inside.
 */
import { spawn, spawnSync } from 'node:child_process';

export function inNamespace(): boolean {
  return process.env.TSP2P_NETNS === '1';
}

function unshareFlags(): string[] {
  return process.getuid && process.getuid() === 0 ? ['-n'] : ['-rn'];
}

/** Whether this machine lets us make a namespace (unshare exists and is permitted). */
export function canMakeNamespace(): boolean {
  return spawnSync('unshare', [...unshareFlags(), 'true'], { stdio: 'ignore' }).status === 0;
}

function namespaceArgs(argv: readonly string[]): string[] {
  const script = 'ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null || true; exec "$@"';
  return [...unshareFlags(), 'sh', '-c', script, 'tsp2p-netns', ...argv];
}

/** Runs `argv` in a private namespace to its end; returns its exit code, or null when none can be made. */
export function runInNamespace(argv: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): number | null {
  if (!canMakeNamespace()) return null;
  const result = spawnSync('unshare', namespaceArgs(argv), { stdio: 'inherit', env: { ...process.env, TSP2P_NETNS: '1', ...options.env } });
  return result.status ?? 1;
}

/**
 * As runInNamespace, but without blocking this process: Ctrl-C reaches both (same process group), and
 * this one waits for the inner one to clean up instead of dying first. Resolves to the exit code.
 */
export function runInNamespaceAsync(argv: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<number> | null {
  if (!canMakeNamespace()) return null;
  const child = spawn('unshare', namespaceArgs(argv), { stdio: 'inherit', env: { ...process.env, TSP2P_NETNS: '1', ...options.env } });
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1))));
}
