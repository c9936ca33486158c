/**
 * Turning kernel-side code into a task: the cell's (or function's) free names that are kernel variables
 * travel with it. Data goes as values (superjson, binary as raw bytes); functions and classes declared in
 * earlier cells go by their source, recursively with what they use, defined before the code runs (classes
 * after the classes they extend). What cannot travel gets an error naming the variable and the reason.
 */
import { Tsp2pError } from '../errors.js';
import { exportsReads, freeIdentifiers, isStandaloneExpression } from './free-names.js';

export interface Shipment {
  /** A script whose completion value is a promise of the result. */
  code: string;
  /** Where `code` holds text taken whole from cells (function sources, a cell's JavaScript): see cell-sources.ts. */
  pieces: { start: number; length: number }[];
  globals: Record<string, unknown>;
}

const DATA_PROTOTYPES = new Set<unknown>([
  Object.prototype, null, Array.prototype, Map.prototype, Set.prototype, Date.prototype, RegExp.prototype, URL.prototype,
  ArrayBuffer.prototype, DataView.prototype, Error.prototype, TypeError.prototype, RangeError.prototype, SyntaxError.prototype,
]);

function describe(value: object): string {
  const name = (value.constructor as { name?: string } | undefined)?.name;
  return name ? `an instance of ${name}` : 'an object with a custom prototype';
}

/** Throws UNSHIPPABLE if `value` holds anything but data (functions, sockets, class instances...). */
function checkData(value: unknown, name: string, path: string, seen: Set<object>): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    if (typeof value === 'symbol') throw Tsp2pError.UNSHIPPABLE(name, `${path} is a symbol`);
    return;
  }
  if (typeof value === 'function') throw Tsp2pError.UNSHIPPABLE(name, `${path} is a function inside a value (only functions declared as variables of earlier cells travel)`);
  if (seen.has(value)) return;
  seen.add(value);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  const proto = Object.getPrototypeOf(value);
  if (!DATA_PROTOTYPES.has(proto) && !(value instanceof Error)) {
    throw Tsp2pError.UNSHIPPABLE(name, `${path} is ${describe(value)}, which cannot be copied to another computer (send plain data: objects, arrays, Map, Set, Date, typed arrays)`);
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      checkData(k, name, `${path} (a Map key)`, seen);
      checkData(v, name, `${path}.get(${JSON.stringify(String(k))})`, seen);
    }
  } else if (value instanceof Set) {
    for (const v of value) checkData(v, name, `${path} (a Set member)`, seen);
  } else {
    for (const [k, v] of Object.entries(value)) checkData(v, name, Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`, seen);
  }
}

/** ECMAScript's own globals: the same in every task's context (unlike console, process, p2p, timers...). */
const INTRINSICS = new Set([
  'Math', 'JSON', 'Number', 'String', 'Boolean', 'Symbol', 'BigInt', 'Object', 'Array', 'Function', 'Date', 'RegExp',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'Promise', 'Reflect', 'Proxy', 'Intl', 'Atomics',
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError',
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
  'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'Infinity', 'NaN', 'undefined', 'isNaN', 'isFinite', 'parseInt', 'parseFloat',
  'encodeURIComponent', 'decodeURIComponent', 'encodeURI', 'decodeURI',
]);

export interface Captured {
  values: Record<string, unknown>;
  /** Function and class sources, dependencies first. */
  definitions: { name: string; source: string; pure: boolean }[];
}

/** Captures the kernel variables among `names`, following functions' own free names. */
export function capture(names: readonly string[], variables: Record<string, unknown>): Captured {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, { source: string; uses: string[] }>();
  const visiting = new Set<string>();
  const visit = (name: string, via: string | null): void => {
    if (visiting.has(name) || !Object.prototype.hasOwnProperty.call(variables, name)) return;
    visiting.add(name);
    const value = variables[name];
    try {
      if (typeof value === 'function') {
        const source = Function.prototype.toString.call(value);
        if (/\{\s*\[native code\]\s*\}$/.test(source)) throw Tsp2pError.UNSHIPPABLE(name, 'it is a built-in or bound function, which has no source to send');
        if (!isStandaloneExpression(source)) throw Tsp2pError.UNSHIPPABLE(name, 'its source is a method, not a function: declare it as a function or arrow function');
        const uses = freeIdentifiers(source).filter((n) => n !== name);
        sources.set(name, { source, uses });
        for (const used of uses) visit(used, name);
      } else {
        checkData(value, name, name, new Set());
        values[name] = value;
      }
    } catch (err) {
      if (via && err instanceof Tsp2pError && err.code === 'UNSHIPPABLE') {
        throw Tsp2pError.UNSHIPPABLE(via, `it uses "${name}", which cannot be sent: ${err.message.replace(/^cannot send "[^"]+" to a worker: /, '')}`);
      }
      throw err;
    }
  };
  for (const name of names) visit(name, null);
  // Dependencies first (a class must exist before a class that extends it is defined).
  const ordered: Captured['definitions'] = [];
  const placed = new Set<string>();
  const place = (name: string, stack: Set<string>): void => {
    const entry = sources.get(name);
    if (!entry || placed.has(name) || stack.has(name)) return;
    stack.add(name);
    for (const used of entry.uses) place(used, stack);
    placed.add(name);
    ordered.push({ name, source: entry.source, pure: entry.uses.every((u) => INTRINSICS.has(u)) });
  };
  for (const name of sources.keys()) place(name, new Set());
  return { values, definitions: ordered };
}

