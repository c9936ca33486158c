/**
 * One error family for the whole project, with stable `code`s (in the style of hyperdht's DHTError):
 * callers branch on `err.code`, never on message text. Every code has its factory here, which keeps its
 * message consistent and says what to do next, because most of these reach a user. An error raised by a
 * task on a worker is one of them too (RemoteError, REMOTE_ERROR), carried as data.
 */
import { jsonObject } from './json-fields.js';

export type Tsp2pCode =
  // Jupyter: wire, kernels, notebooks
  | 'BAD_FRAMES' | 'BAD_SIGNATURE' | 'BAD_SIGNATURE_SCHEME' | 'BAD_CONNECTION_FILE' | 'STDIN_NOT_ALLOWED'
  | 'NO_KERNELSPEC' | 'KERNEL_DIED' | 'BAD_NOTEBOOK' | 'CELL_FAILED'
  | 'NO_PARAMETERS_CELL' | 'UNKNOWN_PARAMETER' | 'BAD_PARAMETERS_FILE'
  // Waiting, stopping, usage, processes
  | 'TIMEOUT' | 'STILL_CONNECTING' | 'CANCELLED' | 'CLOSED' | 'USAGE' | 'BACKGROUND_FAILED' | 'DEMO_FAILED'
  // Identities, friends, homes, clusters
  | 'UNKNOWN_USER' | 'NOT_A_FRIEND' | 'DUPLICATE_FRIEND' | 'BAD_KEY' | 'BAD_IDENTITY' | 'INSECURE_HOME'
  | 'BAD_CLUSTER_NAME' | 'NOT_A_MEMBER' | 'HOST_UNREACHABLE' | 'INVITE_UNREACHABLE' | 'JOIN_TIMEOUT'
  | 'NOT_HOSTED' | 'BAD_ROSTER' | 'BAD_INVITE' | 'BAD_CERTIFICATE' | 'BAD_FRAME'
  // Tasks
  | 'NOT_JOINED' | 'NOT_ON_WORKER' | 'NO_WORKERS' | 'NO_SUCH_WORKER' | 'NO_FREE_WORKER' | 'TASK_TIMEOUT'
  | 'TASK_CANCELLED' | 'TASK_PROCESS_DIED' | 'WORKER_LOST' | 'UNSHIPPABLE' | 'VALUE_TOO_LARGE'
  | 'SANDBOX_UNAVAILABLE' | 'REMOTE_ERROR';

export class Tsp2pError extends Error {
  readonly code: Tsp2pCode;

  /** Made by the factories below (and RemoteError): a code has one wording, in one place. */
  protected constructor(code: Tsp2pCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Tsp2pError';
    this.code = code;
  }

  // Jupyter wire protocol
  static BAD_FRAMES(why: string): Tsp2pError {
    return new Tsp2pError('BAD_FRAMES', `malformed Jupyter message: ${why}`);
  }
  static BAD_SIGNATURE(): Tsp2pError {
    return new Tsp2pError('BAD_SIGNATURE', 'message signature does not verify');
  }
  static BAD_SIGNATURE_SCHEME(scheme: string): Tsp2pError {
    return new Tsp2pError('BAD_SIGNATURE_SCHEME', `unsupported signature_scheme "${scheme}": use hmac-sha256`);
  }
  static STDIN_NOT_ALLOWED(): Tsp2pError {
    return new Tsp2pError('STDIN_NOT_ALLOWED', 'this client does not accept input requests (allow_stdin is false)');
  }
  static NO_KERNELSPEC(name: string, searched: readonly string[]): Tsp2pError {
    return new Tsp2pError('NO_KERNELSPEC', `no kernelspec named "${name}" in ${searched.join(', ')}: run \`tsp2p install\``);
  }
  static KERNEL_DIED(how: string): Tsp2pError {
    return new Tsp2pError('KERNEL_DIED', `the kernel exited during start-up (code ${how})`);
  }
  static BAD_NOTEBOOK(file: string, why: string): Tsp2pError {
    return new Tsp2pError('BAD_NOTEBOOK', `${file}: ${why}`);
  }
  /** `index`: 0-based, among the code cells. */
  static CELL_FAILED(index: number, ename: string, evalue: string): Tsp2pError {
    return new Tsp2pError('CELL_FAILED', `cell ${index + 1} failed: ${ename}: ${evalue}`);
  }
  static BAD_CONNECTION_FILE(file: string, why: string): Tsp2pError {
    return new Tsp2pError('BAD_CONNECTION_FILE', `connection file ${file}: ${why}`);
  }
  static TIMEOUT(what: string, ms: number): Tsp2pError {
    return new Tsp2pError('TIMEOUT', `${what} did not happen within ${ms} ms`);
  }
  /** A peer was found on the DHT but the connection to it was not open yet when the wait ended. */
  static STILL_CONNECTING(ms: number): Tsp2pError {
    return new Tsp2pError('STILL_CONNECTING', `it was found, but the connection was still being made after ${Math.round(ms / 100) / 10} s`);
  }
  static CANCELLED(what: string): Tsp2pError {
    return new Tsp2pError('CANCELLED', `stopped ${what}`);
  }
  static CLOSED(what: string): Tsp2pError {
    return new Tsp2pError('CLOSED', `${what} is closed`);
  }

