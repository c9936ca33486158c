/**
 * `node dist/kernel-snapshot.js` (`npm run build`): builds the TypeScript service's startup snapshot for
 * this kernel, the globals its executor declares included (the `p2p` object), so a kernel's first cell is
 * checked at once instead of after those declarations. Beside kernel-main.ts: it knows what the kernel is
 * made of; the engine (engine/ts-snapshot.ts) knows only how to build a snapshot.
 */
import { fileURLToPath } from 'node:url';
import { buildSnapshot } from './engine/ts-snapshot.js';

/** Modules importing nothing, whose exported strings the kernel declares as globals (see P2PExecutor). */
const KERNEL_GLOBALS = [fileURLToPath(new URL('./magics/p2p-declarations.js', import.meta.url))];

const { message } = buildSnapshot(KERNEL_GLOBALS);
process.stderr.write(`${message}\n`);
