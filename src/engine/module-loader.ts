/**
 * `require` for cells: resolves packages from the notebook's directory, answers hooked names (`tslab`)
 * with the kernel's own objects, and loads local .ts files that the converter compiled alongside a cell
 * (`import { f } from "./lib"`), recompiled whenever they change.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

export interface CompiledFile {
  path: string;
  data: string;
}

export interface ModuleLoader {
  readonly require: NodeJS.Require;
  addCompiled(files: readonly CompiledFile[]): void;
}

interface LoadedModule {
  exports: unknown;
}

export function createModuleLoader(cwd: string, hooks: Record<string, () => unknown>): ModuleLoader {
  const compiled = new Map<string, string>();
  const loaded = new Map<string, LoadedModule>();

  function loadCompiled(filename: string): LoadedModule {
    const cached = loaded.get(filename);
    if (cached) return cached;
    const module: LoadedModule = { exports: {} };
    loaded.set(filename, module);
    const fn = vm.compileFunction(compiled.get(filename) as string, ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
    fn(module.exports, makeRequire(path.dirname(filename)), module, filename, path.dirname(filename));
    return module;
  }

  function makeRequire(dir: string): NodeJS.Require {
    const base = createRequire(path.join(dir, '__tsp2p_cell__.js'));
    const hooked = (id: string): unknown => {
      const hook = hooks[id];
      if (hook) return hook();
      if (id.startsWith('.') || path.isAbsolute(id)) {
        const filename = path.resolve(dir, id);
        for (const candidate of [filename, `${filename}.js`, path.join(filename, 'index.js')]) {
          if (compiled.has(candidate)) return loadCompiled(candidate).exports;
        }
      }
      return base(id);
    };
    return Object.assign(hooked, { resolve: base.resolve, cache: base.cache, main: base.main, extensions: base.extensions }) as NodeJS.Require;
  }

  return {
    require: makeRequire(cwd),
    addCompiled(files) {
      for (const file of files) {
        compiled.set(file.path, file.data);
        loaded.delete(file.path);
      }
    },
  };
}
