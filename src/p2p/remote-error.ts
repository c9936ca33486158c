/**
 * An error raised on a worker, as data (ipyparallel's RemoteError): the remote name, message and stack, and
 * which worker it came from. It maps one to one onto a Jupyter `error` message.
 */
import { jsonObject } from './json-fields.js';

export interface RemoteErrorData {
  ename: string;
  evalue: string;
  stack: string;
  worker: string;
  /** Set when the worker itself ended the task (a Tsp2pError code: TASK_TIMEOUT, TASK_CANCELLED), not the task. */
  code?: string;
}

const RED = '\x1b[31m';
const BOLD = '\x1b[1m';
const RESET = '\x1b[0m';

export class RemoteError extends Error {
  readonly code = 'REMOTE_ERROR';
  /** What the worker did to the task, when it was the worker that ended it (see RemoteErrorData). */
  readonly workerCode: string | null;
  readonly ename: string;
  readonly evalue: string;
  readonly remoteStack: string;
  readonly worker: string;

  constructor(data: RemoteErrorData) {
    super(`${data.ename}: ${data.evalue} (on ${data.worker})`);
    this.name = 'RemoteError';
    this.ename = data.ename;
    this.evalue = data.evalue;
    this.remoteStack = data.stack;
    this.worker = data.worker;
    this.workerCode = data.code ?? null;
  }

  /** The error frame's JSON: built here only, for the task's own errors and for what the worker did. */
  static toJson(data: RemoteErrorData): string {
    return JSON.stringify(data);
  }

  /** As a Jupyter error: name, message, the remote frames, and which worker (see engine/error-report.ts). */
  [Symbol.for('tsp2p.errorReport')](): { ename: string; evalue: string; traceback: string[] } {
    const frames = this.remoteStack.split('\n').filter((l) => /^\s+at /.test(l));
    return { ename: this.ename, evalue: this.evalue, traceback: [`${RED}${BOLD}${this.ename}${RESET}: ${this.evalue}`, ...frames, `  (on worker ${this.worker})`] };
  }

  /** An error frame's JSON, field by field (it comes from another machine): what is missing or not text is left out. */
  static fromJson(json: string): RemoteError {
    const data = jsonObject(json);
    if (!data) return new RemoteError({ ename: 'RemoteError', evalue: 'the worker sent an unreadable error', stack: '', worker: 'unknown worker' });
    const text = (name: string, otherwise: string) => (typeof data[name] === 'string' ? String(data[name]) : otherwise);
    return new RemoteError({
      ename: text('ename', 'Error'),
      evalue: text('evalue', ''),
      stack: text('stack', ''),
      worker: text('worker', 'unknown worker'),
      ...(typeof data.code === 'string' ? { code: data.code } : {}),
    });
  }
}
