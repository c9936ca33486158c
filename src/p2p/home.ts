/**
 * Where a user's tsp2p state lives: $TSP2P_HOME, default ~/.tsp2p (mode 0700). Files holding secrets (the
 * key pair, cluster rosters with their topic secret, hosted clusters) are written atomically with mode 0600.
 */
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export function homeDir(): string {
  return path.resolve(process.env.TSP2P_HOME ?? path.join(homedir(), '.tsp2p'));
}

export function homePath(...parts: string[]): string {
  return path.join(homeDir(), ...parts);
}

function ensureDir(dir: string): void {
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
