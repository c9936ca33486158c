// Runs a command inside a fresh, private network namespace whose only interface is loopback, so every
// peer, DHT node and kernel started by it can reach only the others inside it: nothing leaves the machine.
// Root uses `unshare -n`; other users `unshare -rn` (an unprivileged user namespace). Exits with the
// command's code. When no namespace can be made, says so and exits 3 (callers decide what to do).
import { spawnSync } from 'node:child_process';

export function inNamespace() {
  return process.env.TSP2P_NETNS === '1';
}

/** Re-runs `argv` in a private namespace; returns the exit code, or null when no namespace can be made. */
export function runInNamespace(argv, options = {}) {
  const flags = process.getuid && process.getuid() === 0 ? ['-n'] : ['-rn'];
  const probe = spawnSync('unshare', [...flags, 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) return null;
  const script = 'ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null || true; exec "$@"';
  const result = spawnSync('unshare', [...flags, 'sh', '-c', script, 'tsp2p-netns', ...argv], {
    stdio: 'inherit',
    env: { ...process.env, TSP2P_NETNS: '1', ...(options.env ?? {}) },
  });
  return result.status ?? 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const code = runInNamespace(process.argv.slice(2));
  if (code === null) {
    process.stderr.write('netns: cannot create a private network namespace (needs root or unprivileged user namespaces)\n');
    process.exit(3);
  }
  process.exit(code);
}
