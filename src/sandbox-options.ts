/**
 * A worker's sandbox options, declared once for `tsp2p worker` and `%p2p worker` (which starts the former
 * with the same flags), and the policy they make (see p2p/sandbox.ts).
 */
import { Tsp2pError } from './errors.js';
import { listOf, type OptionSpec, type OptionValue } from './options.js';
import type { SandboxPolicy } from './p2p/sandbox.js';

export const sandboxOptions: OptionSpec[] = [
  { name: 'sandbox', type: 'boolean', description: 'run tasks sandboxed: an empty temp directory, no other files, processes, threads or network; see SECURITY.md' },
  { name: 'allow-net', type: 'boolean', description: 'with --sandbox: let tasks use the network' },
  { name: 'allow-read', type: 'list', placeholder: 'DIR,...', description: 'with --sandbox: directories tasks may also read (data sets, node_modules)' },
  { name: 'env', type: 'list', placeholder: 'NAME,...', description: "with --sandbox: this worker's environment variables tasks get (the others stay out)" },
];


/** The policy the options ask for; null without --sandbox (where the other three would mean nothing). */
export function sandboxPolicy(options: Record<string, OptionValue>): SandboxPolicy | null {
  if (options.sandbox !== true) {
    const stray = ['allow-net', 'allow-read', 'env'].find((name) => options[name] !== undefined);
    if (stray) throw Tsp2pError.USAGE(`--${stray} sets what sandboxed tasks may do: add --sandbox (without it, tasks may do anything you may)`);
    return null;
  }
  return { allowNet: options['allow-net'] === true, read: listOf(options['allow-read']), env: listOf(options.env) };
}

/** The same options as command-line arguments, for a `tsp2p worker` started from a notebook. */
export function sandboxArgs(options: Record<string, OptionValue>): string[] {
  const policy = sandboxPolicy(options);
  if (!policy) return [];
  return [
    '--sandbox',
    ...(policy.allowNet ? ['--allow-net'] : []),
    ...(policy.read.length ? [`--allow-read=${policy.read.join(',')}`] : []),
    ...(policy.env.length ? [`--env=${policy.env.join(',')}`] : []),
  ];
}
