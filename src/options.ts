/**
 * Command options declared once, as data: the same declaration parses argv (CLI) or a magic's line, and
 * renders the --help text (as ipyparallel generates its magics' docs from their declarations).
 * Built on node:util parseArgs; every failure is a USAGE error that carries the usage text.
 */
import { parseArgs } from 'node:util';
import { Tsp2pError } from './errors.js';
import { TEXT_WIDTH, wrap } from './words.js';

/** `pairs`: a repeatable option taking two words, `-p NAME VALUE` (as papermill's). */
export type OptionType = 'string' | 'number' | 'boolean' | 'duration' | 'size' | 'list' | 'pairs';

export interface OptionSpec {
  name: string;
  type: OptionType;
  description: string;
  short?: string;
  /** What the value looks like in help: `--slots N`. */
  placeholder?: string;
  /** An environment variable that supplies the value when the option is not given. */
  env?: string;
  /**
   * The value when the option is not given, written as a user would type it ('15s', '3'): parsed the same
   * way, and shown in help. Declared here only, so help and code cannot disagree.
   */
  default?: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  optional?: boolean;
  variadic?: boolean;
}

export interface CommandSpec {
  /** How the command is typed: `tsp2p worker`, `%%p2p`. */
  name: string;
  summary: string;
  options: OptionSpec[];
  positionals?: PositionalSpec[];
  /** Lines shown after the options (examples, notes). */
  epilog?: string[];
}

export type OptionValue = string | number | boolean | string[] | [string, string][] | undefined;

/** A number-valued option (number, duration, size), if it was given (or has a default). */
export function numberOption(options: Record<string, OptionValue>, name: string): number | undefined {
  const value = options[name];
  return typeof value === 'number' ? value : undefined;
}

/** An option read as required is one that declares a default: missing, the spec and the code disagree. */
function declared<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`--${name} declares no default: read it as an option that may be absent`);
  return value;
}

/** A number-valued option that declares a default: always there once parsed. */
export function requiredNumber(options: Record<string, OptionValue>, name: string): number {
  return declared(numberOption(options, name), name);
}

/** A string option, if it was given (or has a default). */
export function textOption(options: Record<string, OptionValue>, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

/** A string option that declares a default: always there once parsed. */
export function requiredText(options: Record<string, OptionValue>, name: string): string {
  return declared(textOption(options, name), name);
}

/** A `list` option's words (none when absent). */
export function listOf(value: OptionValue): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A `pairs` option's pairs, in the order given (none when absent). */
export function pairsOf(value: OptionValue): [string, string][] {
  return Array.isArray(value) ? value.filter((v): v is [string, string] => Array.isArray(v)) : [];
}

export interface Parsed {
  options: Record<string, OptionValue>;
  positionals: string[];
}

/** `500ms`, `30s`, `2m`, `1h`, `14d`, or a bare number of seconds → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw Tsp2pError.USAGE(`"${text}" is not a duration: use e.g. 500ms, 30s, 2m, 1h or 14d`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(match[1]) * factor);
}

/** `512K`, `256M`, `1G`, `1.5G`, or a bare number of MiB → bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG])?i?B?$/i.exec(text.trim());
  if (!match) throw Tsp2pError.USAGE(`"${text}" is not a size: use e.g. 512K, 256M or 1G`);
  const factor = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(match[2] ?? 'M').toUpperCase() as 'K' | 'M' | 'G'];
  return Math.round(Number(match[1]) * factor);
}

/** Splits a magic's argument line like a shell would: spaces separate, quotes group, backslash escapes. */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let current: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) current += line[++i] as string;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current ??= '';
    } else if (/\s/.test(ch)) {
      if (current !== null) args.push(current);
      current = null;
    } else if (ch === '\\' && i + 1 < line.length) {
      current = (current ?? '') + (line[++i] as string);
    } else {
      current = (current ?? '') + ch;
    }
  }
  if (quote) throw Tsp2pError.USAGE(`unterminated ${quote} quote in: ${line}`);
  if (current !== null) args.push(current);
  return args;
}

export function usageLine(spec: CommandSpec): string {
  const options = spec.options.map((o) => {
    if (o.type === 'boolean') return `[--${o.name}]`;
    return `[--${o.name} ${o.placeholder ?? o.name.toUpperCase()}]${o.type === 'pairs' ? '...' : ''}`;
  });
  const positionals = (spec.positionals ?? []).map((p) => {
    const word = p.variadic ? `${p.name}...` : p.name;
    return p.optional ? `[${word}]` : word;
  });
  return [spec.name, ...positionals, ...options].join(' ');
}