  // Usage (command line and magics), processes
  static USAGE(message: string): Tsp2pError {
    return new Tsp2pError('USAGE', message);
  }
  /** A process started in the background (`label`) stopped before it was up, or never said it was. */
  static BACKGROUND_FAILED(label: string, why: string, output: string): Tsp2pError {
    return new Tsp2pError('BACKGROUND_FAILED', `${label} ${why}:\n${output.trim()}`);
  }
  static DEMO_FAILED(why: string): Tsp2pError {
    return new Tsp2pError('DEMO_FAILED', why);
  }

  // Notebooks run headless with parameters (tsp2p run -p)
  static NO_PARAMETERS_CELL(file: string): Tsp2pError {
    return new Tsp2pError(
      'NO_PARAMETERS_CELL',
      `${file} has no cell tagged "parameters", so -p has nowhere to go: tag the cell that declares the notebook's parameters (in Jupyter Notebook: View → Cell Toolbar → Tags)`,
    );
  }
  static UNKNOWN_PARAMETER(name: string, file: string, declared: readonly string[]): Tsp2pError {
    const known = declared.length ? `its parameters cell declares ${declared.join(', ')}` : 'its parameters cell declares no variable (const, let or var at the start of a line)';
    return new Tsp2pError('UNKNOWN_PARAMETER', `${file} has no parameter "${name}": ${known}`);
  }
  static BAD_PARAMETERS_FILE(file: string, why: string): Tsp2pError {
    return new Tsp2pError('BAD_PARAMETERS_FILE', `${file}: ${why} (a parameters file is a JSON object of NAME: value, e.g. {"nrow": 4, "region": 2})`);
  }

