/**
 * Jupyter messaging types (protocol 5.3+) and the few builders everything else uses. A reply is always built
 * from its request (`replyTypeOf`), so its type and parent header cannot be written wrong.
 */
import { randomUUID } from 'node:crypto';

export const PROTOCOL_VERSION = '5.3';

export type Channel = 'shell' | 'control' | 'stdin' | 'iopub';

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  [extra: string]: unknown;
}

import type { JsonObject, MimeBundle } from '../display/bundle.js';

export type { JsonObject, MimeBundle };

/** A message as received or about to be sent; `ids` are the ZeroMQ routing identities. */
export interface Message<C = JsonObject> {
  ids: Buffer[];
  header: Header;
  parent_header: Header | JsonObject;
  metadata: JsonObject;
  content: C;
  buffers: Buffer[];
}

/** What the kernel logic hands the transport: the transport adds the header and signs. */
export interface Outgoing {
  channel: Channel;
  msgType: string;
  content: JsonObject;
  parent?: Message<unknown> | undefined;
  metadata?: JsonObject;
  buffers?: Buffer[];
}


export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

export function newHeader(msgType: string, session: string, username = 'kernel'): Header {
  return {
    msg_id: randomUUID(),
    session,
    username,
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

/** `execute_request` → `execute_reply`; anything else is not a request. */
export function replyTypeOf(requestType: string): string {
  if (!requestType.endsWith('_request')) throw new TypeError(`${requestType} is not a request`);
  return requestType.slice(0, -'_request'.length) + '_reply';
}

/** A reply on the request's channel, to the request's sender. */
export function replyTo(request: Message<unknown>, channel: Channel, content: JsonObject): Outgoing {
  return { channel, msgType: replyTypeOf(request.header.msg_type), content, parent: request };
}
