// `tsp2p worker --sandbox`, tried as a hostile member would: every promise SECURITY.md makes of the sandbox,
// over real processes in the test's private namespace. bob's worker is sandboxed and was started in the
// directory that holds his tsp2p home (his secret key), as a user starting it from ~ would; carol's is
// sandboxed with --allow-net.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { skipUnlessNetns, World } from './helpers/cluster.mjs';

/** Runs `body` (statements, ending in `return`) as an async task and returns the CLI's outcome. */
const task = (body) => `(async () => { ${body} })()`;

/** A task that tries `probes` (name → expression) and returns, for each, OK and a value or the error's code. */
function probeTask(probes) {
  const lines = Object.entries(probes).map(([name, expr]) => `try { out[${JSON.stringify(name)}] = 'OK ' + String(await (async () => (${expr}))()); } catch (e) { out[${JSON.stringify(name)}] = 'ERR ' + (e.code || e.cause?.code || e.message); }`);
  return task(`const out = {}; const fs = require('fs'); ${lines.join('\n')} return out;`);
}

describe('tsp2p worker --sandbox', { skip: skipUnlessNetns }, () => {
  let world;
  let server;
  let url;
  let workers;
  const exec = (user, worker, code, extra = []) => world.cli(user, ['exec', '--cluster=alice/friends', '--worker', worker, ...extra, code]);
  before(async () => {
    server = http.createServer((req, res) => res.end('reachable')).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${server.address().port}/`;
    world = await World.create(['alice', 'bob', 'carol', 'mallory']);
    await world.startHost(['bob', 'carol', 'mallory']);
    const secrets = { SECRET_TOKEN: 'sk-do-not-leak', KEEP_ME: 'kept' };
    const bob = world.spawn('bob', ['worker', '--cluster=alice/friends', '--slots', '1', '--sandbox', '--env', 'KEEP_ME'], 'bob worker', { cwd: world.home('bob'), env: secrets });
    const carol = world.spawn('carol', ['worker', '--cluster=alice/friends', '--slots', '1', '--sandbox', '--allow-net'], 'carol worker', { env: secrets });
    await Promise.all([bob.waitFor('worker joined'), carol.waitFor('worker joined')]);
    workers = { bob, carol };
  });
  after(async () => {
    await world?.stop();
    server?.close();
  });

  test("a task sees an empty directory of its own, a minimal environment and no other process, file or network", async () => {
    const home = world.home('bob');
    const r = await exec('carol', 'bob', probeTask({
      cwd: 'process.cwd()',
      emptyAtFirst: 'fs.readdirSync(".").length',
      writeOwn: 'fs.writeFileSync("notes.txt", "mine"), fs.readFileSync("notes.txt", "utf8")',
      identity: `fs.readFileSync(${JSON.stringify(`${home}/identity.json`)}, "utf8")`,
      workerDir: `fs.readdirSync(${JSON.stringify(home)})`,
      etc: 'fs.readFileSync("/etc/hostname", "utf8")',
      writeTmp: 'fs.writeFileSync("/tmp/tsp2p-sandbox-escape", "x")',
      childProcess: 'require("child_process").execSync("true")',
      workerThread: 'new (require("worker_threads").Worker)("1", { eval: true })',
      addon: `process.dlopen({ exports: {} }, ${JSON.stringify(new URL('../node_modules/sodium-native/prebuilds/linux-x64/sodium-native.node', import.meta.url).pathname)})`,
      binding: 'process.binding("fs")',
      inspector: 'require("inspector").open(0)',
      fetch: `fetch(${JSON.stringify(url)}).then((r) => r.text())`,
      net: `new Promise((ok, no) => require("net").connect(${server.address().port}, "127.0.0.1").on("connect", ok).on("error", no))`,
      udp: 'new Promise((ok, no) => require("dgram").createSocket("udp4").send("x", 9, "127.0.0.1", (e) => (e ? no(e) : ok("sent"))))',
      secretEnv: 'process.env.SECRET_TOKEN ?? "absent"',
      keptEnv: 'process.env.KEEP_ME',
      envNames: 'Object.keys(process.env).filter((n) => !/^(LANG|LANGUAGE|LC_.*|TZ)$/.test(n)).sort().join(",")',
      signalWorker: `process.kill(${workers.bob.pid}, 0)`,
      parent: 'process.ppid',
    }));
    assert.equal(r.code, 0, r.stderr);
    const out = eval(`(${r.stdout})`);
    assert.match(out.cwd, /^OK \/tmp\/tsp2p-sandbox-\d+-/);
    assert.equal(out.emptyAtFirst, 'OK 0');
    assert.equal(out.writeOwn, 'OK mine');
    for (const denied of ['identity', 'workerDir', 'etc', 'writeTmp', 'childProcess', 'workerThread', 'binding', 'inspector']) {
      assert.equal(out[denied], 'ERR ERR_ACCESS_DENIED', `${denied}: ${out[denied]}`);
    }
    assert.equal(out.addon, 'ERR ERR_DLOPEN_DISABLED');
    // No network: not even the loopback the worker itself uses.
    for (const net of ['fetch', 'net', 'udp']) assert.match(out[net], /^ERR E(NETUNREACH|ADDRNOTAVAIL)/, `${net}: ${out[net]}`);
    assert.equal(out.secretEnv, 'OK absent');
    assert.equal(out.keptEnv, 'OK kept');
    assert.equal(out.envNames, 'OK HOME,KEEP_ME,TMPDIR,TSP2P_SANDBOX,TSP2P_SLOT_MAX_VALUE,TSP2P_WORKER_USER');
    // Its own PID namespace: the worker's pid names no process there; its parent is outside (0).
    assert.equal(out.signalWorker, 'ERR ESRCH');
    assert.equal(out.parent, 'OK 0');
  });

  test('a forbidden action fails with an error that names the sandbox and the permission', async () => {
    const read = await exec('carol', 'bob', `require("fs").readFileSync(${JSON.stringify(`${world.home('bob')}/identity.json`)})`);
    assert.equal(read.code, 1);
    assert.match(read.stderr, /sandboxed \(tsp2p worker --sandbox\): reading files outside .* is not allowed \(.*identity\.json\) \[permission FileSystemRead\]/);
    assert.doesNotMatch(read.stderr, /"secretKey"/);
    const spawned = await exec('carol', 'bob', 'require("child_process").execSync("id")');
    assert.match(spawned.stderr, /starting processes is not allowed \[permission ChildProcess\]/);
    const fetched = await exec('carol', 'bob', `fetch(${JSON.stringify(url)})`);
    assert.match(fetched.stderr, /fetch failed: .*tasks have no network here \(ENETUNREACH\); the worker's owner can allow it with --allow-net/);
  });

  test('--allow-net lets sandboxed tasks use the network, and nothing more', async () => {
    const r = await exec('bob', 'carol', probeTask({ fetch: `fetch(${JSON.stringify(url)}).then((r) => r.text())`, childProcess: 'require("child_process").execSync("true")', parent: 'process.ppid' }));
    assert.equal(r.code, 0, r.stderr);
    const out = eval(`(${r.stdout})`);
    assert.equal(out.fetch, 'OK reachable');
    assert.equal(out.childProcess, 'ERR ERR_ACCESS_DENIED');
    assert.equal(out.parent, 'OK 0');
  });

  test('a task that tries to kill its worker kills at most its own process; the worker serves on', async () => {
    for (const attack of ['process.kill(process.ppid, "SIGKILL")', 'process.kill(0, "SIGKILL")', 'process.kill(-1, "SIGKILL")', 'process.kill(process.pid, "SIGKILL")']) {
      const r = await exec('mallory', 'bob', `${attack}; while (true) {}`, ['--timeout', '3s']);
      // Killing its own group ends the task's process (twice: it is re-run once); signalling itself (the
      // namespace's first process) does nothing, so it runs into its timeout; -1 finds no other process.
      assert.match(r.stderr, /its process died 2 times|longer than its timeout|kill ESRCH/, `${attack}: ${r.stderr}`);
      assert.equal(workers.bob.child.exitCode, null, `${attack} ended the worker`);
      assert.equal(workers.bob.child.signalCode, null, `${attack} ended the worker`);
    }
    const next = await exec('carol', 'bob', '6 * 7');
    assert.equal(next.stdout.trim(), '42', next.stderr);
  });

  test("a sandboxed member's task cannot forge another member's result or read their code", async () => {
    // mallory's task rewires its process: it forges results, and keeps every task it is handed.
    const arm = `
      const send = process.send.bind(process);
      process.spied = [];
      process.send = (m, ...rest) => send(m && m.type === 'result' && !/armed|mallory/.test(m.json) ? { ...m, json: JSON.stringify({ json: 'FORGED' }) } : m, ...rest);
      process.on('message', (m) => m && m.type === 'run' && process.spied.push(m.code));
      'armed'`;
    const armed = await exec('mallory', 'bob', arm);
    assert.equal(armed.stdout.trim(), 'armed', armed.stderr);
    const carol = await exec('carol', 'bob', 'const secret = "carol-api-key-123"; secret.length');
    assert.equal(carol.stdout.trim(), '17', carol.stderr);
    // mallory's next task runs in her own process, still armed: it spied on her tasks only.
    const spied = await exec('mallory', 'bob', '"mallory saw: " + process.spied.map((code) => code.slice(0, 40))');
    assert.doesNotMatch(spied.stdout, /carol-api-key/);
    assert.match(spied.stdout, /process\.spied\.map/);
  });
});

describe('a sandbox that would not hold is refused before the worker starts', { skip: skipUnlessNetns }, () => {
  let world;
  before(async () => {
    world = await World.create(['alice']);
  });
  after(() => world?.stop());

  test('--allow-read of a directory holding the tsp2p home is refused, naming the secret', async () => {
    const r = await world.cli('alice', ['worker', '--cluster=alice/personal', '--sandbox', `--allow-read=${world.dir}`], { timeoutMs: 20_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`tasks may not read ${world.dir}: it holds ${world.home('alice')} \\(your tsp2p home, with your secret key\\)`));
  });

  test('sandbox options without --sandbox are a usage error, not a silently unsandboxed worker', async () => {
    for (const option of ['--allow-net', '--env=HOME', '--allow-read=/srv']) {
      const r = await world.cli('alice', ['worker', '--cluster=alice/personal', option], { timeoutMs: 20_000 });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /sets what sandboxed tasks may do: add --sandbox/);
    }
  });

  test('a worker started in the package directory runs tasks (no overlapping-path abort in Node)', async () => {
    const root = new URL('..', import.meta.url).pathname;
    await world.startWorker('alice', { cluster: 'alice/personal', extra: ['--sandbox'], cwd: root });
    const ok = await world.cli('alice', ['exec', '--wait', '20s', '--timeout', '20s', '6 * 7'], { timeoutMs: 45_000 });
    assert.equal(ok.code, 0, `exit ${ok.code}:\n${ok.stderr}`);
    assert.equal(ok.stdout.trim(), '42');
    assert.doesNotMatch(ok.stderr, /Assertion failed/);
  });
});
