// `npm test`: builds, then runs every test/*.test.mjs with Node's test runner inside a private loopback-only
// network namespace (the p2p tests need one; see src/netns.ts). Without a namespace the tests still run
// and those that open a swarm skip, saying why. Extra arguments pass to `node --test`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);

if (process.env.TSP2P_NETNS !== '1' && process.env.TSP2P_NO_NETNS !== '1') {
  const build = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', root], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  // The TypeScript service's startup snapshot fits only the files just built (kernels fall back without it).
  spawnSync(process.execPath, [`${root}dist/kernel-snapshot.js`], { stdio: 'inherit' });
  const { runInNamespace } = await import('../dist/netns.js');
  const code = runInNamespace([process.execPath, ...process.argv.slice(1)]);
  if (code !== null) process.exit(code);
  process.stderr.write('test: no private network namespace available: p2p tests will be skipped\n');
}

const files = args.filter((a) => !a.startsWith('-')).length
  ? []
  : readdirSync(`${root}test`).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => `${root}test/${f}`);
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...args, ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
