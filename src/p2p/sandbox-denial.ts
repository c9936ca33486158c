/**
 * What a sandboxed task is told when it tries something its sandbox forbids (see sandbox.ts). Node's own
 * words ("Access to this API has been restricted", "fetch failed", "connect ENETUNREACH") do not say that
 * a sandbox is why, nor what is allowed instead: the task's author reads this, on another machine.
 */

/** The slot's sandbox, as its worker started it (TSP2P_SANDBOX): none, without network, or with. */
export type SandboxKind = 'none' | 'offline' | 'net';

export function sandboxKind(value: string | undefined): SandboxKind {
  return value === 'offline' || value === 'net' ? value : 'none';
}

const SANDBOXED = 'this worker runs tasks sandboxed (tsp2p worker --sandbox)';

const PERMISSIONS: Record<string, string> = {
  FileSystemRead: "reading files outside tsp2p's own and the task's directory (process.cwd())",
  FileSystemWrite: "writing files outside the task's directory (process.cwd())",
  ChildProcess: 'starting processes',
  WorkerThreads: 'starting worker threads',
  Inspector: 'the inspector',
  WASI: 'WASI',
};

/** Errors of a process with no network: no route, no name resolution. */
const OFFLINE_CODES = new Set(['ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EADDRNOTAVAIL', 'EHOSTUNREACH', 'ECONNREFUSED']);

interface Denied {
  code?: unknown;
  permission?: unknown;
  resource?: unknown;
  cause?: unknown;
}

function codeOf(err: Denied): string {
  const cause = err.cause as Denied | undefined;
  return typeof err.code === 'string' ? err.code : typeof cause?.code === 'string' ? cause.code : '';
}

/** The sentence to add to a task's error when the sandbox caused it; null when it did not. */
export function explainDenial(thrown: unknown, kind: SandboxKind): string | null {
  if (kind === 'none' || typeof thrown !== 'object' || thrown === null) return null;
  const err = thrown as Denied;
  const code = codeOf(err);
  if (code === 'ERR_ACCESS_DENIED') {
    const permission = typeof err.permission === 'string' ? err.permission : '';
    const what = PERMISSIONS[permission] ?? 'process.binding';
    const resource = typeof err.resource === 'string' && err.resource ? ` (${err.resource})` : '';
    return `${SANDBOXED}: ${what} is not allowed${resource} [permission ${permission || 'process.binding'}]`;
  }
  if (code === 'ERR_DLOPEN_DISABLED') return `${SANDBOXED}: loading native addons is not allowed`;
  if (kind === 'offline' && OFFLINE_CODES.has(code)) {
    return `${SANDBOXED}: tasks have no network here (${code}); the worker's owner can allow it with --allow-net`;
  }
  return null;
}