  // Identities, friends and clusters
  static UNKNOWN_USER(name: string): Tsp2pError {
    return new Tsp2pError(
      'UNKNOWN_USER',
      `unknown user "${name}": add their key with \`tsp2p friends add ${name} KEY\` ` +
        `(they print it with \`tsp2p id\`), or let the host print an invite code for them`,
    );
  }
  static NOT_A_FRIEND(name: string): Tsp2pError {
    return new Tsp2pError('NOT_A_FRIEND', `${name} is not in your friends book (see \`tsp2p friends list\`)`);
  }
  static DUPLICATE_FRIEND(existing: string): Tsp2pError {
    return new Tsp2pError('DUPLICATE_FRIEND', `that key is already in your friends book as "${existing}"`);
  }
  static BAD_IDENTITY(file: string): Tsp2pError {
    return new Tsp2pError('BAD_IDENTITY', `${file} is damaged: its secret key does not match its public key`);
  }
  static INSECURE_HOME(home: string, mode: number, why: string): Tsp2pError {
    return new Tsp2pError(
      'INSECURE_HOME',
      `${home} is readable by others (mode ${mode.toString(8)}) and could not be made private (${why}): run \`chmod 700 ${home}\` as its owner, or set TSP2P_HOME to a directory of yours`,
    );
  }
  static BAD_KEY(text: string, why: string): Tsp2pError {
    return new Tsp2pError('BAD_KEY', `"${text}" is not a public key: ${why}`);
  }
  static BAD_CLUSTER_NAME(text: string): Tsp2pError {
    return new Tsp2pError('BAD_CLUSTER_NAME', `"${text}" is not a cluster name: use OWNER/NAME, e.g. alice/friends`);
  }
  static NOT_A_MEMBER(cluster: string): Tsp2pError {
    return new Tsp2pError('NOT_A_MEMBER', `you are not a member of ${cluster}: ask its host to add you (--users) or for an invite`);
  }
  /** `problem` says why, in words that name the cause (see roster-source.ts hostProblem). */
  /** `found`: the host is running (found on the DHT); what stood in the way was the connection. */
  static HOST_UNREACHABLE(cluster: string, waitedMs: number, problem: string, cause?: unknown, found = false): Tsp2pError {
    return new Tsp2pError(
      'HOST_UNREACHABLE',
      `waited ${Math.round(waitedMs / 1000)} s for the host of ${cluster}, and no roster for it is stored here: ${problem}. ` +
        (found ? 'Wait longer with --wait.' : `Its owner starts it with \`tsp2p host --cluster=${cluster} --users=...\`; wait longer with --wait.`),
      { cause },
    );
  }
  static INVITE_UNREACHABLE(owner: string, problem: string, cause: unknown): Tsp2pError {
    return new Tsp2pError('INVITE_UNREACHABLE', `could not redeem the invite at ${owner}'s host: ${problem}. The invite works while \`tsp2p host\` runs.`, { cause });
  }
  static JOIN_TIMEOUT(cluster: string, phase: string): Tsp2pError {
    return new Tsp2pError('JOIN_TIMEOUT', `joining ${cluster} did not finish in time: stuck ${phase} (is the DHT reachable? see --bootstrap)`);
  }
  static NOT_HOSTED(owner: string, cluster: string): Tsp2pError {
    return new Tsp2pError('NOT_HOSTED', `${owner}'s host answered, but it hosts another cluster, not ${cluster}`);
  }
  static BAD_ROSTER(why: string): Tsp2pError {
    return new Tsp2pError('BAD_ROSTER', `roster rejected: ${why}`);
  }
  static BAD_INVITE(why: string): Tsp2pError {
    return new Tsp2pError('BAD_INVITE', `invite rejected: ${why}`);
  }
  static BAD_CERTIFICATE(why: string): Tsp2pError {
    return new Tsp2pError('BAD_CERTIFICATE', `certificate ${why}`);
  }

