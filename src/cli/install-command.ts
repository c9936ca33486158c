/** `tsp2p install`: registers the kernel with Jupyter. */
import { Tsp2pError } from '../errors.js';
import { textOption } from '../options.js';
import type { Command } from './command.js';

export const installCommand: Command = {
  spec: {
    name: 'tsp2p install',
    summary: 'Register the "TypeScript (P2P)" kernel with Jupyter (writes the tsp2p kernelspec).',
    options: [
      { name: 'user', type: 'boolean', description: "into your user's Jupyter data dir (the default)" },
      { name: 'sys-prefix', type: 'boolean', description: "into the active Python environment's prefix (conda, venv)" },
      { name: 'prefix', type: 'string', placeholder: 'DIR', description: 'into DIR/share/jupyter/kernels' },
    ],
    epilog: ['Afterwards pick "TypeScript (P2P)" in Jupyter Notebook, JupyterLab or VS Code.'],
  },
  async run({ options }) {
    const { installKernelspec } = await import('../jupyter/kernelspec.js');
    const chosen = ['user', 'sys-prefix', 'prefix'].filter((k) => options[k] !== undefined);
    if (chosen.length > 1) throw Tsp2pError.USAGE(`choose one of --user, --sys-prefix, --prefix (got ${chosen.map((c) => '--' + c).join(', ')})`);
    const prefix = textOption(options, 'prefix');
    const dir = installKernelspec(prefix !== undefined ? { kind: 'prefix', dir: prefix } : options['sys-prefix'] ? { kind: 'sys-prefix' } : { kind: 'user' });
    process.stdout.write(`installed the tsp2p kernelspec in ${dir}\n`);
    return 0;
  },
};
