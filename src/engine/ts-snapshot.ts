/**
 * The TypeScript service's startup snapshot: a Node heap with tslab's converter already built and warm
 * (ts-snapshot-entry.ts), so a kernel's first cell is type-checked within ~0.25 s of spawn instead of ~1.5 s.
 * Built by `npm run build` (and `npm install`, which runs it) into dist/ts-snapshot/; a snapshot only fits
 * the Node that built it, its V8 flags and the files it read, so a stamp beside it lists those, and a
 * kernel uses it only when all still match (else the worker thread, ts-thread.ts, as fast as before the
 * snapshot).
 *
 *   node dist/kernel-snapshot.js          builds it (a failure is reported, never fatal: kernels fall back)
 *   TSP2P_TS_SNAPSHOT=0 | PATH            a kernel uses no snapshot | that blob, unchecked
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { messageOf } from '../errors.js';
import { tslabPaths } from './tslab-modules.js';

const DIST = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const DIR = `${DIST}/ts-snapshot`;
export const SNAPSHOT_BLOB = `${DIR}/typescript.blob`;
const STAMP = `${DIR}/stamp.json`;
const ENTRY = fileURLToPath(new URL('./ts-snapshot-entry.js', import.meta.url));

/**
 * How a snapshot process starts: `node ...snapshotArgs(blob)` in snapshotEnv(). The V8 flags must be the
 * same when the blob is built and when it starts (else V8 refuses it), so the stamp records them.
 * --no-rehash-snapshot: V8 would otherwise give every hash table in the heap (the TypeScript program's
 * symbol tables: ~30k maps) a fresh hash seed at each start, ~20 ms; the service keeps the seed of its
 * build (random per build) and hashes only the user's own cells.
 */
const V8_FLAGS = ['--no-rehash-snapshot'];

function snapshotArgs(blob: string): string[] {
  return [...V8_FLAGS, '--snapshot-blob', blob];
}

/**
 * The environment the snapshot is built and started in: without NODE_OPTIONS, since a blob only starts
 * under the V8 flags it was built with (a user's `--max-old-space-size` would make every start fail), and
 * without NODE_EXTRA_CA_CERTS: Node reads and parses that file as it starts (~35 ms for a system bundle),
 * and the service opens no connection.
 */
function snapshotEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _options, NODE_EXTRA_CA_CERTS: _certificates, ...env } = process.env;
  return env;
}

/** What a snapshot depends on: the Node that built it, and each file read (size and time of change). */
interface Stamp {
  node: string;
  arch: string;
  flags: string[];
  files: Record<string, [size: number, mtimeMs: number]>;
}

function stampOf(files: string[]): Stamp {
  const entries = files.map((file): [string, [number, number]] => {
    const stat = statSync(file);
    return [file, [stat.size, stat.mtimeMs]];
  });
  return { node: process.version, arch: process.arch, flags: V8_FLAGS, files: Object.fromEntries(entries) };
}

/**
 * The type roots TypeScript would find for cells in `cwd` (node_modules/@types in it or above it, as
 * ts.getDefaultTypeRoots looks): the snapshot's converter knows none, so such a directory needs its own.
 */
function typeRootsAbove(cwd: string): string | null {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const roots = path.join(dir, 'node_modules', '@types');
    if (statSync(roots, { throwIfNoEntry: false })?.isDirectory()) return roots;
    if (dir === path.dirname(dir)) return null;
  }
}

/**
 * The snapshot to start the TypeScript service for cells in `cwd` from, or why there is none (for the
 * debug log). Where it would only be deserialized to build the directory's own converter anyway (type
 * roots there), the thread does that sooner.
 */
