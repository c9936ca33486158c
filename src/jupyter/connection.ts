/** The connection file a Jupyter client writes and passes with `-f`. */
import { readFileSync } from 'node:fs';
import { Tsp2pError } from '../errors.js';

export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  control_port: number;
  stdin_port: number;
  iopub_port: number;
  hb_port: number;
  signature_scheme: string;
  key: string;
  kernel_name?: string;
}

export type SocketName = 'shell' | 'control' | 'stdin' | 'iopub' | 'hb';

export function readConnectionFile(file: string): ConnectionInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw Tsp2pError.BAD_CONNECTION_FILE(file, err instanceof Error ? err.message : String(err));
  }
  return validateConnection(raw, file);
}

export function validateConnection(raw: unknown, file = '(inline)'): ConnectionInfo {
  if (raw === null || typeof raw !== 'object') throw Tsp2pError.BAD_CONNECTION_FILE(file, 'not a JSON object');
  const info = raw as Record<string, unknown>;
  for (const name of ['shell', 'control', 'stdin', 'iopub', 'hb']) {
    if (typeof info[`${name}_port`] !== 'number') throw Tsp2pError.BAD_CONNECTION_FILE(file, `${name}_port is missing`);
  }
  if (typeof info.ip !== 'string') throw Tsp2pError.BAD_CONNECTION_FILE(file, 'ip is missing');
  if (typeof info.key !== 'string') throw Tsp2pError.BAD_CONNECTION_FILE(file, 'key is missing');
  const transport = info.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'ipc') throw Tsp2pError.BAD_CONNECTION_FILE(file, `unknown transport ${String(transport)}`);
  return { ...(info as unknown as ConnectionInfo), transport, signature_scheme: typeof info.signature_scheme === 'string' ? info.signature_scheme : 'hmac-sha256' };
}

/** `tcp://127.0.0.1:5555`, or for ipc `ipc://IP-PORT` as jupyter_client names them. */
export function endpoint(info: ConnectionInfo, socket: SocketName): string {
  const port = info[`${socket}_port`];
  return info.transport === 'tcp' ? `tcp://${info.ip}:${port}` : `ipc://${info.ip}-${port}`;
}
