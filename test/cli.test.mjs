// The tsp2p command line: help everywhere, clear errors for bad input, identities, friends, install, and
// the invite flow between two users on a local DHT.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CLI, skipUnlessNetns, World } from './helpers/cluster.mjs';

function tsp2p(args, env = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const COMMANDS = ['install', 'kernel', 'run', 'id', 'friends', 'host', 'join', 'worker', 'status', 'exec', 'dht'];

describe('tsp2p command line', () => {
  test('tsp2p --help lists every command; each has --help of its own', () => {
    const overview = tsp2p(['--help']);
    assert.equal(overview.code, 0);
    for (const name of COMMANDS) {
      assert.match(overview.stdout, new RegExp(`\\n  ${name} `), name);
      const help = tsp2p([name, '--help']);
      assert.equal(help.code, 0, `${name} --help`);
      assert.match(help.stdout, new RegExp(`^usage: tsp2p ${name}`), name);
      assert.match(help.stdout, /-h, --help/);
    }
  });

  test('bad input is a clear error with usage and exit code 2', () => {
    const unknown = tsp2p(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const badOption = tsp2p(['worker', '--slotz', '3']);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /Unknown option '--slotz'[\s\S]*usage: tsp2p worker/);
    const badNumber = tsp2p(['worker', '--slots', 'lots']);
    assert.match(badNumber.stderr, /--slots wants a number, not "lots"/);
    const noCode = tsp2p(['exec']);
    assert.match(noCode.stderr, /missing CODE/);
  });

  test('id prints name and z32 key; friends add, list and rm', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'tsp2p-cli-'));
    const env = { TSP2P_HOME: home };
    const id = JSON.parse(tsp2p(['id', '--name', 'zoe', '--json'], env).stdout);
    assert.equal(id.name, 'zoe');
    assert.match(id.key, /^[a-z0-9]{52}$/);
    assert.equal(tsp2p(['id'], env).stdout.trim(), `zoe ${id.key}`);
    assert.match(tsp2p(['friends', 'add', 'me2', id.key], env).stdout, /added me2/);
    assert.deepEqual(JSON.parse(tsp2p(['friends', 'list', '--json'], env).stdout), [{ name: 'me2', key: id.key }]);
    const bad = tsp2p(['friends', 'add', 'x', 'not-a-key'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /"not-a-key" is not a public key/);
    assert.match(tsp2p(['friends', 'rm', 'me2'], env).stdout, /removed me2/);
  });

  test('processes started together on a fresh home all get the same identity', async () => {
    const { spawn } = await import('node:child_process');
    const home = mkdtempSync(path.join(tmpdir(), 'tsp2p-race-'));
    const keys = await Promise.all(
      Array.from({ length: 8 }, () => new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, 'id', '--json'], { env: { ...process.env, TSP2P_HOME: home } });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('exit', () => resolve(JSON.parse(out).key));
      })),
    );
    assert.equal(new Set(keys).size, 1, `got ${new Set(keys).size} different keys`);
  });

  test('a cluster of an unknown owner, or hosting another user\'s cluster, says what to do', () => {
    const env = { TSP2P_HOME: mkdtempSync(path.join(tmpdir(), 'tsp2p-cli-')), TSP2P_BOOTSTRAP: '127.0.0.1:9' };
    tsp2p(['id', '--name', 'zoe'], env);
    const unknown = tsp2p(['exec', '--cluster=nobody/friends', '1'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown user "nobody": add their key with `tsp2p friends add nobody KEY`/);
    const notMine = tsp2p(['host', '--cluster=bob/friends', '--users=x'], env);
    assert.equal(notMine.code, 2);
    assert.match(notMine.stderr, /you can only host your own clusters: zoe\/friends/);
    const badBootstrap = tsp2p(['status', '--bootstrap', 'nowhere'], env);
    assert.match(badBootstrap.stderr, /"nowhere" is not a bootstrap address: use host:port/);
  });

  test('install writes the kernelspec with absolute paths and logos', () => {
    const prefix = mkdtempSync(path.join(tmpdir(), 'tsp2p-prefix-'));
    const r = tsp2p(['install', '--prefix', prefix]);
    assert.equal(r.code, 0, r.stderr);
    const dir = path.join(prefix, 'share', 'jupyter', 'kernels', 'tsp2p');
    const spec = JSON.parse(readFileSync(path.join(dir, 'kernel.json'), 'utf8'));
    assert.equal(spec.display_name, 'TypeScript (P2P)');
    assert.equal(spec.language, 'typescript');
    assert.ok(path.isAbsolute(spec.argv[0]) && path.isAbsolute(spec.argv[1]));
    assert.deepEqual(spec.argv.slice(2), ['kernel', '-f', '{connection_file}']);
    for (const logo of ['logo-32x32.png', 'logo-64x64.png', 'logo-svg.svg']) assert.ok(existsSync(path.join(dir, logo)), logo);
    const user = tsp2p(['install', '--user'], { JUPYTER_DATA_DIR: path.join(prefix, 'user-data') });
    assert.equal(user.code, 0);
    assert.ok(existsSync(path.join(prefix, 'user-data', 'kernels', 'tsp2p', 'kernel.json')));
    assert.equal(tsp2p(['install', '--user', '--prefix', prefix]).code, 2);
  });
});

describe('invites', { skip: skipUnlessNetns }, () => {
  test('a stranger joins with the one-time code: keys are exchanged both ways and the code is spent', async () => {
    const world = await World.create(['alice', 'frank', 'gina']);
    try {
      // alice and frank have never exchanged keys (World.create made everyone friends: undo that).
      await world.cli('alice', ['friends', 'rm', 'frank']);
      await world.cli('frank', ['friends', 'rm', 'alice']);
      const host = await world.startHost(['frank']);
      const [, code] = await host.waitFor(/--invite (\w+)/);
      const joined = await world.cli('frank', ['join', 'alice/friends', '--invite', code]);
      assert.equal(joined.code, 0, joined.stderr);
      assert.match(joined.stdout, /joined alice\/friends: members alice, frank/);
      await host.waitFor('frank joined alice/friends with an invite');
      const aliceFriends = JSON.parse((await world.cli('alice', ['friends', 'list', '--json'])).stdout);
      assert.equal(aliceFriends.find((f) => f.name === 'frank').key, world.keys.frank);
      const frankFriends = JSON.parse((await world.cli('frank', ['friends', 'list', '--json'])).stdout);
      assert.equal(frankFriends.find((f) => f.name === 'alice').key, world.keys.alice);
      // frank is a member now: his tasks run in the cluster.
      const worker = await world.startWorker('frank');
      const r = await world.cli('frank', ['exec', '--cluster=alice/friends', 'p2p.worker']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^frank@/);
      // The same code again is refused.
      const again = await world.cli('gina', ['join', 'alice/friends', '--invite', code]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /invite/);
      await worker.kill();
    } finally {
      await world.stop();
    }
  });
});
