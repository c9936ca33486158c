/** tslab's converter module and the very copy of TypeScript it uses, loaded the ordinary way (require). */
import { createRequire } from 'node:module';
import type { TslabModules } from './typescript.js';

/** Their files: tslab's converter, and TypeScript as tslab resolves it (the snapshot builder loads these). */
export function tslabPaths(): { converter: string; ts: string } {
  const converter = createRequire(import.meta.url).resolve('tslab/dist/converter.js');
  return { converter, ts: createRequire(converter).resolve('@tslab/typescript-for-tslab') };
}

export function loadTslab(): TslabModules {
  const paths = tslabPaths();
  const require = createRequire(import.meta.url);
  return { converter: require(paths.converter) as TslabModules['converter'], ts: require(paths.ts) as TslabModules['ts'] };
}
