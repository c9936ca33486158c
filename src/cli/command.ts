/** A `tsp2p` subcommand: its declared options and what it runs (heavy modules are imported inside run). */
import type { CommandSpec, Parsed } from '../options.js';

export interface Command {
  spec: CommandSpec;
  /** Resolves to the process exit code. */
  run(parsed: Parsed): Promise<number>;
}