/** `usage: ` and the usage line, wrapped between options (never inside `[--env NAME,...]`), under the first. */
function wrappedUsage(spec: CommandSpec): string {
  const kept = `usage: ${usageLine(spec)}`.replace(/\[[^\]]*\]/g, (group) => group.replace(/ /g, '\u00a0'));
  return wrap(kept, TEXT_WIDTH, `usage: ${spec.name} `.length).replace(/\u00a0/g, ' ');
}

export function helpText(spec: CommandSpec): string {
  const lines = [wrappedUsage(spec), '', wrap(spec.summary)];
  const entry = (head: string, description: string) => wrap(`  ${head.padEnd(24)} ${description}`, TEXT_WIDTH, 27);
  if (spec.positionals?.length) {
    lines.push('', 'arguments:');
    for (const p of spec.positionals) lines.push(entry(p.name, p.description));
  }
  const options: OptionSpec[] = [...spec.options, { name: 'help', type: 'boolean', description: 'show this help', short: 'h' }];
  lines.push('', 'options:');
  for (const o of options) {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.type === 'boolean' ? '' : ` ${o.placeholder ?? o.name.toUpperCase()}`}`;
    lines.push(entry(flag, `${o.description}${o.default !== undefined ? ` (default ${o.default})` : ''}${o.env ? ` (env ${o.env})` : ''}`));
  }
  if (spec.epilog?.length) lines.push('', ...spec.epilog.map((line) => wrap(line, TEXT_WIDTH, /^ */.exec(line)?.[0].length ?? 0)));
  return lines.join('\n');
}

function convert(spec: OptionSpec, raw: string | boolean): OptionValue {
  if (spec.type === 'boolean') return raw === true;
  const text = String(raw);
  switch (spec.type) {
    case 'number': {
      const n = Number(text);
      if (!Number.isFinite(n) || text.trim() === '') throw Tsp2pError.USAGE(`--${spec.name} wants a number, not "${text}"`);
      return n;
    }
    case 'duration':
    case 'size':
      try {
        return spec.type === 'size' ? parseSize(text) : parseDuration(text);
      } catch (err) {
        throw Tsp2pError.USAGE(`--${spec.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    case 'list':
      return text.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return text;
  }
}

/** Takes the `pairs` options (two words each) out of argv, which node:util parseArgs cannot read. */
function takePairs(spec: CommandSpec, argv: readonly string[]): { rest: string[]; pairs: Record<string, [string, string][]> } {
  const rest: string[] = [];
  const pairs: Record<string, [string, string][]> = {};
  const specs = spec.options.filter((o) => o.type === 'pairs');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const o = specs.find((s) => arg === `--${s.name}` || (s.short && arg === `-${s.short}`));
    if (!o) {
      rest.push(arg);
      continue;
    }
    const name = argv[i + 1];
    const value = argv[i + 2];
    if (name === undefined || value === undefined) throw Tsp2pError.USAGE(`${arg} wants two words, ${o.placeholder ?? 'NAME VALUE'}\nusage: ${usageLine(spec)}`);
    (pairs[o.name] ??= []).push([name, value]);
    i += 2;
  }
  return { rest, pairs };
}

/** Parses argv against the spec. `{ help: true }` is returned, not thrown, so callers print helpText. */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): Parsed & { help: boolean } {
  const { rest, pairs } = takePairs(spec, argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries([
        ...spec.options.filter((o) => o.type !== 'pairs').map((o) => [o.name, { type: o.type === 'boolean' ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}) }] as const),
        ['help', { type: 'boolean', short: 'h' }] as const,
      ]),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, '') : String(err);
    throw Tsp2pError.USAGE(`${why}\nusage: ${usageLine(spec)}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { help: true, options: {}, positionals: parsed.positionals };
  const options: Record<string, OptionValue> = { ...pairs };
  for (const o of spec.options) {
    if (o.type === 'pairs') continue;
    const raw = values[o.name] ?? (o.env ? process.env[o.env] : undefined) ?? o.default;
    if (raw === undefined) continue;
    try {
      options[o.name] = convert(o, raw);
    } catch (err) {
      throw Tsp2pError.USAGE(`${err instanceof Error ? err.message : String(err)}\nusage: ${usageLine(spec)}`);
    }
  }
  const positionals = parsed.positionals;
  const declared = spec.positionals ?? [];
  const required = declared.filter((p) => !p.optional).length;
  const variadic = declared.some((p) => p.variadic);
  if (positionals.length < required) throw Tsp2pError.USAGE(`missing ${declared[positionals.length]?.name ?? 'argument'}\nusage: ${usageLine(spec)}`);
  if (!variadic && positionals.length > declared.length) throw Tsp2pError.USAGE(`unexpected argument "${positionals[declared.length]}"\nusage: ${usageLine(spec)}`);
  return { help: false, options, positionals };
}
