/** What the engine says of itself in kernel_info: known without starting it (the IO thread answers first). */
import { createRequire } from 'node:module';
import type { LanguageInfo } from '../jupyter/executor.js';
import { version } from '../version.js';
import { tslabPaths } from './tslab-modules.js';

function typescriptVersion(): string {
  return (createRequire(tslabPaths().converter)('@tslab/typescript-for-tslab/package.json') as { version: string }).version;
}

export function describeEngine(): { languageInfo: LanguageInfo; banner: string } {
  const tsVersion = typescriptVersion();
  return {
    languageInfo: {
      name: 'typescript',
      version: tsVersion,
      mimetype: 'text/typescript',
      file_extension: '.ts',
      codemirror_mode: { name: 'javascript', typescript: true },
      pygments_lexer: 'typescript',
    },
    banner: `tsp2p ${version}: TypeScript ${tsVersion} on Node.js ${process.version}. Type %p2p for the cluster magics.`,
  };
}
