/**
 * The TypeScript service's startup snapshot: a Node heap with tslab's converter already built and warm
 * (ts-snapshot-entry.cts), so a kernel's first cell is type-checked within ~0.3 s of spawn instead of ~1.5 s.
 * Built by `npm run build` (and `npm install`, which runs it) into dist/ts-snapshot/; a snapshot only fits
 * the Node that built it and the files it read, so a stamp beside it lists those, and a kernel uses it only
 * when all still match (else the worker thread, ts-thread.ts, as fast as before the snapshot).
 *
 *   node dist/kernel-snapshot.js          builds it (a failure is reported, never fatal: kernels fall back)
 *   TSP2P_TS_SNAPSHOT=0 | PATH            a kernel uses no snapshot | that blob, unchecked
 */
import { spawnSync } from 'node:child_process';
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
 * The environment the snapshot is built and started in: without NODE_OPTIONS, since a blob only starts
 * under the V8 flags it was built with (a user's `--max-old-space-size` would make every start fail).
 */
export function snapshotEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  return env;
}

/** What a snapshot depends on: the Node that built it, and each file read (size and time of change). */
interface Stamp {
  node: string;
  arch: string;
  files: Record<string, [size: number, mtimeMs: number]>;
}

function stampOf(files: string[]): Stamp {
  const entries = files.map((file): [string, [number, number]] => {
    const stat = statSync(file);
    return [file, [stat.size, stat.mtimeMs]];
  });
  return { node: process.version, arch: process.arch, files: Object.fromEntries(entries) };
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
  for (const [file, [size, mtimeMs]] of Object.entries(stamp.files)) {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat || stat.size !== size || stat.mtimeMs !== mtimeMs) return { reason: `${file} changed since the snapshot was built` };
  }
  const roots = typeRootsAbove(cwd);
  if (roots) return { reason: `the cells' directory has type roots of its own (${roots}): its converter is built afresh` };
  return { blob: SNAPSHOT_BLOB };
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
    const built = spawnSync(process.execPath, ['--snapshot-blob', `${partial}.blob`, '--build-snapshot', ENTRY, JSON.stringify(plan)], {
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

