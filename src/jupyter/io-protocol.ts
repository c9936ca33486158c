/** Messages between the kernel's main thread and its IO thread (structured-clone safe). */
import type { Channel, Header, JsonObject, Message } from './messages.js';

/** An outgoing message stripped to what the IO thread needs to build, sign and route it. */
export interface WireOutgoing {
  channel: Channel;
  msgType: string;
  content: JsonObject;
  parentHeader?: Header | JsonObject | undefined;
  ids?: Uint8Array[] | undefined;
  metadata?: JsonObject | undefined;
  buffers?: Uint8Array[] | undefined;
}

export type ToIo = { kind: 'send'; out: WireOutgoing[] } | { kind: 'barrier'; id: number } | { kind: 'pong'; id: number } | { kind: 'close' };

export type FromIo =
  | { kind: 'ready' }
  | { kind: 'message'; channel: Exclude<Channel, 'iopub'>; msg: Message }
  | { kind: 'barrier'; id: number }
  | { kind: 'ping'; id: number }
  | { kind: 'closed' };

/** Index into the shared Int32Array: 1 while an execute_request is being handled. */
export const EXECUTING = 0;
