/**
 * Writes the `tsp2p` kernelspec (kernel.json + logos) where Jupyter looks for kernels, without the jupyter
 * CLI: the user data dir, the Python environment's prefix, or any prefix.
 * https://jupyter-client.readthedocs.io/en/latest/kernels.html#kernel-specs
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../version.js';

export const KERNEL_NAME = 'tsp2p';
/** kernel/ holds the kernelspec template (kernel.json with {node} and {tsp2p} placeholders) and the logos. */
const TEMPLATE_DIR = fileURLToPath(new URL('kernel/', packageRoot));

export type InstallTarget = { kind: 'user' } | { kind: 'sys-prefix' } | { kind: 'prefix'; dir: string };

/** Jupyter's user data dir, as jupyter_core.paths.jupyter_data_dir() computes it. */
export function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === 'darwin') return path.join(homedir(), 'Library', 'Jupyter');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(homedir(), 'AppData', 'Roaming'), 'jupyter');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(homedir(), '.local', 'share'), 'jupyter');
}

/** The prefix of the Python environment Jupyter runs in: conda, a virtualenv, or what python3 says. */
export function sysPrefix(): string {
  const fromEnv = process.env.CONDA_PREFIX ?? process.env.VIRTUAL_ENV;
  if (fromEnv) return fromEnv;
  for (const python of ['python3', 'python']) {
    try {
      return execFileSync(python, ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('--sys-prefix: no conda or virtualenv is active and no python3 was found; use --prefix DIR or --user');
}

export function kernelsDir(target: InstallTarget): string {
  switch (target.kind) {
    case 'user':
      return path.join(userDataDir(), 'kernels');
    case 'sys-prefix':
      return path.join(sysPrefix(), 'share', 'jupyter', 'kernels');
    case 'prefix':
      return path.join(path.resolve(target.dir), 'share', 'jupyter', 'kernels');
  }
}

export interface KernelJson {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'message' | 'signal';
  env?: Record<string, string>;
  metadata: Record<string, unknown>;
}

/** The template with absolute paths filled in: the kernel must start whatever PATH the Jupyter server has. */
export function kernelJson(env?: Record<string, string>): KernelJson {
  const template = JSON.parse(readFileSync(path.join(TEMPLATE_DIR, 'kernel.json'), 'utf8')) as KernelJson;
  const main = fileURLToPath(new URL('dist/cli/main.js', packageRoot));
  const argv = template.argv.map((a) => a.replace('{node}', process.execPath).replace('{tsp2p}', main));
  return { ...template, argv, ...(env ? { env } : {}) };
}

/** Writes DIR/tsp2p/{kernel.json, logos} and returns the kernelspec directory. */
export function installKernelspec(target: InstallTarget, options: { env?: Record<string, string> } = {}): string {
  const dir = path.join(kernelsDir(target), KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(kernelJson(options.env), null, 2) + '\n');
  for (const file of readdirSync(TEMPLATE_DIR)) if (file.startsWith('logo-')) copyFileSync(path.join(TEMPLATE_DIR, file), path.join(dir, file));
  return dir;
}
