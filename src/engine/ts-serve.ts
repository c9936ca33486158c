/**
 * The TypeScript service's side of ts-protocol.ts: one request answered (in order, by the caller), the same
 * in the worker thread (ts-thread.ts) and in the snapshot process (ts-process.ts).
 */
import { messageOf } from '../errors.js';
import type { TsAnswer, TsCalls, TsRequest } from './ts-protocol.js';
import type { TypeScriptService } from './typescript.js';

function run(service: TypeScriptService, request: TsRequest): TsCalls[TsRequest['op']]['result'] {
  switch (request.op) {
    case 'convert':
      service.prevDecl = request.args.prevDecl;
      return service.convert(request.args.code);
    case 'complete':
      service.prevDecl = request.args.prevDecl;
      return service.complete(request.args.code, request.args.cursor);
    case 'inspect':
      service.prevDecl = request.args.prevDecl;
      return service.inspect(request.args.code, request.args.cursor, request.args.detailLevel);
    case 'isComplete':
      return service.isComplete(request.args.code);
    case 'declareGlobals':
      service.declareGlobals(request.args.text);
      return null;
  }
}

export function answer(service: TypeScriptService, request: TsRequest): TsAnswer {
  try {
    return { kind: 'answer', id: request.id, ok: true, value: run(service, request) };
  } catch (err) {
    return { kind: 'answer', id: request.id, ok: false, message: messageOf(err) };
  }
}

/** Warms the service up (nothing to do when a snapshot's converter serves) and says how long it took. */
export function warmUp(service: TypeScriptService): TsAnswer {
  const started = performance.now();
  service.warmUp();
  return { kind: 'ready', ms: Math.round(performance.now() - started) };
}
