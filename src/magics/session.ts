/**
 * The kernel's p2p state: the cluster joined (if any), the DHT bootstrap in use, and background processes
 * (`%p2p host`, `%p2p worker`) started from the notebook, which end with the kernel.
 * The p2p modules load only when first needed: cells that never use p2p pay nothing for them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Tsp2pError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Cluster } from '../p2p/cluster.js';
import { packageRoot } from '../version.js';

const log = createLogger('magics');
const CLI = fileURLToPath(new URL('dist/cli/main.js', packageRoot));

export interface Background {
  kind: 'host' | 'worker';
  label: string;
  process: ChildProcess;
  output: string;
}

export class P2PSession {
  #cluster: Cluster | null = null;
  #background: Background[] = [];
  bootstrap: string | undefined = process.env.TSP2P_BOOTSTRAP || undefined;

  constructor() {
    process.once('exit', () => {
      for (const b of this.#background) b.process.kill('SIGTERM');
    });
  }

  get cluster(): Cluster | null {
    return this.#cluster;
  }

  get background(): readonly Background[] {
    return this.#background;
  }

  requireCluster(): Cluster {
    if (!this.#cluster) throw Tsp2pError.NOT_JOINED();
    return this.#cluster;
  }

  async join(cluster: string | undefined, options: { invite?: string | undefined; waitMs: number }): Promise<Cluster> {
    const { Cluster: ClusterClass } = await import('../p2p/cluster.js');
    await this.leave();
    this.#cluster = await ClusterClass.join({ cluster, invite: options.invite, bootstrap: this.bootstrap });
    const found = await this.#cluster.waitForWorkers(1, options.waitMs).then(() => true, () => false);
    if (found) await this.#cluster.settle();
    return this.#cluster;
  }

  async leave(): Promise<string | null> {
    const cluster = this.#cluster;
    this.#cluster = null;
    if (!cluster) return null;
    await cluster.close();
    return cluster.label;
  }

  /** Starts `tsp2p ARGS` in the background and resolves once it printed `ready` (or fails with its output). */
  async startBackground(kind: 'host' | 'worker', args: string[], ready: RegExp, label: string): Promise<Background> {
    const env = { ...process.env, ...(this.bootstrap ? { TSP2P_BOOTSTRAP: this.bootstrap } : {}) };
    // Its own process group: a Ctrl-C meant for the kernel must not reach it.
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const background: Background = { kind, label, process: child, output: '' };
    const collect = (d: Buffer) => {
      background.output = (background.output + d.toString()).slice(-20_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Tsp2pError('BACKGROUND_FAILED', `${kind} did not start within 30 s:\n${background.output}`)), 30_000);
      const check = () => {
        if (ready.test(background.output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Tsp2pError('BACKGROUND_FAILED', `${kind} stopped (exit ${code}):\n${background.output.trim()}`));
      });
    });
    child.once('exit', () => {
      this.#background = this.#background.filter((b) => b !== background);
      log.info(`background ${kind} ${label} ended`);
    });
    this.#background.push(background);
    return background;
  }

  /** Stops a background process and waits (at most 3 s) for it to end. */
  async stopBackground(background: Background): Promise<void> {
    const exited = new Promise((resolve) => background.process.once('exit', resolve));
    if (background.process.exitCode === null && background.process.signalCode === null) background.process.kill('SIGTERM');
    else return;
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
  }

  async close(): Promise<void> {
    await this.leave().catch(() => {});
    const exits = this.#background.map((b) => new Promise((resolve) => b.process.once('exit', resolve)));
    for (const b of this.#background) b.process.kill('SIGTERM');
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 3_000))]);
  }
}
