/**
 * The vm context a task runs in: the language's built-ins, the Node globals a task may use, timers that are
 * cleared when the task ends, `require` from the worker's directory and `display`.
 *
 * On Node 20 a vm context's global object answers every lookup through an interceptor: a loop reading
 * `Math` ran ~100x slower than in a plain script (4.3 s instead of 45 ms). So a first script in each context
 * declares the context's globals as script-scope `let`s holding the same values: scripts run there later
 * read them as ordinary, fast bindings. A task that declares one of those names itself, or brings a global
 * of that name, gets a context without them (see `needsPlainContext` and `isBindingConflict`).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { types } from 'node:util';
import vm from 'node:vm';
import { realmOf, type Realm } from './realm.js';

/** Node's globals a task may use; a fresh context has only the language's built-ins. */
const NODE_GLOBALS = [
  'process', 'Buffer', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'structuredClone', 'atob', 'btoa',
  'AbortController', 'AbortSignal', 'Event', 'EventTarget', 'performance', 'fetch', 'Headers', 'Request', 'Response',
  'Blob', 'crypto', 'queueMicrotask', 'console', 'WebAssembly',
  // Values arrive built in this process's realm (superjson, Buffer, TextEncoder...). Sharing the constructors
  // that have no literal syntax keeps `instanceof Map` / `instanceof Uint8Array` true for them in the task;
  // Array, Object, RegExp, Promise and errors stay the context's own, as literals and the engine make those.
  'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Date', 'ArrayBuffer', 'SharedArrayBuffer',
  'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
] as const;

type TimerKind = 'timeout' | 'interval' | 'immediate';
type TimerRegistry = Set<{ kind: TimerKind; handle: unknown }>;

export interface TaskContext {
  context: vm.Context;
  realm: Realm;
  timers: TimerRegistry;
  /** The globals bound as script-scope `let`s (empty for a plain context). */
  bound: ReadonlySet<string>;
}

/** Timers a task starts are cleared when it ends, so nothing it left behind runs into the next task. */
function timers(registry: TimerRegistry) {
  const track = <A extends unknown[], H>(kind: TimerKind, start: (...args: A) => H) => (...args: A): H => {
    const handle = start(...args);
    registry.add({ kind, handle });
    return handle;
  };
  return {
    setTimeout: track('timeout', setTimeout as (...a: unknown[]) => NodeJS.Timeout),
    setInterval: track('interval', setInterval as (...a: unknown[]) => NodeJS.Timeout),
    setImmediate: track('immediate', setImmediate as (...a: unknown[]) => NodeJS.Immediate),
    clearTimeout,
    clearInterval,
    clearImmediate,
  };
}

export function clearTimers(registry: TimerRegistry): void {
  for (const { kind, handle } of registry) {
    if (kind === 'immediate') clearImmediate(handle as NodeJS.Immediate);
    else clearTimeout(handle as NodeJS.Timeout);
  }
  registry.clear();
}

const taskRequire = createRequire(path.join(process.cwd(), '__tsp2p_task__.js'));

/**
 * Every configurable global with an identifier for a name, bound as a script-scope `let` of its own value.
 * `globalThis` and `eval` stay as they are (`eval(...)` must remain a direct eval); `undefined`, `NaN` and
 * `Infinity` cannot be redeclared, and reading them is fast anyway. Every context starts with the same
 * globals: the names are read and the binding script compiled once, for the first (~0.05 ms a context after).
 */
let binding: { script: vm.Script; names: Set<string> } | null = null;
function bindGlobals(context: vm.Context): Set<string> {
  if (!binding) {
    const names = vm.runInContext(
      `Object.getOwnPropertyNames(globalThis).filter((n) => /^[A-Za-z_$][\\w$]*$/.test(n) && n !== 'globalThis' && n !== 'eval' && Object.getOwnPropertyDescriptor(globalThis, n).configurable)`,
      context,
    ) as string[];
    binding = { script: new vm.Script(`let ${names.map((n) => `${n} = globalThis.${n}`).join(', ')};`, { filename: 'tsp2p-globals.js' }), names: new Set(names) };
  }
  binding.script.runInContext(context);
  return binding.names;
}

export function prepareContext(display: unknown, { bind }: { bind: boolean }): TaskContext {
  const registry: TimerRegistry = new Set();
  const sandbox: Record<string, unknown> = { ...timers(registry), require: taskRequire, display };
  for (const name of NODE_GLOBALS) if (name in globalThis) sandbox[name] = (globalThis as Record<string, unknown>)[name];
  const context = vm.createContext(sandbox, { name: 'tsp2p task' });
  return { context, realm: realmOf(context), timers: registry, bound: bind ? bindGlobals(context) : new Set() };
}

/** A task global named like a bound one would be hidden by the binding: such a task needs a plain context. */
export function needsPlainContext(prepared: TaskContext, globals: Iterable<string>): boolean {
  for (const name of globals) if (prepared.bound.has(name)) return true;
  return false;
}

/**
 * The error a script gets, before any of it runs, when it declares a name the context already has: no
 * frame of the script is on its stack. 'bound': a name the context binds for speed (`const crypto =
 * require('crypto')`); such a task runs again in a plain context. 'restricted': a non-configurable global
 * that appeared after the slot started (`gc`, once a task enabled --expose-gc); no context is without it,
 * so the task runs again in a plain context with its code in a block, where declarations shadow globals.
 */
export function declarationConflict(err: unknown, prepared: TaskContext, filename: string): 'bound' | 'restricted' | null {
  if (!types.isNativeError(err) || err.name !== 'SyntaxError' || (err.stack ?? '').includes(filename)) return null;
  const declared = /^Identifier '([^']+)' has already been declared$/.exec(err.message)?.[1];
  if (declared === undefined) return null;
  if (prepared.bound.has(declared)) return 'bound';
  const global = vm.runInContext('globalThis', prepared.context) as object;
  return Object.getOwnPropertyDescriptor(global, declared)?.configurable === false ? 'restricted' : null;
}