/** Text put together from parts, remembering where the parts taken from cells went (for stack frames). */
class CodeBuilder {
  text = '';
  readonly pieces: { start: number; length: number }[] = [];
  add(text: string, fromCell = false): this {
    if (fromCell) this.pieces.push({ start: this.text.length, length: text.length });
    this.text += text;
    return this;
  }
}

/**
 * A task's code: an async function (its value is the result) with the definitions it uses, then the body.
 * Each function or class that uses only the language's built-ins is handed to the worker's
 * __tsp2p_reuse__, which keeps it (by its source) for this client's later tasks, already compiled and
 * optimised.
 */
function task(definitions: Captured['definitions'], body: (code: CodeBuilder) => void): Pick<Shipment, 'code' | 'pieces'> {
  const code = new CodeBuilder().add('(async (exports, require) => {\n');
  for (const { name, source, pure } of definitions) {
    code.add(`var ${name} = ${pure ? '__tsp2p_reuse__(() => (' : '('}`).add(source, true).add(`${pure ? '))' : ')'};\nexports.${name} = ${name};\n`);
  }
  body(code);
  code.add('\n})(exports, require)');
  return { code: code.text, pieces: code.pieces };
}

/** A %%p2p cell, converted by the kernel's TypeScript service, as a task. */
export function shipCell(js: string, lastExpressionVar: string | undefined, variables: Record<string, unknown>): Shipment {
  const { values, definitions } = capture(exportsReads(js), variables);
  const result = lastExpressionVar ? `return exports[${JSON.stringify(lastExpressionVar)}];` : 'return undefined;';
  return { ...task(definitions, (code) => code.add(js, true).add(`\n${result}`)), globals: values };
}

/** A function for p2p.run / p2p.map, called on the worker with `args` (sent as values). */
export function shipFunction(fn: (...args: never[]) => unknown, args: unknown[], variables: Record<string, unknown>, extraGlobals: Record<string, unknown> = {}): Shipment {
  const source = Function.prototype.toString.call(fn);
  if (!isStandaloneExpression(source) || /\{\s*\[native code\]\s*\}$/.test(source)) {
    throw Tsp2pError.UNSHIPPABLE('the function', 'pass a function or arrow function written in a cell');
  }
  const { values, definitions } = capture(freeIdentifiers(source), variables);
  args.forEach((arg, i) => checkData(arg, `argument ${i + 1}`, `argument ${i + 1}`, new Set()));
  for (const [name, value] of Object.entries(extraGlobals)) checkData(value, name, name, new Set());
  const code = task(definitions, (c) => c.add('return await (').add(source, true).add(')(...__tsp2p_args__);'));
  return { ...code, globals: { ...values, ...extraGlobals, __tsp2p_args__: args } };
}
