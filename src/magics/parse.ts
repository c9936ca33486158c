/**
 * Parsing `%p2p` and `%%p2p` cells into typed directives: pure, no side effects. The options of every magic
 * are declared once here, as CommandSpecs, and the same declarations render `%p2p --help`.
 *
 *   %p2p COMMAND [options]        a line magic; a cell may hold several, one per line
 *   %%p2p [options]               first line of a cell: the rest of the cell runs on a worker
 */
import { Tsp2pError } from '../errors.js';
import { sandboxOptions } from '../sandbox-options.js';
import { helpText, parseCommand, splitArgs, type CommandSpec, type OptionValue } from '../options.js';
import { TEXT_WIDTH, wrap } from '../words.js';

const bootstrap = { name: 'bootstrap', type: 'string' as const, placeholder: 'HOST:PORT', description: 'DHT bootstrap nodes (see %p2p bootstrap)' };

export const LINE_MAGICS: Record<string, CommandSpec> = {
  whoami: { name: '%p2p whoami', summary: 'Show your name and public key.', options: [] },
  join: {
    name: '%p2p join',
    summary: 'Join a cluster (default: your personal cluster) and report the workers found.',
    positionals: [{ name: 'OWNER/NAME', description: 'the cluster, e.g. alice/friends', optional: true }],
    options: [{ name: 'invite', type: 'string', placeholder: 'CODE', description: 'a one-time invite code from the host' }, { name: 'wait', type: 'duration', placeholder: 'D', description: 'how long to look for workers before reporting (the search goes on after). With no roster here yet, the host is awaited until it answers or the stop button is pressed', default: '3s' }, bootstrap],
  },
  leave: { name: '%p2p leave', summary: 'Leave the cluster you joined.', options: [] },
  status: { name: '%p2p status', summary: "Show the cluster's workers: user, host, slots, busy, tasks done, failed and cancelled, path (direct or relayed).", options: [] },
  doctor: {
    name: '%p2p doctor',
    summary: "Check this notebook's connection to the joined cluster: NAT kind, host, relay, each worker direct or relayed with a round trip, and why others are not reached.",
    options: [],
  },
  host: {
    name: '%p2p host',
    summary: 'Host one of your clusters in the background (it ends with the kernel).',
    options: [
      { name: 'users', type: 'list', placeholder: 'A,B,...', description: 'who may use it' },
      { name: 'cluster', type: 'string', placeholder: 'YOU/NAME', description: 'the cluster, owned by you' },
      { name: 'duration', type: 'duration', placeholder: 'D', description: 'how long the roster stays valid without the host', default: '1d' },
      { name: 'relay', type: 'boolean', description: 'also relay members who cannot reach each other (for a machine with a public address)' },
    ],
  },
  worker: {
    name: '%p2p worker',
    summary: "Add this computer's cores to the joined cluster as a background worker (it ends with the kernel).",
    options: [
      { name: 'slots', type: 'number', placeholder: 'N', description: 'tasks at once (default: the number of cores)' },
      { name: 'cluster', type: 'string', placeholder: 'OWNER/NAME', description: 'the cluster (default: the one joined, else personal)' },
      ...sandboxOptions,
    ],
  },
  bootstrap: {
    name: '%p2p bootstrap',
    summary: 'Use these DHT bootstrap nodes (a private DHT, e.g. `tsp2p dht`) for join, host and worker.',
    positionals: [{ name: 'HOST:PORT[,...]', description: 'bootstrap nodes; "public" for the public DHT', optional: true }],
    options: [],
  },
};

export const CELL_MAGIC: CommandSpec = {
  name: '%%p2p',
  summary: 'Run the rest of the cell on a worker of the joined cluster; its output streams back live and its last expression is Out[n].',
  options: [
    { name: 'timeout', type: 'duration', placeholder: 'D', description: 'stop the task after this long, e.g. 30s' },
    { name: 'all', type: 'boolean', description: 'run on every worker; outputs are grouped per worker' },
    { name: 'worker', type: 'string', placeholder: 'ID|USER', description: 'run on this worker (id prefix, user or user@host)' },
    { name: 'name', type: 'string', placeholder: 'VAR', description: 'also store the result in the kernel variable VAR' },
  ],
  epilog: [
    'Variables, functions and classes of earlier cells that the cell uses are sent along automatically.',
    'The stop button cancels the remote task.',
  ],
};

