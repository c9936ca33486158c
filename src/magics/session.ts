/**
 * The kernel's p2p state: the cluster joined (if any), the DHT bootstrap in use, and background processes
 * (`%p2p host`, `%p2p worker`) started from the notebook, which end with the kernel.
 * The p2p modules load only when first needed: cells that never use p2p pay nothing for them.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ORIGIN_ENV, startTsp2p, stopProcess, type BackgroundEvent } from '../background.js';
import { Tsp2pError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Cluster } from '../p2p/cluster.js';
import type { RosterWait } from '../p2p/roster-source.js';

const log = createLogger('magics');

export interface Background {
  kind: 'host' | 'worker';
  label: string;
  process: ChildProcess;
  /** What it told when it started: up (and what it said), or waiting for its host. */
  event: BackgroundEvent;
  /** What it printed so far. */
  readonly output: string;
}

export class P2PSession {
  #cluster: Cluster | null = null;
  #background: Background[] = [];
  bootstrap: string | undefined = process.env.TSP2P_BOOTSTRAP || undefined;
  /** What workers this notebook starts say started them (render.ts tells them from other notebooks'). */
  readonly origin = `notebook:${randomUUID()}`;

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

  async join(cluster: string | undefined, options: { invite?: string | undefined; waitMs: number; wait?: RosterWait }): Promise<Cluster> {
    const { Cluster: ClusterClass } = await import('../p2p/cluster.js');
    await this.leave();
    this.#cluster = await ClusterClass.join({ cluster, invite: options.invite, bootstrap: this.bootstrap, ...(options.wait ? { wait: options.wait } : {}) });
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

  /** Starts `tsp2p ARGS` in the background and resolves once it tells `ready` (or fails with its output). */
  async startBackground(kind: 'host' | 'worker', args: string[], ready: (event: BackgroundEvent) => boolean, label: string): Promise<Background> {
    const env = { ...process.env, ...(this.bootstrap ? { TSP2P_BOOTSTRAP: this.bootstrap } : {}), [ORIGIN_ENV]: this.origin };
    // Detached: a Ctrl-C meant for the kernel must not reach it.
    const started = await startTsp2p(args, { env, ready, label: kind, detached: true });
    const background: Background = {
      kind,
      label,
      process: started.process,
      event: started.event,
      get output() {
        return started.output();
      },
    };
    started.process.once('exit', () => {
      this.#background = this.#background.filter((b) => b !== background);
      log.info(`background ${kind} ${label} ended`);
    });
    this.#background.push(background);
    return background;
  }

  stopBackground(background: Background): Promise<void> {
    return stopProcess(background.process);
  }

  async close(): Promise<void> {
    await this.leave().catch(() => {});
    await Promise.all(this.#background.map((b) => stopProcess(b.process)));
  }
}
