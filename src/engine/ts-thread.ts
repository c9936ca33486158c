/**
 * The TypeScript thread: tslab's converter (type checking, completion, hover) off the kernel's main thread.
 * Building its language service takes over a second; here it starts at once, at kernel start, while the
 * main thread stays free to answer (see typescript-thread.ts). Requests are served in order.
 */
import { parentPort } from 'node:worker_threads';
import { messageOf } from '../errors.js';
import type { TsAnswer, TsCalls, TsRequest } from './ts-protocol.js';
import { TypeScriptService } from './typescript.js';

const port = parentPort;
if (!port) throw new Error('ts-thread.ts must run as a worker thread');
const service = new TypeScriptService();

function run(request: TsRequest): TsCalls[TsRequest['op']]['result'] {
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

function answer(request: TsRequest): TsAnswer {
  try {
    return { kind: 'answer', id: request.id, ok: true, value: run(request) };
  } catch (err) {
    return { kind: 'answer', id: request.id, ok: false, message: messageOf(err) };
  }
}

port.on('message', (request: TsRequest) => port.postMessage(answer(request)));

// Warm up before the first request: the language service, and one conversion through it.
const started = performance.now();
service.warmUp();
port.postMessage({ kind: 'ready', ms: Math.round(performance.now() - started) } satisfies TsAnswer);
