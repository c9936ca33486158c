/** `tsp2p run NOTEBOOK`: executes a notebook headless through the tsp2p kernel. */
import path from 'node:path';
import { Tsp2pError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { pairsOf, requiredNumber, textOption } from '../options.js';
import type { Command } from './command.js';
import { say, str } from './common.js';
import { parameterValue } from '../notebook/parameters.js';
import { ProgressBar } from './progress.js';

/** The parameters file's values, then each `-p NAME VALUE` over them. */
function readParameters(file: string | undefined, pairs: [string, string][]): Record<string, unknown> {
  // No prototype: a name like __proto__ is a name like any other here.
  const values: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw Tsp2pError.BAD_PARAMETERS_FILE(file, err instanceof Error ? err.message : String(err));
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw Tsp2pError.BAD_PARAMETERS_FILE(file, 'it is not a JSON object');
    for (const [name, value] of Object.entries(parsed)) values[name] = value;
  }
  for (const [name, text] of pairs) values[name] = parameterValue(text);
  return values;
}

export const runCommand: Command = {
  spec: {
    name: 'tsp2p run',
    summary: 'Execute a notebook headless through the kernel and save it with every output.',
    positionals: [{ name: 'NOTEBOOK', description: 'the .ipynb to run' }],
    options: [
      { name: 'output', short: 'o', type: 'string', placeholder: 'OUT.ipynb', description: 'where to write the executed notebook (default: NOTEBOOK, in place)' },
      { name: 'timeout', type: 'duration', placeholder: 'S', description: 'per-cell time limit, e.g. 120 or 2m', default: '10m' },
      { name: 'kernel', type: 'string', placeholder: 'NAME', description: "kernelspec to use (default: the notebook's, else tsp2p)" },
      { name: 'allow-errors', type: 'boolean', description: 'keep going after a failing cell (the exit code is still 1)' },
      { name: 'parameter', short: 'p', type: 'pairs', placeholder: 'NAME VALUE', description: 'set a parameter: VALUE is JSON when it parses (4, true, [1,2]), else text' },
      { name: 'parameters-file', short: 'f', type: 'string', placeholder: 'FILE.json', description: 'parameters from a JSON object ({"nrow": 4}); -p wins over it' },
    ],
    epilog: [
      'Parameters go in a new cell (tagged injected-parameters) after the cell tagged "parameters", declared',
      'again as that cell declares them, so their types are checked. Example:',
      '  tsp2p run notebooks/mandelbrot.ipynb -o big.ipynb -p region 2 -p nrow 4 -p resolution 200',
      '',
      'Exits 0 when every cell succeeded, 1 when one failed (its error is printed).',
    ],
  },
  async run({ options, positionals }) {
    const { kernelJson, KERNEL_NAME } = await import('../jupyter/kernelspec.js');
    const { runNotebook, writeNotebook } = await import('../notebook/runner.js');
    const { sourceOf } = await import('../notebook/nbformat.js');
    const file = positionals[0] as string;
    const out = textOption(options, 'output') ?? file;
    const kernel = textOption(options, 'kernel');
    // The tsp2p kernel runs from this very install, whether or not it was registered with Jupyter.
    const spec = kernel === undefined || kernel === KERNEL_NAME ? { argv: kernelJson().argv } : kernel;
    const parameters = readParameters(str(options['parameters-file']), pairsOf(options.parameter));
    const names = Object.keys(parameters);
    if (names.length) say(`parameters: ${names.map((n) => `${n} = ${JSON.stringify(parameters[n])}`).join(', ')}`);
    let bar: ProgressBar | null = null;
    const result = await runNotebook(file, {
      parameters,
      kernel: spec,
      timeoutMs: requiredNumber(options, 'timeout'),
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
      throw Tsp2pError.CELL_FAILED(result.failedCell, result.error?.ename ?? 'Error', result.error?.evalue ?? '');
    }
    return 0;
  },
};
