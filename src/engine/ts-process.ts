/**
 * The TypeScript service in a process of its own, started from the startup snapshot (ts-snapshot.ts): its
 * converter is in the snapshot's heap, built and warm, so the first cell is checked within ~0.1 s of the
 * process starting instead of ~1.5 s. Requests come on file descriptor 3 (ts-frames.ts) and are served in
 * order; the kernel ending (the pipe closing) ends it.
 */
import { Socket } from 'node:net';
import { CHANNEL_FD, FrameDecoder, encodeFrame } from './ts-frames.js';
import type { TsRequest } from './ts-protocol.js';
import { answer, warmUp } from './ts-serve.js';
import type { TypeScriptService } from './typescript.js';

export function serveOnChannel(service: TypeScriptService): void {
  const channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
  const decoder = new FrameDecoder<TsRequest>();
  channel.on('data', (chunk: Buffer) => {
    for (const request of decoder.push(chunk)) channel.write(encodeFrame(answer(service, request)));
  });
  const end = (): never => process.exit(0);
  channel.on('end', end);
  channel.on('close', end);
  channel.on('error', end);
  service.startIn(process.cwd());
  channel.write(encodeFrame(warmUp(service)));
}
