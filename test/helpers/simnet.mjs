// A simulated internet for NAT tests, built inside a private network and mount namespace (root, Debian's
// iptables and iproute2):
//   - the WAN is the namespace this process runs in: DHT nodes on 10.99.0.1-15 (distinct addresses, so
//     peers can tell what kind of NAT they are behind) run in this process;
//   - home i (1, 2): a router namespace r<i> (WAN side 10.99.<i>.2, LAN 192.168.<i>.1) that masquerades
//     and drops unsolicited inbound packets, as home routers do, and a host namespace h<i> behind it; a
//     home's NAT keeps source ports (most home routers) or randomizes them (`--random-fully`: carrier-grade
//     and phone NATs, the hard case for holepunching);
//   - p3: a machine with a public address (10.99.3.2), no NAT: where a relay can live.
// Forwarded packets lose 10 of their TTL, as on a long path (hyperdht's low-TTL punches rely on it).
//
// A test starts a script with runInSimnet(); inside it, buildInternet() makes the above and `World`
// (cluster.mjs) spawns tsp2p processes into h1, h2 or p3 with `{ netns }`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DHT_NODES = 15;
const DHT_PORT = 49737;
export const WAN_BOOTSTRAP = `10.99.0.1:${DHT_PORT}`;

/** Why NAT tests cannot run here, or null when they can. */
export function simnetUnavailable() {
  if (process.getuid?.() !== 0) return 'the simulated internet needs root (network namespaces with iptables)';
  for (const tool of ['iptables', 'ip', 'unshare']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `the simulated internet needs ${tool} (Debian: iptables, iproute2, util-linux)`;
  }
  return null;
}

/** Runs `script` (with `args`) inside a fresh network and mount namespace; resolves to its exit code and output. */
export function runInSimnet(script, args = [], { timeoutMs = 600_000 } = {}) {
  const result = spawnSync('unshare', ['-n', '-m', '--propagation', 'private', process.execPath, fileURLToPath(script), ...args], {
    env: { ...process.env, TSP2P_SIMNET: '1' },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const sh = (command, ...args) => execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
const inNs = (ns, command, ...args) => sh('ip', 'netns', 'exec', ns, command, ...args);

/** Makes the WAN, the two homes and p3, and the WAN's DHT. `randomNat`: the homes whose NAT randomizes ports. */
export async function buildInternet({ randomNat = [] } = {}) {
  if (process.env.TSP2P_SIMNET !== '1') throw new Error('buildInternet() runs only inside runInSimnet()');
  // Namespaces are named through /run/netns: a private tmpfs keeps them off the machine's own.
  sh('mount', '-t', 'tmpfs', 'none', '/run');
  mkdirSync('/run/netns', { recursive: true });
  sh('ip', 'link', 'set', 'lo', 'up');
  sh('sysctl', '-qw', 'net.ipv4.ip_forward=1');
  for (let a = 1; a <= DHT_NODES; a++) sh('ip', 'addr', 'add', `10.99.0.${a}/32`, 'dev', 'lo');
  sh('iptables', '-t', 'mangle', '-A', 'FORWARD', '-j', 'TTL', '--ttl-dec', '10');
  for (const i of [1, 2, 3]) {
    const wan = i === 3 ? 'p3' : `r${i}`;
    sh('ip', 'netns', 'add', wan);
    sh('ip', 'link', 'add', `w${i}`, 'type', 'veth', 'peer', 'name', `u${i}`);
    sh('ip', 'link', 'set', `u${i}`, 'netns', wan);
    sh('ip', 'addr', 'add', `10.99.${i}.1/24`, 'dev', `w${i}`);
    sh('ip', 'link', 'set', `w${i}`, 'up');
    sh('ip', '-n', wan, 'addr', 'add', `10.99.${i}.2/24`, 'dev', `u${i}`);
    sh('ip', '-n', wan, 'link', 'set', `u${i}`, 'up');
    sh('ip', '-n', wan, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', wan, 'route', 'add', 'default', 'via', `10.99.${i}.1`);
    if (i === 3) continue;
    const home = `h${i}`;
    sh('ip', 'netns', 'add', home);
    sh('ip', 'link', 'add', `l${i}`, 'netns', wan, 'type', 'veth', 'peer', 'name', `lan${i}`, 'netns', home);
    sh('ip', '-n', wan, 'addr', 'add', `192.168.${i}.1/24`, 'dev', `l${i}`);
    sh('ip', '-n', wan, 'link', 'set', `l${i}`, 'up');
    sh('ip', '-n', home, 'addr', 'add', `192.168.${i}.2/24`, 'dev', `lan${i}`);
    sh('ip', '-n', home, 'link', 'set', `lan${i}`, 'up');
    sh('ip', '-n', home, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', home, 'route', 'add', 'default', 'via', `192.168.${i}.1`);
    inNs(wan, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    inNs(wan, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', `u${i}`, '-j', 'MASQUERADE', ...(randomNat.includes(i) ? ['--random-fully'] : []));
    // Without this drop, conntrack would remap a port on collision and the punch would abort.
    inNs(wan, 'iptables', '-t', 'mangle', '-A', 'PREROUTING', '-i', `u${i}`, '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP');
  }
  const { default: DHT } = await import('hyperdht');
  const bootstrap = [{ host: '10.99.0.1', port: DHT_PORT }];
  const first = DHT.bootstrapper(DHT_PORT, '10.99.0.1', { host: '10.99.0.1' });
  await first.ready();
  const nodes = [first];
  for (let a = 2; a <= DHT_NODES; a++) {
    const node = new DHT({ ephemeral: false, firewalled: false, bootstrap, host: `10.99.0.${a}`, port: DHT_PORT });
    await node.ready();
    nodes.push(node);
  }
  return {
    bootstrap: WAN_BOOTSTRAP,
    /**
     * Drops `percent` of the packets a home's router forwards, both ways. (Delay would need tc netem, which
     * not every kernel has: this VM's has not.)
     */
    impair(home, percent) {
      inNs(`r${home}`, 'iptables', '-A', 'FORWARD', '-m', 'statistic', '--mode', 'random', '--probability', String(percent / 100), '-j', 'DROP');
    },
    async close() {
      await Promise.all(nodes.map((n) => n.destroy().catch(() => {})));
    },
  };
}
