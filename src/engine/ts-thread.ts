/**
 * The TypeScript service on a worker thread: what the kernel uses when no startup snapshot can serve
 * (ts-snapshot.ts). Building its language service takes over a second; here it starts at once, at kernel
 * start, while the main thread stays free to answer (see typescript-remote.ts). Requests are served in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TsRequest } from './ts-protocol.js';
import { answer, warmUp } from './ts-serve.js';
import { loadTslab } from './tslab-modules.js';
import { TypeScriptService } from './typescript.js';

const port = parentPort;
if (!port) throw new Error('ts-thread.ts must run as a worker thread');
const service = new TypeScriptService(loadTslab());
const { cwd }: { cwd: string } = workerData;
service.startIn(cwd);

port.on('message', (request: TsRequest) => port.postMessage(answer(service, request)));
// Warm up before the first request: the language service, and one conversion through it.
port.postMessage(warmUp(service));
