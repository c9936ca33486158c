/**
 * Routes the process's stdout and stderr to the running cell. Installed once when the engine starts (not
 * swapped per call): console.log, process.stdout.write and libraries that print all arrive as `stream`
 * messages of whichever cell is current, and output of background work lands in the last cell, as in
 * ipykernel. The kernel's own diagnostics use fd 2 directly (log.ts) and are not captured.
 */
export type StreamName = 'stdout' | 'stderr';
export type StreamWriter = (name: StreamName, text: string) => void;

type WriteCallback = (err?: Error | null) => void;

export function captureProcessOutput(write: StreamWriter): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    const replacement = (chunk: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? encoding : 'utf8');
      write(name, text);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (done) queueMicrotask(() => done(null));
      return true;
    };
    stream.write = replacement as typeof stream.write;
  }
}
