/**
 * Stack frames in the words of the notebook: `at parse (In [3], line 2)` and the line itself, instead of a
 * position in the JavaScript the cell became (`cell-3.js:4:26`), locally and for frames from workers.
 *
 * The kernel keeps each recent cell's source and the JavaScript it ran. A worker's frame points into the
 * task's code, which is made of pieces of cells (a %%p2p cell's JavaScript, a function's source): the
 * piece holding the position is found in the cell it came from, then mapped like a local frame.
 */
import { PositionMap } from './position-map.js';

export interface CellSource {
  /** How the notebook names the cell: `In [3]`. */
  label: string;
  /** What the user wrote, from `firstLine` of the cell on (a %%p2p cell's body starts on line 2). */
  source: string;
  firstLine: number;
  /** The JavaScript that ran (or was sent), exactly. */
  generated: string;
  /** Where in `generated` the cell's own code is; frames elsewhere are the engine's wrapper, not the user's. */
  code?: { start: number; end: number };
}

/** Code whose positions a stack refers to, and the pieces of cells it was made of. */
export interface CodeOrigin {
  filename: string;
  code: string;
  /** Offsets in `code` of each piece taken whole from a cell's JavaScript. */
  pieces: { start: number; length: number }[];
}

const KEPT_CELLS = 200;
const FRAME = /^(\s*at )(?:(.*?) \()?([^()\s]+?):(\d+):(\d+)(\)?)$/;
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

interface Located {
  cell: CellSource;
  line: number;
  column: number;
}

/** A frame of the machinery around the user's code (the wrapper a cell runs in, a task's preamble). */
const MACHINERY = 'machinery';

class Cell {
  #map: PositionMap | null = null;
  constructor(readonly source: CellSource) {}
  get map(): PositionMap {
    this.#map ??= new PositionMap(this.source.source, this.source.generated);
    return this.#map;
  }
}

export class CellSources {
  /** By the filename the cell's JavaScript ran as (`cell-3.js`), oldest first. */
  #cells = new Map<string, Cell>();
  /** What a stack's positions refer to, for errors whose code is not a cell (a worker's task). */
  readonly origins = new WeakMap<object, CodeOrigin>();

  add(filename: string, source: CellSource): void {
    this.#cells.delete(filename);
    this.#cells.set(filename, new Cell(source));
    if (this.#cells.size > KEPT_CELLS) this.#cells.delete(this.#cells.keys().next().value as string);
  }

  /** `error`'s stack positions are in `origin` (a task it ran as, say). */
  traceTo(error: object, origin: CodeOrigin): void {
    this.origins.set(error, origin);
  }

  #inCell(cell: Cell, offset: number): Located | null {
    const at = cell.map.sourcePosition(offset);
    return at ? { cell: cell.source, line: at.line + cell.source.firstLine, column: at.column } : null;
  }

  /** A 1-based line and column of `filename`, in the cell it came from. */
  locate(filename: string, line: number, column: number, origin?: CodeOrigin): Located | typeof MACHINERY | null {
    const cell = this.#cells.get(filename);
    if (cell) {
      const offset = cell.map.offsetOf({ line: line - 1, column: column - 1 });
      const code = cell.source.code;
      if (offset !== null && code && (offset < code.start || offset >= code.end)) return MACHINERY;
      return offset === null ? null : this.#inCell(cell, offset);
    }
    if (!origin || origin.filename !== filename) return null;
    const lines = origin.code.split('\n');
    if (line < 1 || line > lines.length) return null;
    const offset = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
    const piece = origin.pieces.find((p) => p.start <= offset && offset < p.start + p.length);
    if (!piece) return MACHINERY;
    const text = origin.code.slice(piece.start, piece.start + piece.length);
    // The newest cell holding the piece: a function redefined later is the later cell's.
    for (const candidate of [...this.#cells.values()].reverse()) {
      const at = candidate.source.generated.indexOf(text);
      if (at >= 0) return this.#inCell(candidate, at + offset - piece.start);
    }
    return null;
  }

  /**
   * Frames rewritten where they point into a cell: `at f (In [3], line 2)`, the line under it, and a caret
   * under the first one's column. Frames elsewhere stay as they are.
   */
  frames(lines: readonly string[], origin?: CodeOrigin): string[] {
    const out: string[] = [];
    let caret = true;
    // Recursion repeats a frame: shown once, with a count (as IPython skips similar frames).
    let previous = '';
    let repeats = 0;
    const flush = () => {
      if (repeats > 0) out.push(`    ... the frame above ${repeats} more time${repeats === 1 ? '' : 's'}`);
      repeats = 0;
    };
    for (const frame of lines) {
      if (frame === previous && FRAME.test(frame)) {
        repeats++;
        continue;
      }
      flush();
      previous = frame;
      const match = FRAME.exec(frame);
      const located = match ? this.locate(match[3] as string, Number(match[4]), Number(match[5]), origin) : null;
      if (located === MACHINERY) continue;
      if (!match || !located) {
        out.push(frame);
        continue;
      }
      const where = `${located.cell.label}, line ${located.line}`;
      // A function of an earlier cell is called as a property of the cells' exports: "Object.parse".
      const name = match[2]?.replace(/^Object\./, '');
      out.push(`${match[1]}${name ? `${name} (${where})` : where}`);
      const text = located.cell.source.split('\n')[located.line - located.cell.firstLine];
      if (text === undefined) continue;
      const gutter = `${String(located.line).padStart(6)} | `;
      out.push(`${DIM}${gutter}${RESET}${text}`);
      if (caret) out.push(`${' '.repeat(gutter.length + located.column)}^`);
      caret = false;
    }
    flush();
    return out;
  }
}

/** The kernel's cells: one engine per process. */
export const cellSources = new CellSources();
