/**
 * Tasks run in a fresh vm context: a realm with its own Object and Array. Values crossing into or out of it
 * are rebuilt as the plain objects and arrays of the other side, so that `x instanceof Array` holds for the
 * task's globals and superjson (which walks only its own realm's plain objects) sees all of a task's result.
 * Maps and Sets are walked for what they hold; everything else (typed arrays, dates, class instances) is
 * kept as it is: those constructors are shared with the task (see task-child.ts).
 */
import { types } from 'node:util';
import vm from 'node:vm';

export interface Realm {
  readonly objectPrototype: object;
  readonly array: ArrayConstructor;
}

export const HOST_REALM: Realm = { objectPrototype: Object.prototype, array: Array };

export function realmOf(context: vm.Context): Realm {
  const [objectPrototype, array] = vm.runInContext('[Object.prototype, Array]', context) as [object, ArrayConstructor];
  return { objectPrototype, array };
}

/** An Object.prototype of any realm: its own prototype is null and its constructor is that realm's Object. */
function isObjectPrototype(proto: object | null): boolean {
  if (proto === null) return true;
  if (Object.getPrototypeOf(proto) !== null) return false;
  const ctor = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name === 'Object';
}

/** `value` with its plain objects and arrays (at any depth, cycles kept) made in `realm`. */
export function rehome(value: unknown, realm: Realm, seen = new Map<object, unknown>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const copy = new realm.array(value.length);
    seen.set(value, copy);
    for (let i = 0; i < value.length; i++) if (i in value) copy[i] = rehome(value[i], realm, seen);
    return copy;
  }
  if (types.isMap(value)) {
    const copy = new Map();
    seen.set(value, copy);
    for (const [k, v] of value as Map<unknown, unknown>) copy.set(rehome(k, realm, seen), rehome(v, realm, seen));
    return copy;
  }
  if (types.isSet(value)) {
    const copy = new Set();
    seen.set(value, copy);
    for (const v of value as Set<unknown>) copy.add(rehome(v, realm, seen));
    return copy;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (!isObjectPrototype(proto)) return value;
  const copy = Object.create(proto === null ? null : realm.objectPrototype) as Record<string, unknown>;
  seen.set(value, copy);
  for (const key of Object.keys(value)) copy[key] = rehome((value as Record<string, unknown>)[key], realm, seen);
  return copy;
}
