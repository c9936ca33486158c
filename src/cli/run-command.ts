/** `tsp2p run NOTEBOOK`: executes a notebook headless through the tsp2p kernel. */
import path from 'node:path';
import { Tsp2pError } from '../errors.js';
import type { Command } from './command.js';
import { ProgressBar } from './progress.js';

export const runCommand: Command = {
  spec: {
    name: 'tsp2p run',
    summary: 'Execute a notebook headless through the kernel and save it with every output.',
    positionals: [{ name: 'NOTEBOOK', description: 'the .ipynb to run' }],
    options: [
      { name: 'output', short: 'o', type: 'string', placeholder: 'OUT.ipynb', description: 'where to write the executed notebook (default: NOTEBOOK, in place)' },
      { name: 'timeout', type: 'duration', placeholder: 'S', description: 'per-cell time limit, e.g. 120 or 2m (default 10m)' },
      { name: 'kernel', type: 'string', placeholder: 'NAME', description: "kernelspec to use (default: the notebook's, else tsp2p)" },
      { name: 'allow-errors', type: 'boolean', description: 'keep going after a failing cell (the exit code is still 1)' },
    ],
    epilog: ['Exits 0 when every cell succeeded, 1 when one failed (its error is printed).'],
  },
  async run({ options, positionals }) {
    const { kernelJson, KERNEL_NAME } = await import('../jupyter/kernelspec.js');
    const { runNotebook, writeNotebook } = await import('../notebook/runner.js');
    const { sourceOf } = await import('../notebook/nbformat.js');
    const file = positionals[0] as string;
    const out = typeof options.output === 'string' ? options.output : file;
    const kernel = typeof options.kernel === 'string' ? options.kernel : undefined;
    // The tsp2p kernel runs from this very install, whether or not it was registered with Jupyter.
    const spec = kernel === undefined || kernel === KERNEL_NAME ? { argv: kernelJson().argv } : kernel;
    let bar: ProgressBar | null = null;
    const result = await runNotebook(file, {
      kernel: spec,
      ...(typeof options.timeout === 'number' ? { timeoutMs: options.timeout } : {}),
      allowErrors: options['allow-errors'] === true,
      events: {
        cellStarted: (i, total, cell) => {
          bar ??= new ProgressBar(total, path.basename(file));
          if (i === 0) bar.tick(`cell 1: ${sourceOf(cell).split('\n')[0]?.slice(0, 40)}`, 0);
        },
        cellFinished: (i, total, _cell, ms) => bar?.tick(`cell ${i + 1} took ${Math.round(ms)} ms`),
      },
    });
    (bar as ProgressBar | null)?.end();
    (await import('node:fs')).mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeNotebook(out, result.notebook);
    process.stdout.write(`wrote ${out} (${(result.ms / 1000).toFixed(1)} s)\n`);
    if (result.failedCell !== null) {
      throw new Tsp2pError('CELL_FAILED', `cell ${result.failedCell + 1} failed: ${result.error?.ename}: ${result.error?.evalue}`);
    }
    return 0;
  },
};
