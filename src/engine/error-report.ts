/** Turns what a cell throws, or what TypeScript finds wrong with it, into a Jupyter error (ename/evalue/traceback). */
import type { Diagnostic } from 'tslab/dist/converter.js';
import type { ErrorContent } from '../jupyter/messages.js';
import { inspectValue } from './mime.js';

const RED = '\x1b[31m';
const BOLD = '\x1b[1m';
const RESET = '\x1b[0m';

/** `line:col - message`, the offending source line and a marker under the span, for each diagnostic. */
export function diagnosticsReport(source: string, diagnostics: readonly Diagnostic[]): ErrorContent {
  const lines = source.split('\n');
  const traceback: string[] = [];
  for (const d of diagnostics) {
    const where = `${d.start.line + 1}:${d.start.character + 1}`;
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
    evalue: first ? `${first.start.line + 1}:${first.start.character + 1} - ${first.messageText}${more}` : 'TypeScript error',
    traceback,
  };
}

/** Stack frames from the engine itself or Node's internals say nothing about the cell: drop them. */
function isUserFrame(line: string): boolean {
  return !/\(node:|at node:|\/tsp2p\/dist\/|\/dist\/engine\/|runInThisContext|processTicksAndRejections/.test(line);
}

/** An error may describe itself as a Jupyter error (a RemoteError shows the worker's stack, not ours). */
export const ERROR_REPORT = Symbol.for('tsp2p.errorReport');

export function thrownReport(thrown: unknown): ErrorContent {
  const own = (thrown as { [ERROR_REPORT]?: () => ErrorContent } | null)?.[ERROR_REPORT];
  if (typeof own === 'function') return own.call(thrown);
  if (!(thrown instanceof Error)) {
    const evalue = inspectValue(thrown);
    return { ename: 'Uncaught', evalue, traceback: [`${RED}${BOLD}Uncaught${RESET} ${evalue}`] };
  }
  const ename = thrown.name || thrown.constructor?.name || 'Error';
  const evalue = thrown.message;
  const frames = (thrown.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  const kept = frames.filter(isUserFrame);
  return { ename, evalue, traceback: [`${RED}${BOLD}${ename}${RESET}: ${evalue}`, ...kept] };
}

/** `what`: what the interrupt stopped, when it is more than the cell itself (a task on a worker, say). */
export function interruptedReport(what?: string): ErrorContent {
  const evalue = what ? `the cell was interrupted: ${what}` : 'the cell was interrupted';
  return { ename: 'Interrupted', evalue, traceback: [`${RED}${BOLD}Interrupted${RESET}: ${evalue}`] };
}