export function usage(): string {
  const width = Math.max(...Object.keys(LINE_MAGICS).map((n) => n.length));
  return [
    'usage: %p2p COMMAND [options]   (%p2p COMMAND --help for details)',
    '',
    ...Object.entries(LINE_MAGICS).map(([name, spec]) => wrap(`  %p2p ${name.padEnd(width)}  ${spec.summary}`, TEXT_WIDTH, width + 9)),
    '',
    helpText(CELL_MAGIC),
    '',
    'In any cell, the p2p object:',
    ...[
      '  p2p.run(() => ..., { timeout, worker })   one task on a worker: await it for its value; .cancel() stops it',
      '  p2p.map(items, (item, i) => ...)          a task per item over the workers, results in order, a progress bar',
      '  p2p.workers()                             the workers connected now',
      '  p2p.emit(data)                            inside a task: sends data to the kernel (run\'s onEmit option)',
    ].map((line) => wrap(line, TEXT_WIDTH, 44)),
  ].join('\n');
}

export type LineDirective =
  | { kind: 'help'; text: string }
  | { kind: 'line'; command: string; options: Record<string, OptionValue>; positionals: string[] };

export type Directive =
  | { kind: 'none' }
  | { kind: 'lines'; lines: LineDirective[] }
  /** `bodyLine`: the cell's line (1-based) the body starts on, the one after `%%p2p`. */
  | { kind: 'cell'; options: Record<string, OptionValue>; body: string; bodyLine: number; help?: string };

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const CELL_RE = /^[ \t]*%%p2p\b(.*)$/;
const LINE_RE = /^[ \t]*%p2p\b(.*)$/;

function parseLine(rest: string): LineDirective {
  const [command, ...args] = splitArgs(rest);
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return { kind: 'help', text: usage() };
  const spec = LINE_MAGICS[command];
  if (!spec) throw Tsp2pError.USAGE(`unknown %p2p command "${command}"\n\n${usage()}`);
  const parsed = parseCommand(spec, args);
  if (parsed.help) return { kind: 'help', text: helpText(spec) };
  return { kind: 'line', command, options: parsed.options, positionals: parsed.positionals };
}

/**
 * Reads a cell: a %%p2p cell, a cell of %p2p lines, or neither (then it is ordinary TypeScript and stays
 * untouched). A bad argument is a USAGE error that carries the usage text.
 */
export function parseCell(code: string): Directive {
  const lines = code.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return { kind: 'none' };
  const cell = CELL_RE.exec(lines[first] as string);
  if (cell) {
    const body = lines.slice(first + 1).join('\n');
    const parsed = parseCommand(CELL_MAGIC, splitArgs(cell[1] ?? ''));
    if (parsed.positionals.length) throw Tsp2pError.USAGE(`%%p2p takes options only, not "${parsed.positionals[0]}"\n\n${helpText(CELL_MAGIC)}`);
    const name = parsed.options.name;
    if (typeof name === 'string' && !IDENTIFIER.test(name)) throw Tsp2pError.USAGE(`--name wants a variable name, not "${name}"\n\n${helpText(CELL_MAGIC)}`);
    const bodyLine = first + 2;
    return parsed.help ? { kind: 'cell', options: {}, body, bodyLine, help: helpText(CELL_MAGIC) } : { kind: 'cell', options: parsed.options, body, bodyLine };
  }
  if (!LINE_RE.test(lines[first] as string)) return { kind: 'none' };
  const directives: LineDirective[] = [];
  for (const line of lines) {
    if (line.trim() === '' || /^\s*\/\//.test(line)) continue;
    const match = LINE_RE.exec(line);
    if (!match) throw Tsp2pError.USAGE(`a %p2p cell holds only %p2p lines; put TypeScript in a cell of its own (found: ${line.trim()})`);
    directives.push(parseLine(match[1] ?? ''));
  }
  return { kind: 'lines', lines: directives };
}
