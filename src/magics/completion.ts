/**
 * Tab and Shift-Tab on magic lines, from the same declarations that parse them (parse.ts): `%%p2p --`
 * offers the cell magic's options, `--worker ` the connected workers, `%p2p join ` the clusters this home
 * knows; Shift-Tab on a magic shows its own help. Pure: what to offer comes in through `sources`.
 */
import type { CompleteResult, InspectResult } from '../jupyter/executor.js';
import { helpText, type CommandSpec } from '../options.js';
import { CELL_MAGIC, LINE_MAGICS, usage } from './parse.js';

export interface CompletionSources {
  /** Connected workers, as --worker takes them (user@host). */
  workers(): Promise<string[]>;
  /** Clusters this home knows (OWNER/NAME). */
  clusters(): Promise<string[]>;
}

/** Options whose values are names we can list, by option name. */
const VALUES: Record<string, keyof CompletionSources> = { worker: 'workers', cluster: 'clusters' };
/** Line magics whose first positional is a cluster. */
const CLUSTER_POSITIONAL = new Set(['join']);

interface MagicLine {
  /** The magic's declaration; null for `%p2p` before (or with an unknown) command. */
  spec: CommandSpec | null;
  /** The line magic's command (`join`), once typed in full. */
  command: string | null;
  /** Whole words after the magic (and the command), before the one being typed. */
  words: string[];
  /** The word being typed (may be empty). */
  current: string;
  /** The magic's own name is all there is yet (`%%p2p`, no space): nothing to add to it. */
  bare: boolean;
}

/** The magic on the line holding `cursor`, read up to the cursor; null when the line is no magic. */
function magicLine(code: string, cursor: number): MagicLine | null {
  const lineStart = code.lastIndexOf('\n', cursor - 1) + 1;
  const before = code.slice(lineStart, cursor);
  // A cell magic counts on the cell's first line only; line magics on any line.
  const cell = code.slice(0, lineStart).trim() === '' ? /^\s*%%p2p\b(.*)$/.exec(before) : null;
  const match = cell ?? /^\s*%p2p\b(.*)$/.exec(before);
  if (!match) return null;
  const rest = match[1] ?? '';
  const none = { spec: null, command: null, words: [], current: '' };
  if (rest === '') return { ...none, bare: true };
  const words = rest.trim() === '' ? [] : rest.trim().split(/\s+/);
  const current = /\s$/.test(rest) ? '' : (words.pop() ?? '');
  if (cell) return { spec: CELL_MAGIC, command: null, words, current, bare: false };
  const command = words.shift() ?? null;
  return { spec: command ? (LINE_MAGICS[command] ?? null) : null, command, words, current, bare: false };
}

const optionNames = (spec: CommandSpec) => [...spec.options.map((o) => `--${o.name}`), '--help'];

/** How many positional arguments `words` hold (an option that takes a value takes the next word too). */
function positionalCount(spec: CommandSpec, words: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!word.startsWith('-')) count++;
    else if (!word.includes('=') && spec.options.find((o) => `--${o.name}` === word)?.type !== 'boolean') i++;
  }
  return count;
}

function result(matches: string[], cursor: number, typed: string): CompleteResult {
  return { matches, cursorStart: cursor - typed.length, cursorEnd: cursor, metadata: {} };
}

/** Completions on a magic line, or null when the cursor is not on one (the cell's TypeScript then). */
export async function completeMagic(code: string, cursor: number, sources: CompletionSources): Promise<CompleteResult | null> {
  const at = magicLine(code, cursor);
  if (!at) return null;
  const { spec, command, words, current } = at;
  const starting = (candidates: Iterable<string>, typed = current) => [...new Set(candidates)].filter((c) => c.startsWith(typed));
  if (at.bare) return result([], cursor, '');
  // `%p2p jo`: the command being typed.
  if (spec !== CELL_MAGIC && command === null) return result(starting(Object.keys(LINE_MAGICS)), cursor, current);
  if (!spec) return result([], cursor, current);
  const valuesFor = async (option: string): Promise<string[]> => {
    const source = VALUES[option];
    return source ? sources[source]() : [];
  };
  // `--worker=bo`: the value after the equals sign.
  const inline = /^--([\w-]+)=(.*)$/.exec(current);
  if (inline) return result(starting(await valuesFor(inline[1] as string), inline[2]), cursor, inline[2] as string);
  // `--worker bo`: the word after an option that takes a value.
  const previous = words.at(-1);
  const option = spec.options.find((o) => `--${o.name}` === previous);
  if (option && option.type !== 'boolean') return result(starting(await valuesFor(option.name)), cursor, current);
  if (current.startsWith('-')) return result(starting(optionNames(spec)), cursor, current);
  if (command && CLUSTER_POSITIONAL.has(command) && positionalCount(spec, words) === 0) return result(starting([...(await sources.clusters()), ...optionNames(spec)]), cursor, current);
  return result(starting(optionNames(spec)), cursor, current);
}

/** Shift-Tab on a magic line: that magic's help (a line magic's own, or the overview). */
export function inspectMagic(code: string, cursor: number): InspectResult | null {
  const lineEnd = code.indexOf('\n', cursor);
  const at = magicLine(code, lineEnd < 0 ? code.length : lineEnd);
  if (!at) return null;
  const text = at.spec ? helpText(at.spec) : usage();
  return { found: true, data: { 'text/plain': text }, metadata: {} };
}
