/**
 * The sandbox of a `tsp2p worker --sandbox`: how its slot processes are started, and the checks made
 * before any is. Three layers, each closing what the others cannot:
 *  - Node's permission model: a slot reads only tsp2p's own files (the package and the packages it loads),
 *    any directories the worker's owner lists (--allow-read) and its own fresh temp directory, which is
 *    its cwd and the only place it writes. No child processes, worker threads, native addons, inspector,
 *    WASI or process.binding. Node's built-in modules need no file access.
 *  - Linux namespaces (util-linux `unshare`): a PID namespace, so the slot sees no process but itself and
 *    cannot signal its worker or anything else of the user's; a session of its own, so `kill(0)` reaches
 *    only its own group; and, unless --allow-net, a network namespace with no interface up: no network at
 *    all (Node 20's permission model has no network control). `--kill-child` ties the slot's life to the
 *    `unshare` process the worker holds, so ending that (the worker, its reaper) ends the slot.
 *  - A minimal environment: the locale and time zone, plus the variables the owner names (--env).
 *    The worker's own (API tokens, NODE_OPTIONS) stay out.
 * A machine that refuses namespaces gets a clear error at start, not a sandbox that is less than it says.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tsp2pError } from '../errors.js';
import { packageRoot } from '../version.js';

export interface SandboxPolicy {
  /** Let tasks use the network (`--allow-net`); without it they have none. */
  allowNet: boolean;
  /** Names of the worker's environment variables tasks get (`--env`). */
  env: readonly string[];
  /** Directories tasks may read besides tsp2p's own files (`--allow-read`). */
  read: readonly string[];
}

/** The worker environment a sandboxed slot keeps without being told: locale and time zone, nothing secret. */
const KEPT_ENV = /^(LANG|LANGUAGE|LC_[A-Z]+|TZ)$/;
/** Names of the temp directories: the worker's pid, so a later worker can clear those of one that died. */
const TEMP_PREFIX = 'tsp2p-sandbox-';

/** The packages a slot process loads: their node_modules may sit outside the package (an app's hoisted ones). */
const SLOT_PACKAGES = ['superjson', 'pngjs'];

function containing(dir: string, inner: string): boolean {
  const relative = path.relative(dir, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The paths a sandboxed slot may read, each once and none inside another: Node 20's permission model
 * aborts the process (`Assertion failed: !path_prefix.empty()`) for some overlapping lists, e.g. a worker
 * started in the package's own directory.
 */
export function readablePaths(paths: readonly string[]): string[] {
  const normal = [...new Set(paths.map((p) => path.resolve(p)))].sort((a, b) => a.length - b.length);
  return normal.filter((p, i) => !normal.slice(0, i).some((outer) => containing(outer, p)));
}

/** tsp2p's own files: the package, and the node_modules that hold what a slot process loads. */
function ownFiles(): string[] {
  const paths = [fileURLToPath(packageRoot)];
  for (const name of SLOT_PACKAGES) {
    const file = fileURLToPath(import.meta.resolve(name));
    const at = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
    if (at >= 0) paths.push(file.slice(0, at + '/node_modules'.length));
  }
  return paths;
}

function unshareArgs(allowNet: boolean): string[] {
  const user = process.getuid?.() === 0 ? [] : ['--map-current-user'];
  return [...user, '--pid', '--fork', '--kill-child', ...(allowNet ? [] : ['--net'])];
}

/**
 * Refuses, before any slot starts, a sandbox that would not hold: a machine without namespaces, a readable
 * directory that holds a secret (`secrets`: the tsp2p home, with the user's secret key), one that does not
 * exist. Clears the temp directories of sandboxed workers that died.
 */
export function checkSandbox(policy: SandboxPolicy, secrets: readonly string[]): void {
  if (process.platform !== 'linux') throw Tsp2pError.SANDBOX_UNAVAILABLE(`it needs Linux namespaces, and this is ${process.platform}`);
  const probe = spawnSync('unshare', [...unshareArgs(policy.allowNet), 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? (probe.error.message.includes('ENOENT') ? 'util-linux `unshare` is not installed' : probe.error.message) : (probe.stderr.trim() || `unshare exited with ${probe.status}`);
    throw Tsp2pError.SANDBOX_UNAVAILABLE(`this machine refuses the namespaces it needs (${why})`);
  }
  const readable = readablePaths([...ownFiles(), ...policy.read]);
  for (const dir of policy.read) {
    if (!path.isAbsolute(dir) && dir.startsWith('~')) throw Tsp2pError.USAGE(`--allow-read ${dir}: write the full path (the shell did not expand ~)`);
  }
  for (const secret of secrets) {
    const exposed = readable.find((dir) => containing(dir, secret));
    if (exposed) throw Tsp2pError.USAGE(`tasks may not read ${exposed}: it holds ${secret} (your tsp2p home, with your secret key); allow a directory beside it instead`);
  }
  clearStaleTemps();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function clearStaleTemps(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^tsp2p-sandbox-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !alive(pid)) rmSync(path.join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** How to start one sandboxed slot process running `script`, and what to clear when it ends. */
export interface SandboxLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Removes the process's temp directory (call once it has exited). */
  dispose(): void;
}

export function sandboxLaunch(policy: SandboxPolicy, script: string, slotEnv: Record<string, string>): SandboxLaunch {
  const dir = mkdtempSync(path.join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  const node = [
    '--experimental-permission',
    ...readablePaths([...ownFiles(), ...policy.read, dir]).map((p) => `--allow-fs-read=${p}`),
    `--allow-fs-write=${dir}`,
    '--no-warnings',
  ];
  const env: NodeJS.ProcessEnv = { HOME: dir, TMPDIR: dir, ...slotEnv, TSP2P_SANDBOX: policy.allowNet ? 'net' : 'offline' };
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && (KEPT_ENV.test(name) || policy.env.includes(name))) env[name] = value;
  }
  return {
    command: 'unshare',
    args: [...unshareArgs(policy.allowNet), process.execPath, ...node, script],
    cwd: dir,
    env,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
