/**
 * Runs a notebook headless through a kernel over the real protocol (the project's Jupyter client), cell by
 * cell, keeping every output (images too), and reports progress. A failing cell stops the run, as
 * nbconvert --execute does, unless allowErrors.
 */
import path from 'node:path';
import { launchKernel, type LaunchOptions } from '../jupyter/launcher.js';
import type { Message } from '../jupyter/messages.js';
import { OutputCollector, readNotebook, sourceOf, writeNotebook, type Cell, type Notebook } from './nbformat.js';
import { injectParameters } from './parameters.js';

export interface RunEvents {
  cellStarted?(index: number, total: number, cell: Cell): void;
  cellFinished?(index: number, total: number, cell: Cell, ms: number): void;
  output?(index: number, msg: Message): void;
}

export interface RunOptions {
  kernel?: LaunchOptions['kernel'];
  env?: NodeJS.ProcessEnv;
  /** Per cell. */
  timeoutMs?: number;
  allowErrors?: boolean;
  events?: RunEvents;
  /** Values for the notebook's parameters, injected after its `parameters` cell (parameters.ts). */
  parameters?: Record<string, unknown>;
}

export interface RunResult {
  notebook: Notebook;
  /** Index of the first code cell that failed, or null. */
  failedCell: number | null;
  error?: { ename: string; evalue: string };
  ms: number;
}

export async function runNotebook(file: string, options: RunOptions = {}): Promise<RunResult> {
  const read = readNotebook(file);
  const notebook = options.parameters && Object.keys(options.parameters).length ? injectParameters(read, options.parameters, file) : read;
  const started = performance.now();
  const kernel = await launchKernel({
    kernel: options.kernel ?? (notebook.metadata.kernelspec as { name?: string } | undefined)?.name ?? 'tsp2p',
    cwd: path.dirname(path.resolve(file)),
    ...(options.env ? { env: options.env } : {}),
    stderr: 'inherit',
  });
  const displays = new Map();
  const codeCells = notebook.cells.filter((c) => c.cell_type === 'code');
  let failedCell: number | null = null;
  let error: RunResult['error'];
  try {
    for (const [index, cell] of codeCells.entries()) {
      const cellStarted = performance.now();
      // A cell tagged raises-exception is meant to fail (nbclient's convention): the run goes on.
      const expected = Array.isArray(cell.metadata.tags) && cell.metadata.tags.includes('raises-exception');
      options.events?.cellStarted?.(index, codeCells.length, cell);
      const collector = new OutputCollector(displays);
      cell.outputs = collector.outputs;
      const { reply } = await kernel.client.execute(sourceOf(cell), {
        timeoutMs: options.timeoutMs ?? 10 * 60_000,
        stopOnError: !expected,
        onOutput: (msg) => {
          collector.add(msg);
          options.events?.output?.(index, msg);
        },
      });
      const content = reply.content as { status: string; execution_count?: number; ename?: string; evalue?: string };
      cell.execution_count = content.execution_count ?? null;
      options.events?.cellFinished?.(index, codeCells.length, cell, performance.now() - cellStarted);
      if (content.status !== 'ok' && !expected && failedCell === null) {
        failedCell = index;
        error = { ename: content.ename ?? 'Error', evalue: content.evalue ?? content.status };
        if (!options.allowErrors) break;
      }
    }
  } finally {
    await kernel.stop();
  }
  return { notebook, failedCell, ...(error ? { error } : {}), ms: performance.now() - started };
}

export { writeNotebook };