export function usableSnapshot(cwd = process.cwd()): { blob: string } | { reason: string } {
  const setting = process.env.TSP2P_TS_SNAPSHOT;
  if (setting === '0') return { reason: 'TSP2P_TS_SNAPSHOT=0' };
  // A blob named outright (a test's, or one kept elsewhere) is used as it is.
  if (setting) return { blob: setting };
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8')) as Stamp;
  } catch {
    return { reason: `no snapshot at ${DIR} (\`npm run build\` makes one)` };
  }
  if (stamp.node !== process.version || stamp.arch !== process.arch) return { reason: `the snapshot was built by Node ${stamp.node} (${stamp.arch})` };
  if (String(stamp.flags) !== String(V8_FLAGS)) return { reason: 'the snapshot was built by an earlier tsp2p (other V8 flags)' };
  for (const [file, [size, mtimeMs]] of Object.entries(stamp.files)) {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat || stat.size !== size || stat.mtimeMs !== mtimeMs) return { reason: `${file} changed since the snapshot was built` };
  }
  const roots = typeRootsAbove(cwd);
  if (roots) return { reason: `the cells' directory has type roots of its own (${roots}): its converter is built afresh` };
  return { blob: SNAPSHOT_BLOB };
}

/** A snapshot process, started before its handle (TypeScriptRemote) exists (see startSnapshotProcess). */
export interface StartedProcess {
  child: ChildProcess;
  /** performance.now() when it was spawned. */
  at: number;
  /**
   * Calls `listener` once with how the process ended (or failed to start): soon after, if it already had.
   * Its own events would be gone by then, coming before the handle listened.
   */
  onEnded(listener: (reason: string) => void): void;
}

/**
 * Starts the TypeScript service's process for cells in `cwd` from the snapshot, or says why not (then the
 * service runs on a thread). Its requests go on descriptor 3 (ts-process.ts). Kept apart from the handle
 * that talks to it (typescript-remote.ts) so a kernel starts it before loading much else (kernel-prestart.ts).
 */
export function startSnapshotProcess(cwd = process.cwd()): StartedProcess | { reason: string } {
  const snapshot = usableSnapshot(cwd);
  if ('reason' in snapshot) return snapshot;
  // stdout is not the kernel's (tslab may print); stderr is, for a crash's last words; descriptor 3 the channel.
  const child = spawn(process.execPath, snapshotArgs(snapshot.blob), { cwd, env: snapshotEnv(), stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  let ended: string | null = null;
  const listeners: Array<(reason: string) => void> = [];
  const end = (reason: string) => {
    if (ended !== null) return;
    ended = reason;
    for (const listener of listeners.splice(0)) listener(reason);
  };
  child.once('error', (err) => end(`could not start: ${err.message}`));
  child.once('exit', (code, signal) => end(`stopped (${signal ?? `exit code ${code}`})`));
  return {
    child,
    at: performance.now(),
    onEnded: (listener) => {
      const reason = ended;
      if (reason === null) listeners.push(listener);
      else queueMicrotask(() => listener(reason));
    },
  };
}

/**
 * Builds the snapshot (~3 s). `globals`: modules of this package's dist importing nothing, whose exported
 * strings the kernel will declare as globals (declared in the snapshot already). Returns what to tell the user.
 */
export function buildSnapshot(globals: string[] = []): { ok: boolean; message: string } {
  const started = performance.now();
  mkdirSync(DIR, { recursive: true });
  const partial = `${DIR}/building-${process.pid}`;
  const inputs = `${partial}.inputs`;
  const plan = { ...tslabPaths(), dist: DIST, inputs, globals };
  try {
    const built = spawnSync(process.execPath, [...snapshotArgs(`${partial}.blob`), '--build-snapshot', ENTRY, JSON.stringify(plan)], {
      env: snapshotEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (built.status !== 0) {
      const why = (built.stderr || built.stdout || `exit code ${built.status}`).trim().split('\n').slice(-3).join(' / ');
      return { ok: false, message: `could not build the TypeScript snapshot (kernels start slower without it): ${why}` };
    }
    const files = readFileSync(inputs, 'utf8').split('\n').filter(Boolean);
    renameSync(`${partial}.blob`, SNAPSHOT_BLOB);
    writeFileSync(STAMP, JSON.stringify(stampOf(files)));
    const mb = statSync(SNAPSHOT_BLOB).size / 2 ** 20;
    return { ok: true, message: `TypeScript snapshot built in ${((performance.now() - started) / 1000).toFixed(1)} s (${mb.toFixed(0)} MB, ${files.length} files)` };
  } catch (err) {
    return { ok: false, message: `could not build the TypeScript snapshot (kernels start slower without it): ${messageOf(err)}` };
  } finally {
    rmSync(`${partial}.blob`, { force: true });
    rmSync(inputs, { force: true });
  }
}

