/** Turns what a cell throws, or what TypeScript finds wrong with it, into a Jupyter error (ename/evalue/traceback). */
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from 'tslab/dist/converter.js';
import type { ErrorContent } from '../jupyter/executor.js';
import { RemoteError, Tsp2pError } from '../errors.js';
import { cellSources, type CodeOrigin } from './cell-sources.js';
import { inspectValue } from '../display/mime.js';

const RED = '\x1b[31m';
const BOLD = '\x1b[1m';
const RESET = '\x1b[0m';

/**
 * `line:col - message`, the offending source line and a marker under the span, for each diagnostic.
 * `firstLine`: the cell's line `source` starts on (a %%p2p cell's body starts on line 2).
 */
export function diagnosticsReport(source: string, diagnostics: readonly Diagnostic[], firstLine = 1): ErrorContent {
  const lines = source.split('\n');
  const traceback: string[] = [];
  const at = (d: Diagnostic) => `${d.start.line + firstLine}:${d.start.character + 1}`;
  for (const d of diagnostics) {
    const where = at(d);
    traceback.push(`${RED}${BOLD}${where}${RESET} - ${d.messageText}`);
    const text = lines[d.start.line];
    if (text !== undefined) {
      const width = d.end.line === d.start.line ? Math.max(1, d.end.character - d.start.character) : Math.max(1, text.length - d.start.character);
      traceback.push(`    ${text}`, `    ${' '.repeat(d.start.character)}${RED}${'~'.repeat(width)}${RESET}`);
    }
  }
  const first = diagnostics[0];
  const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : '';
  return {
    ename: 'TSError',
    evalue: first ? `${at(first)} - ${first.messageText}${more}` : 'TypeScript error',
    traceback,
  };
}

/** This package's own compiled files (as a path and as a file URL): frames in them are the kernel's, not the cell's. */
const OWN_FILES = [fileURLToPath(new URL('..', import.meta.url)), new URL('..', import.meta.url).href];

/** Stack frames from the kernel itself or Node's internals say nothing about the cell: drop them. */
function isUserFrame(line: string): boolean {
  return !/\(node:|at node:|runInThisContext|processTicksAndRejections/.test(line) && !OWN_FILES.some((own) => line.includes(own));
}

/**
 * tsp2p's own errors, one family in the notebook: `Tsp2pError [NOT_JOINED]: not joined to a cluster...`
 * (a bad magic argument is IPython's UsageError). The code is what to search for; the message says what
 * to do. No stack: the kernel's own frames say nothing about the cell.
 */
function tsp2pReport(error: Tsp2pError): ErrorContent {
  const ename = error.code === 'USAGE' ? 'UsageError' : 'Tsp2pError';
  const evalue = error.message.split('\n')[0] ?? error.message;
  return { ename, evalue, traceback: [`${RED}${BOLD}${ename}${RESET} [${error.code}]: ${error.message}`] };
}

/**
 * A task's error on a worker, shown as the task's own (ipyparallel's RemoteError): its name and message,
 * its frames in the lines of the cells its code came from, and the worker.
 */
function remoteReport(error: RemoteError, origin: CodeOrigin | undefined): ErrorContent {
  const frames = error.remoteStack.split('\n').filter((l) => /^\s+at /.test(l));
  return {
    ename: error.ename,
    evalue: error.evalue,
    traceback: [`${RED}${BOLD}${error.ename}${RESET}: ${error.evalue}`, ...cellSources.frames(frames, origin), `  (on worker ${error.worker})`],
  };
}

export function thrownReport(thrown: unknown): ErrorContent {
  const origin = thrown !== null && typeof thrown === 'object' ? cellSources.origins.get(thrown) : undefined;
  if (thrown instanceof RemoteError) return remoteReport(thrown, origin);
  if (thrown instanceof Tsp2pError) return tsp2pReport(thrown);
  if (!(thrown instanceof Error)) {
    const evalue = inspectValue(thrown);
    return { ename: 'Uncaught', evalue, traceback: [`${RED}${BOLD}Uncaught${RESET} ${evalue}`] };
  }
  const ename = thrown.name || thrown.constructor?.name || 'Error';
  const evalue = thrown.message;
  const frames = (thrown.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  const kept = cellSources.frames(frames.filter(isUserFrame), origin);
  return { ename, evalue, traceback: [`${RED}${BOLD}${ename}${RESET}: ${evalue}`, ...kept] };
}

/** `what`: what the interrupt stopped, when it is more than the cell itself (a task on a worker, say). */
export function interruptedReport(what?: string): ErrorContent {
  const evalue = what ? `the cell was interrupted: ${what}` : 'the cell was interrupted';
  return { ename: 'Interrupted', evalue, traceback: [`${RED}${BOLD}Interrupted${RESET}: ${evalue}`] };
}
