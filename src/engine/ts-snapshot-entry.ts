/**
 * The startup snapshot's builder, run by ts-snapshot.ts as `node --snapshot-blob B --build-snapshot
 * ts-snapshot-entry.js PLAN` (PLAN: JSON naming the files below and where to list what was read). It loads
 * tslab and its TypeScript, builds the converter at NEUTRAL_CWD and warms it up; the snapshot keeps that
 * heap, and a process started from it serves at once (ts-process.ts).
 *
 * A snapshot builder can require only Node's built-in modules, so the files are loaded here: CommonJS as
 * they are, this package's ES modules through TypeScript's own transpiler. Nothing may stay open in the
 * heap (a watcher cannot be in a snapshot): lib and @types files are not watched in it (they do not change
 * while a kernel runs; a new install rebuilds the snapshot).
 */
// A script, not a module: a snapshot builder runs CommonJS with only `require` (for Node's own modules),
// and tsconfig's moduleDetection "legacy" keeps tsc from adding `export {}`. Its names stay in this block;
// the modules it loads are described here by just what it uses of them.
{
const fs: typeof import('node:fs') = require('node:fs');
const path: typeof import('node:path') = require('node:path');
const v8: typeof import('node:v8') = require('node:v8');

interface TypeScriptModule {
  ModuleKind: { CommonJS: number };
  ScriptTarget: { ES2022: number };
  transpileModule(text: string, options: { compilerOptions: object; fileName: string }): { outputText: string };
  sys: {
    watchFile: (...args: never[]) => { close(): void };
    watchDirectory: (...args: never[]) => { close(): void };
    readFile(file: string, encoding?: string): string | undefined;
  };
}
interface Service {
  declareGlobals(text: string): void;
  buildNeutral(): void;
}
interface EngineModule {
  TypeScriptService: new (modules: { converter: unknown; ts: unknown }) => Service;
}
interface ProcessModule {
  serveOnChannel(service: Service): void;
}

interface Plan {
  converter: string;
  ts: string;
  /** This package's compiled code (dist): its ES modules are rewritten as CommonJS. */
  dist: string;
  /** Where to write the files the snapshot depends on, one per line. */
  inputs: string;
  /** Modules (dist, importing nothing) whose exported strings are global declarations the kernel makes. */
  globals: string[];
}

const plan: Plan = JSON.parse(process.argv[2] ?? '{}');
const read = new Set<string>();
const loaded = new Map<string, { exports: unknown }>();
let typescript: TypeScriptModule | null = null;

function resolveFile(file: string): string {
  for (const candidate of [file, `${file}.js`, `${file}.json`, path.join(file, 'index.js')]) {
    if (fs.statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
  }
  throw new Error(`snapshot builder: cannot find ${file}`);
}

/** A package's entry as CommonJS sees it ("main"), or a file in it; null for Node's own modules. */
function resolveModule(specifier: string, from: string): string | null {
  if (specifier.startsWith('node:')) return null;
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) return resolveFile(path.resolve(from, specifier));
  const parts = specifier.split('/');
  const name = parts.slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  for (let dir = from; ; dir = path.dirname(dir)) {
    const packageDir = path.join(dir, 'node_modules', name);
    if (fs.existsSync(packageDir)) {
      if (name !== specifier) return resolveFile(path.join(dir, 'node_modules', specifier));
      const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { main?: string };
      return resolveFile(path.join(packageDir, manifest.main ?? 'index.js'));
    }
    if (dir === path.dirname(dir)) return null;
  }
}

function load(file: string): unknown {
  const cached = loaded.get(file);
  if (cached) return cached.exports;
  const module = { exports: {} as unknown };
  loaded.set(file, module);
  read.add(file);
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.json')) {
    module.exports = JSON.parse(text);
    return module.exports;
  }
  const source = oneByte(file.startsWith(plan.dist + path.sep) ? toCommonJs(file, text) : text);
  const dir = path.dirname(file);
  const requireHere = (specifier: string): unknown => {
    const resolved = resolveModule(specifier, dir);
    return resolved === null ? require(specifier) : load(resolved);
  };
  requireHere.resolve = (specifier: string): string => resolveModule(specifier, dir) ?? specifier;
  new Function('exports', 'require', 'module', '__filename', '__dirname', source)(module.exports, requireHere, module, file, dir);
  return module.exports;
}

/**
 * The same source as a string of one byte per character. V8 keeps a script's source in the heap, and one
 * character above U+00FF (typescript.js has five, in comments) makes all 8 MB of it two bytes a character:
 * 8 MB more to load at every start (~20 ms). Such characters become \u escapes, which mean the same in
 * strings, regular expressions and names, and nothing in comments (one escaped by a backslash, `\→`,
 * loses that backslash: the escape stands for it). A string built from Latin-1 bytes is one-byte; what
 * `replace` returns keeps the two-byte form of its subject.
 */
function oneByte(source: string): string {
  const escaped = source.replace(/(\\*)([^\x00-\xff])/g, (_, backslashes: string, c: string) => {
    const kept = backslashes.length % 2 === 1 ? backslashes.slice(1) : backslashes;
    return `${kept}\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return Buffer.from(escaped, 'latin1').toString('latin1');
}

/** This package's ES modules, rewritten as CommonJS (what a snapshot builder can evaluate). */
function toCommonJs(file: string, text: string): string {
  if (!typescript) throw new Error('snapshot builder: TypeScript must load first');
  const options = { module: typescript.ModuleKind.CommonJS, target: typescript.ScriptTarget.ES2022 };
  return typescript.transpileModule(text, { compilerOptions: options, fileName: file }).outputText;
}

typescript = load(plan.ts) as TypeScriptModule;
const converter = load(plan.converter);
const { TypeScriptService } = load(path.join(plan.dist, 'engine', 'typescript.js')) as EngineModule;
const { serveOnChannel } = load(path.join(plan.dist, 'engine', 'ts-process.js')) as ProcessModule;

const sys = typescript.sys;
const { watchFile, watchDirectory, readFile } = sys;
const unwatched = (): { close(): void } => ({ close: () => undefined });
sys.watchFile = unwatched;
sys.watchDirectory = unwatched;
sys.readFile = (file: string, encoding?: string): string | undefined => {
  read.add(file);
  return readFile(file, encoding);
};
const service = new TypeScriptService({ converter, ts: typescript });
// Declared before the converter is built and warmed, as the kernel will declare them (the same text costs
// nothing then); read through load(), so the stamp lists them and a change makes the snapshot unusable.
for (const file of plan.globals ?? []) {
  for (const text of Object.values(load(file) as Record<string, unknown>)) if (typeof text === 'string') service.declareGlobals(text);
}
service.buildNeutral();
Object.assign(sys, { watchFile, watchDirectory, readFile });

fs.writeFileSync(plan.inputs, [...read].filter((file) => fs.existsSync(file)).join('\n') + '\n');
v8.startupSnapshot.setDeserializeMainFunction(() => serveOnChannel(service));
}
