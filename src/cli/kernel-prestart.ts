/**
 * `tsp2p kernel`'s TypeScript service, started before anything else of the command loads: main.ts imports
 * this module first (ES modules evaluate in import order). Its process takes ~0.25 s to start, a
 * notebook's first cell waits for it, and the rest of the kernel loads meanwhile on the other core.
 */
import { TypeScriptRemote } from '../engine/typescript-remote.js';

export const prestartedTypeScript: TypeScriptRemote | null = process.argv[2] === 'kernel' && !process.argv.includes('--help') ? new TypeScriptRemote() : null;
