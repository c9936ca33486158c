// A throwaway tsp2p world for tests: a local DHT (`tsp2p dht`), users with their own TSP2P_HOME who know each
// other's keys, and `tsp2p` processes whose output can be awaited (with deadlines, never fixed sleeps).
// Only inside a private network namespace (npm test makes one): swarm peers cannot connect outside one here.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const skipUnlessNetns = process.env.TSP2P_NETNS === '1' ? false : 'needs a private network namespace: run it through `npm test`';

async function freeUdpPort() {
  const socket = dgram.createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

/** A running process with its output so far, and a way to wait for a line of it. */
export class Proc {
  constructor(child, label) {
    this.child = child;
    this.label = label;
    /** When it was spawned (wall clock): debug lines say seconds since their process started. */
    this.spawnedAt = Date.now();
    this.stdout = '';
    this.stderr = '';
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    child.stdout.on('data', (d) => (this.stdout += d));
    child.stderr.on('data', (d) => (this.stderr += d));
  }

  get pid() {
    return this.child.pid;
  }

  get output() {
    return this.stdout + this.stderr;
  }

  async waitFor(pattern, { timeoutMs = 20_000, stream = 'output' } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this[stream];
      const match = typeof pattern === 'string' ? (text.includes(pattern) ? pattern : null) : text.match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`${this.label} exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}:\n${this.output}`);
      }
      if (Date.now() > deadline) throw new Error(`${this.label}: no ${pattern} within ${timeoutMs} ms; output so far:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  kill(signal = 'SIGTERM') {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export class World {
  /** `bootstrap`: use those DHT nodes (a simulated internet's) instead of starting one. */
  static async create(users = ['alice', 'bob', 'carol', 'diana'], { bootstrap } = {}) {
    const world = new World(mkdtempSync(path.join(tmpdir(), 'tsp2p-world-')));
    if (bootstrap) world.bootstrap = bootstrap;
    else {
      const port = await freeUdpPort();
      world.bootstrap = `127.0.0.1:${port}`;
      world.dht = world.spawn(null, ['dht', '--port', String(port)], 'dht');
      await world.dht.waitFor('DHT bootstrap node on');
    }
    for (const user of users) await world.addUser(user);
    for (const a of users) for (const b of users) if (a !== b) await world.cli(a, ['friends', 'add', b, world.keys[b]]);
    return world;
  }

  constructor(dir) {
    this.dir = dir;
    this.procs = [];
    this.keys = {};
  }

  home(user) {
    return path.join(this.dir, user);
  }

  env(user) {
    return { ...process.env, TSP2P_BOOTSTRAP: this.bootstrap, ...(user ? { TSP2P_HOME: this.home(user) } : {}) };
  }

  async addUser(user) {
    mkdirSync(this.home(user), { recursive: true });
    const { stdout } = await this.cli(user, ['id', '--name', user, '--json']);
    this.keys[user] = JSON.parse(stdout).key;
  }

  /** Starts `tsp2p ARGS` as `user` (in the background); `netns`: in that network namespace (simnet.mjs). */
  spawn(user, args, label = `${user} ${args[0]}`, { cwd = this.dir, env = {}, netns } = {}) {
    const argv = [process.execPath, CLI, ...args];
    const [command, ...rest] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
    const child = spawn(command, rest, { env: { ...this.env(user), ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = new Proc(child, label);
    this.procs.push(proc);
    return proc;
  }

  /** Starts a script of test/helpers (a member driving the cluster as a library) as `user`; `netns` as in spawn. */
  script(user, name, args, env = {}, { netns } = {}) {
    const file = fileURLToPath(new URL(`./${name}`, import.meta.url));
    const argv = [process.execPath, file, ...args];
    const [command, ...rest] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
    const proc = new Proc(spawn(command, rest, { env: { ...this.env(user), ...env }, cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] }), name);
    this.procs.push(proc);
    return proc;
  }

  /** A map client (helpers/map-client.mjs) of alice/friends run by `user` with `plan`. */
  mapClient(user, plan, env = {}) {
    return this.script(user, 'map-client.mjs', ['alice/friends', JSON.stringify(plan)], env);
  }

  /** alice hosting alice/friends for bob, carol and diana, and 1-slot workers of bob and carol. */
  static async friendsWithTwoWorkers() {
    const world = await World.create();
    await world.startHost(['bob', 'carol', 'diana']);
    const workers = { bob: await world.startWorker('bob'), carol: await world.startWorker('carol') };
    return { world, workers };
  }

  /** Runs `tsp2p ARGS` as `user` to the end. */
  async cli(user, args, { timeoutMs = 60_000, env = {}, netns } = {}) {
    const proc = this.spawn(user, args, undefined, { env, netns });
    const timer = setTimeout(() => {
      // Before ending it, note what state it was in (running, sleeping, stopped…): a hang should say why.
      proc.stderr += `\n[test harness: killed after ${timeoutMs} ms; ${processState(proc.pid)}]\n`;
      proc.kill('SIGKILL');
    }, timeoutMs);
    const code = await proc.exited;
    clearTimeout(timer);
    return { code, stdout: proc.stdout, stderr: proc.stderr };
  }

  async startHost(users, cluster = 'alice/friends', { extra = [], netns } = {}) {
    const host = this.spawn('alice', ['host', `--users=${users.join(',')}`, `--cluster=${cluster}`, ...extra], 'alice host', { netns });
    await host.waitFor('is up');
    return host;
  }

  async startWorker(user, { slots = 1, cluster = 'alice/friends', extra = [], cwd, netns } = {}) {
    const worker = this.spawn(user, ['worker', `--cluster=${cluster}`, '--slots', String(slots), ...extra], `${user} worker`, { ...(cwd ? { cwd } : {}), netns });
    await worker.waitFor('worker joined');
    return worker;
  }

  async stop() {
    await Promise.all(this.procs.map((p) => p.kill('SIGKILL')));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A process's state and where it waits in the kernel, from /proc (for hangs). */
export function processState(pid) {
  try {
    const state = /^State:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
    return `state ${state}, waiting in ${wchan || '-'}`;
  } catch (err) {
    return `state unknown (${err.message})`;
  }
}

/** The parent pid of a process, from /proc. */
export function parentPid(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
