#!/usr/bin/env node
/**
 * The `tsp2p` command (commands.ts). Node loads every module of a static import graph before it runs any,
 * so this one imports only kernel-prestart.ts, which starts a kernel's slow parts as it runs, and loads the
 * command table after.
 */
import { prestarted } from './kernel-prestart.js';

// A kernel's IO thread is binding the sockets Jupyter's client is retrying to reach: the rest of the
// command loads after that, not beside it (on two cores, the TypeScript process takes one; loading beside
// the thread delayed the bind by ~20 ms). The first cell waits for the TypeScript process, later still.
if (prestarted) await prestarted.transport.catch(() => undefined);

const { runTsp2p } = await import('./commands.js');
runTsp2p(process.argv.slice(2));
