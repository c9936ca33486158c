/** The parts of nbformat 4 that tsp2p reads and writes. https://nbformat.readthedocs.io/en/latest/format_description.html */
import { readFileSync, writeFileSync } from 'node:fs';
import { Tsp2pError } from '../errors.js';
import type { JsonObject, Message, MimeBundle } from '../jupyter/messages.js';

export type Output =
  | { output_type: 'stream'; name: string; text: string }
  | { output_type: 'display_data'; data: MimeBundle; metadata: JsonObject; transient?: JsonObject }
  | { output_type: 'execute_result'; data: MimeBundle; metadata: JsonObject; execution_count: number | null }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

export interface Cell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  metadata: JsonObject;
  outputs?: Output[];
  execution_count?: number | null;
  id?: string;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: JsonObject;
  cells: Cell[];
}

export function sourceOf(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

export function readNotebook(file: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(readFileSync(file, 'utf8')) as Notebook;
  } catch (err) {
    throw Tsp2pError.BAD_NOTEBOOK(file, `not a readable notebook: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (nb.nbformat !== 4 || !Array.isArray(nb.cells)) throw Tsp2pError.BAD_NOTEBOOK(file, 'only nbformat 4 notebooks are supported');
  return nb;
}

export function writeNotebook(file: string, nb: Notebook): void {
  writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
}

/**
 * Collects one cell's iopub messages into nbformat outputs, as a notebook front end would: consecutive
 * streams merge, clear_output empties the cell (after the next output when wait), and update_display_data
 * rewrites every output shown under that display_id, in any cell (`displays` is shared by the notebook).
 */
export class OutputCollector {
  readonly outputs: Output[] = [];
  #clearPending = false;

  constructor(private readonly displays: Map<string, { data: MimeBundle; metadata: JsonObject }[]>) {}

  add(msg: Message): void {
    const c = msg.content as Record<string, unknown>;
    const type = msg.header.msg_type;
    if (type === 'clear_output') {
      if (c.wait) this.#clearPending = true;
      else this.outputs.length = 0;
      return;
    }
    if (type === 'update_display_data') {
      const id = (c.transient as { display_id?: string } | undefined)?.display_id;
      for (const shown of (id && this.displays.get(id)) || []) {
        shown.data = c.data as MimeBundle;
        shown.metadata = (c.metadata as JsonObject) ?? {};
      }
      return;
    }
    if (this.#clearPending) {
      this.outputs.length = 0;
      this.#clearPending = false;
    }
    if (type === 'stream') {
      const last = this.outputs[this.outputs.length - 1];
      if (last?.output_type === 'stream' && last.name === c.name) last.text += String(c.text);
      else this.outputs.push({ output_type: 'stream', name: String(c.name), text: String(c.text) });
    } else if (type === 'display_data') {
      const output = { output_type: 'display_data' as const, data: c.data as MimeBundle, metadata: (c.metadata as JsonObject) ?? {} };
      const id = (c.transient as { display_id?: string } | undefined)?.display_id;
      if (id) this.displays.set(id, [...(this.displays.get(id) ?? []), output]);
      this.outputs.push(output);
    } else if (type === 'execute_result') {
      this.outputs.push({ output_type: 'execute_result', data: c.data as MimeBundle, metadata: (c.metadata as JsonObject) ?? {}, execution_count: (c.execution_count as number) ?? null });
    } else if (type === 'error') {
      this.outputs.push({ output_type: 'error', ename: String(c.ename), evalue: String(c.evalue), traceback: (c.traceback as string[]) ?? [] });
    }
  }
}
