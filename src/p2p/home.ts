/**
 * Where a user's tsp2p state lives: $TSP2P_HOME, default ~/.tsp2p (mode 0700). Files holding secrets (the
 * key pair, cluster rosters with their topic secret, hosted clusters) are written atomically with mode 0600.
 */
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { Tsp2pError } from '../errors.js';
import { createLogger } from '../log.js';

const log = createLogger('home');

export function homeDir(): string {
  return path.resolve(process.env.TSP2P_HOME ?? path.join(homedir(), '.tsp2p'));
}

export function homePath(...parts: string[]): string {
  return path.join(homeDir(), ...parts);
}

let homeChecked = false;

/**
 * The home holds your secret key and rosters with topic secrets: others may not even list it. One made
 * by tsp2p is 0700; one that already existed with looser modes (made by hand, or by an older tsp2p) is
 * made 0700, and one that is not yours to change is refused with what to do.
 */
export function secureHome(): void {
  if (homeChecked) return;
  const home = homeDir();
  if (!existsSync(home)) mkdirSync(home, { recursive: true, mode: 0o700 });
  const mode = statSync(home).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    try {
      chmodSync(home, 0o700);
    } catch (err) {
      throw Tsp2pError.INSECURE_HOME(home, mode, err instanceof Error ? err.message : String(err));
    }
    log.info(`made ${home} private (mode 700; it was ${mode.toString(8)})`);
  }
  homeChecked = true;
}

function ensureDir(dir: string): void {
  secureHome();
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Writes via a temporary file and rename, so a crash never leaves half a key file; mode 0600. */
export function writePrivateFile(file: string, data: string | Buffer): void {
  ensureDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * Creates `file` only if it does not exist yet, atomically (link of a complete temporary file): when two
 * processes race to create it, exactly one wins and both then read the winner's. Returns whether we won.
 */
export function createPrivateFileOnce(file: string, data: string): boolean {
  ensureDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

export function writePrivateJson(file: string, value: unknown): void {
  writePrivateFile(file, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T>(file: string): T | null {
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
