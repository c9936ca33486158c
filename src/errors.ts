/**
 * One error type for the whole project, with stable `code`s (in the style of hyperdht's DHTError):
 * callers branch on `err.code`, never on message text. Factories keep messages consistent and say
 * what to do next, because most of these reach a user.
 */
export class Tsp2pError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
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

  // Usage (command line and magics)
  static USAGE(message: string): Tsp2pError {
    return new Tsp2pError('USAGE', message);
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

  // Tasks
  static NOT_JOINED(): Tsp2pError {
    return new Tsp2pError('NOT_JOINED', 'not joined to a cluster: run `%p2p join OWNER/NAME` (or `%p2p join` for your personal cluster)');
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

/** The message of anything thrown, for logs and user-facing text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