  // Tasks
  static NOT_JOINED(): Tsp2pError {
    return new Tsp2pError('NOT_JOINED', 'not joined to a cluster: run `%p2p join OWNER/NAME` (or `%p2p join` for your personal cluster)');
  }
  /** `what`: what only works inside a task on a worker, and what to use in the kernel instead. */
  static NOT_ON_WORKER(what: string): Tsp2pError {
    return new Tsp2pError('NOT_ON_WORKER', what);
  }
  /** `reached`: members were found and being dialled (or failed): the next step is not starting a worker. */
  static NO_WORKERS(cluster: string, ms: number, worker?: string, found?: string, reached = false): Tsp2pError {
    const which = worker ? ` matching "${worker}"` : '';
    const next = reached ? 'members were found but not reached in time (see above why); a longer wait may do' : `start one with \`tsp2p worker --cluster=${cluster}\``;
    return new Tsp2pError('NO_WORKERS', `no worker of ${cluster}${which} became available within ${Math.round(ms / 100) / 10} s${found ? ` (${found})` : ''}: ${next}`);
  }
  static NO_SUCH_WORKER(wanted: string, cluster: string, connected: readonly string[]): Tsp2pError {
    return new Tsp2pError(
      'NO_SUCH_WORKER',
      `no connected worker of ${cluster} answers to "${wanted}": ${connected.length ? `connected are ${connected.join(', ')}` : 'none is connected'} (name one by user, user@host or id prefix)`,
    );
  }
  static NO_FREE_WORKER(cluster: string, ms: number, capacity: { workers: number; slots: number; busy: number }, found?: string): Tsp2pError {
    return new Tsp2pError(
      'NO_FREE_WORKER',
      `no worker of ${cluster} started the task within ${Math.round(ms / 100) / 10} s (${capacity.busy} of ${capacity.slots} slots busy on ${capacity.workers} workers${found ? `; ${found}` : ''})`,
    );
  }
  /** `worker`: where it ran (user@host), when the worker stopped it. */
  static TASK_TIMEOUT(ms: number, worker?: string): Tsp2pError {
    return new Tsp2pError('TASK_TIMEOUT', `the task ran longer than its timeout of ${ms} ms and was stopped${worker ? ` (on ${worker})` : ''}`);
  }
  static TASK_CANCELLED(): Tsp2pError {
    return new Tsp2pError('TASK_CANCELLED', 'task was cancelled');
  }
  /** A task whose every attempt failed through no fault of its own: its worker was lost, or its process died. */
  static GAVE_UP(attempts: number, causes: readonly string[]): Tsp2pError {
    const deaths = causes.filter((c) => c.startsWith('its process '));
    const signals = [...new Set(deaths.map((c) => /SIG[A-Z]+/.exec(c)?.[0] ?? c.replace('its process ', '')))];
    const hint = signals.includes('SIGKILL') ? ': out of memory?' : '';
    if (deaths.length === causes.length) {
      return new Tsp2pError('TASK_PROCESS_DIED', `the task was given up: its process died ${deaths.length} times while its worker ran on (${signals.join(', ')}${hint})`);
    }
    return new Tsp2pError('WORKER_LOST', `the task was given up after ${attempts} attempts: ${[...new Set(causes)].join('; ')}`);
  }
  static UNSHIPPABLE(name: string, why: string): Tsp2pError {
    return new Tsp2pError('UNSHIPPABLE', `cannot send "${name}" to a worker: ${why}`);
  }
  static VALUE_TOO_LARGE(bytes: number, limit: number): Tsp2pError {
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
    return new Tsp2pError('VALUE_TOO_LARGE', `a value of ${mib(bytes)} or more is over the limit of ${mib(limit)} (--max-value of the process receiving it): send less, or in parts`);
  }
  static SANDBOX_UNAVAILABLE(why: string): Tsp2pError {
    return new Tsp2pError(
      'SANDBOX_UNAVAILABLE',
      `cannot sandbox tasks here: ${why}. Without --sandbox, tasks run with your rights: do that only for members you trust`,
    );
  }
  static BAD_FRAME(why: string): Tsp2pError {
    return new Tsp2pError('BAD_FRAME', `malformed peer frame: ${why}`);
  }
}

/** An error raised by a task on a worker, as it travels in an `error` frame. */
export interface RemoteErrorData {
  ename: string;
  evalue: string;
  stack: string;
  worker: string;
  /** Set when the worker itself ended the task (a Tsp2pError code: TASK_TIMEOUT, TASK_CANCELLED), not the task. */
  code?: string;
}

/**
 * An error raised on a worker, as data (ipyparallel's RemoteError): the remote name, message and stack, and
 * which worker it came from. The notebook shows it as the task's own error (engine/error-report.ts).
 */
export class RemoteError extends Tsp2pError {
  /** What the worker did to the task, when it was the worker that ended it (see RemoteErrorData). */
  readonly workerCode: string | null;
  readonly ename: string;
  readonly evalue: string;
  readonly remoteStack: string;
  readonly worker: string;

  constructor(data: RemoteErrorData) {
    super('REMOTE_ERROR', `${data.ename}: ${data.evalue} (on ${data.worker})`);
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

/** The message of anything thrown, for logs and user-facing text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
