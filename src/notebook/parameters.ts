/**
 * Parameters for a notebook run headless, as papermill does it: the values go into a new cell, tagged
 * `injected-parameters`, right after the cell tagged `parameters`. Each is declared again the way the
 * parameters cell declares it, type annotation included, so a value of the wrong type is a type error
 * in that cell, before any later cell runs (`-p region 5` where `region: keyof typeof presets`).
 */
import { Tsp2pError } from '../errors.js';
import { sourceOf, type Cell, type Notebook } from './nbformat.js';

const PARAMETERS_TAG = 'parameters';
const INJECTED_TAG = 'injected-parameters';

/** A value as typed on the command line: JSON when it parses as JSON (`4`, `true`, `[1,2]`), else the text. */
export function parameterValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const tagsOf = (cell: Cell): unknown[] => (Array.isArray(cell.metadata.tags) ? cell.metadata.tags : []);

interface Declaration {
  keyword: string;
  name: string;
  annotation: string | null;
}

/** Top-level declarations of a parameters cell: `const NAME[: TYPE] = ...` at the start of a line. */
function declarations(source: string): Map<string, Declaration> {
  const found = new Map<string, Declaration>();
  for (const match of source.matchAll(/^(const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*(.+?))?\s*=(?!>)/gm)) {
    const name = match[2] ?? '';
    found.set(name, { keyword: match[1] ?? 'const', name, annotation: match[3] ?? null });
  }
  return found;
}

/**
 * The notebook with `values` injected (an earlier injected cell is replaced, as papermill does). Throws
 * NO_PARAMETERS_CELL, or UNKNOWN_PARAMETER for a name the parameters cell does not declare (a typo would
 * otherwise be silently ignored).
 */
export function injectParameters(notebook: Notebook, values: Record<string, unknown>, file: string): Notebook {
  const cells = notebook.cells.filter((c) => !tagsOf(c).includes(INJECTED_TAG));
  const at = cells.findIndex((c) => c.cell_type === 'code' && tagsOf(c).includes(PARAMETERS_TAG));
  if (at < 0) throw Tsp2pError.NO_PARAMETERS_CELL(file);
  const declared = declarations(sourceOf(cells[at] as Cell));
  const lines = ['// Parameters of this run (tsp2p run -p / -f)'];
  for (const [name, value] of Object.entries(values)) {
    const d = declared.get(name);
    if (!d) throw Tsp2pError.UNKNOWN_PARAMETER(name, file, [...declared.keys()]);
    lines.push(`${d.keyword} ${name}${d.annotation ? `: ${d.annotation}` : ''} = ${JSON.stringify(value)};`);
  }
  const injected: Cell = { cell_type: 'code', source: lines.join('\n'), metadata: { tags: [INJECTED_TAG] }, outputs: [], execution_count: null };
  return { ...notebook, cells: [...cells.slice(0, at + 1), injected, ...cells.slice(at + 1)] };
}
