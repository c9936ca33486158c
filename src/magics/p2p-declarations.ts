/**
 * The type of the `p2p` object, declared to the type checker of every cell. A module of its own, importing
 * nothing: the TypeScript snapshot's builder loads it too (kernel-snapshot.ts), so a kernel's first cell finds
 * `p2p` declared already instead of waiting ~50 ms for it to be checked.
 */
export const P2P_DECLARATIONS = `
declare global {
  interface TsP2PWorker { readonly id: string; readonly user: string; readonly host: string; readonly slots: number; readonly running: number; readonly queued: number; readonly done: number; readonly failed: number; readonly cancelled: number }
  interface TsP2PRunOptions {
    /** Extra values to send along (kernel variables the function uses are found automatically). */
    globals?: Record<string, unknown>;
    /** Stop the task after this long: milliseconds, or text like "30s". */
    timeout?: number | string;
    /** Run on this worker: id prefix, user or user@host. */
    worker?: string;
    /** Receives what the task sends with p2p.emit(data) while it runs. */
    onEmit?: (data: any) => void;
    /** Called when a worker starts the task (again, if it is re-run elsewhere). */
    onStart?: (worker: TsP2PWorker) => void;
  }
  interface TsP2PMapOptions extends TsP2PRunOptions {
    /** Show a live progress bar (default true); a string labels it. */
    progress?: boolean | string;
    /** Called with each item's result as it arrives (in completion order). */
    onResult?: (result: any, index: number, worker: TsP2PWorker | null) => void;
    /** Called when a worker starts an item's task. */
    onItemStart?: (index: number, worker: TsP2PWorker) => void;
  }
  interface TsP2PFuture<T> extends PromiseLike<T> {
    readonly id: string;
    readonly status: 'queued' | 'sent' | 'running' | 'done' | 'failed' | 'cancelled';
    readonly worker: TsP2PWorker | null;
    cancel(): void;
  }
  interface TsP2P {
    /** Runs fn on a worker of the joined cluster. */
    run<T>(fn: () => T | Promise<T>, options?: TsP2PRunOptions): TsP2PFuture<Awaited<T>>;
    /** One task per item, load-balanced over the workers; results in item order. */
    map<I, T>(items: Iterable<I>, fn: (item: I, index: number) => T | Promise<T>, options?: TsP2PMapOptions): Promise<Awaited<T>[]>;
    workers(): TsP2PWorker[];
    /** The joined cluster (OWNER/NAME), or null. */
    readonly cluster: string | null;
    /** On a worker, inside a task: sends data to the kernel's onEmit handler. */
    emit(data: unknown): void;
    /** On a worker, inside a task: user@host of the worker. */
    readonly worker: string;
  }
  var p2p: TsP2P;
}
`;
