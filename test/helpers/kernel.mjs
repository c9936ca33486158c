// Test helpers for kernels: installs the tsp2p kernelspec into a throwaway prefix (so tests launch the kernel
// exactly as Jupyter would, from its kernelspec) and starts kernels that are stopped when the test ends.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { installKernelspec } from '../../dist/jupyter/kernelspec.js';
import { launchKernel } from '../../dist/jupyter/launcher.js';

let prefix = null;

/** Installs the kernelspec once per test process and points JUPYTER_PATH at it; returns the data dir. */
export function installTestKernelspec() {
  if (!prefix) {
    prefix = mkdtempSync(path.join(tmpdir(), 'tsp2p-test-prefix-'));
    installKernelspec({ kind: 'prefix', dir: prefix });
    process.env.JUPYTER_PATH = path.join(prefix, 'share', 'jupyter');
  }
  return process.env.JUPYTER_PATH;
}

/** Starts the tsp2p kernel from its installed kernelspec; stopped after the test when given one (t). */
export async function startKernel(t, options = {}) {
  installTestKernelspec();
  const kernel = await launchKernel({ kernel: 'tsp2p', stderr: 'pipe', ...options });
  let stderr = '';
  kernel.process.stderr?.on('data', (d) => (stderr += d));
  kernel.stderr = () => stderr;
  t?.after(() => kernel.stop());
  return kernel;
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor(check, { timeoutMs = 10_000, intervalMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The outputs of an execute as [type, content] pairs, for compact assertions. */
export function outputsOf(result) {
  return result.outputs.map((m) => [m.header.msg_type, m.content]);
}

export function streamText(result, name = 'stdout') {
  return result.outputs.filter((m) => m.header.msg_type === 'stream' && m.content.name === name).map((m) => m.content.text).join('');
}

/** Each thread of a process: its name, state and where in the kernel it waits (for a hang to say where). */
export function threadStates(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map((tid) => {
        const at = `/proc/${pid}/task/${tid}`;
        const read = (f) => readFileSync(`${at}/${f}`, 'utf8').trim();
        return `${read('comm')}: ${/^State:\s*(.*)$/m.exec(read('status'))?.[1]}, in ${read('wchan') || '-'}`;
      })
      .join('; ');
  } catch (err) {
    return `threads unknown (${err.message})`;
  }
}
