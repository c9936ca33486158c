/**
 * Where a position in generated JavaScript came from in the TypeScript a user wrote.
 *
 * tslab's converter emits no source map (its second pass, ES module to CommonJS, is a fresh transpile), so
 * the two texts are aligned token by token instead: the JavaScript holds the cell's identifiers, literals
 * and punctuation in the cell's order, with types taken out and the converter's `exports.` rewrites put
 * in. A shortest edit script (Myers' O(ND) diff) over the two token lists pairs every token that survived
 * with its origin. This works on any JavaScript taken from a cell, including a function's source sent to a
 * worker, and costs nothing until an error needs it.
 */

interface Token {
  text: string;
  start: number;
}

/** Comments, strings and template literals whole, words and numbers, then any other single character. */
const TOKEN = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|`(?:\\[\s\S]|[^`\\])*`|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|[A-Za-z_$][\w$]*|\d[\w.]*|\S/g;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(TOKEN)) {
    // Comments are not code: TypeScript keeps most of them, but not all, and not always in place.
    if (match[0].startsWith('//') || match[0].startsWith('/*')) continue;
    tokens.push({ text: match[0], start: match.index ?? 0 });
  }
  return tokens;
}

/**
 * For each token of `b`, the index of the token of `a` it is paired with, or -1 (inserted). Null when the
 * texts differ in more than `maxEdits` tokens: then no answer is better than a slow or wrong one.
 */
export function alignTokens(a: readonly string[], b: readonly string[], maxEdits = 4000): Int32Array | null {
  const pairs = new Int32Array(b.length).fill(-1);
  // A shared head and tail need no search.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) pairs[head] = head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) {
    pairs[b.length - 1 - tail] = a.length - 1 - tail;
    tail++;
  }
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  const same = (x: number, y: number) => a[head + x] === b[head + y];
  // v[k + max]: the furthest x reached on diagonal k (y = x - k); trace[d] keeps v over [-d, d] after step d.
  const max = n + m;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let end = -1;
  for (let d = 0; d <= Math.min(max, maxEdits) && end < 0; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[max + k - 1] as number) < (v[max + k + 1] as number)) ? (v[max + k + 1] as number) : (v[max + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && same(x, y)) {
        x++;
        y++;
      }
      v[max + k] = x;
      if (x >= n && y >= m) end = d;
    }
    trace.push(v.slice(max - d, max + d + 1));
  }
  if (end < 0) return null;
  // Walk back from the end, pairing the diagonal runs.
  let x = n;
  let y = m;
  for (let d = end; d > 0; d--) {
    const before = trace[d - 1] as Int32Array;
    const at = (k: number) => before[k + d - 1] as number;
    const k = x - y;
    const fromK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const fromX = at(fromK);
    const fromY = fromX - fromK;
    const stepX = fromK === k + 1 ? fromX : fromX + 1;
    while (x > stepX) {
      x--;
      y--;
      pairs[head + y] = head + x;
    }
    x = fromX;
    y = fromY;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    pairs[head + y] = head + x;
  }
  keepRunsTogether(pairs, b);
  return pairs;
}

/**
 * Among equally short edit scripts, prefers the one that keeps runs together: a token paired far from the
 * token that follows it in both lists moves next to it when an equal token waits there. (`parse("{}")`
 * after `exports.parse = parse;` pairs its `parse` with the one in the call, not with the assignment's.)
 */
function keepRunsTogether(pairs: Int32Array, b: readonly string[]): void {
  let next = -1;
  for (let j = pairs.length - 1; j >= 0; j--) {
    const i = pairs[j] as number;
    if (i < 0) continue;
    if (next > j + 1 && pairs[next] === i + 1 && pairs[next - 1] === -1 && b[next - 1] === b[j]) {
      pairs[next - 1] = i;
      pairs[j] = -1;
      next -= 1;
    } else {
      next = j;
    }
  }
}

export interface Position {
  /** 0-based. */
  line: number;
  column: number;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function positionOf(starts: readonly number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, column: offset - (starts[lo] as number) };
}

export class PositionMap {
  readonly #source: Token[];
  readonly #generated: Token[];
  readonly #pairs: Int32Array | null;
  readonly #sourceLines: number[];
  readonly #generatedLines: number[];

  constructor(source: string, readonly generated: string) {
    this.#source = tokenize(source);
    this.#generated = tokenize(generated);
    this.#pairs = alignTokens(this.#source.map((t) => t.text), this.#generated.map((t) => t.text));
    this.#sourceLines = lineStarts(source);
    this.#generatedLines = lineStarts(generated);
  }

  /** The offset in the generated text of a 0-based line and column (as a stack frame gives them, less one). */
  offsetOf(position: Position): number | null {
    const start = this.#generatedLines[position.line];
    return start === undefined ? null : start + position.column;
  }

  /**
   * Where the generated text's `offset` came from. A position inside a token that survived maps into its
   * origin; one on an inserted token (`exports.`, say) maps to the next token that survived on its line,
   * else the previous one.
   */
  sourcePosition(offset: number): Position | null {
    if (!this.#pairs) return null;
    const tokens = this.#generated;
    // The token at `offset`, or the first after it.
    let lo = 0;
    let hi = tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const t = tokens[mid] as Token;
      if (t.start + t.text.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    const line = positionOf(this.#generatedLines, offset).line;
    const onLine = (i: number) => i >= 0 && i < tokens.length && positionOf(this.#generatedLines, (tokens[i] as Token).start).line === line;
    const candidates: number[] = [];
    for (let i = lo; onLine(i); i++) candidates.push(i);
    for (let i = lo - 1; onLine(i); i--) candidates.push(i);
    for (const i of candidates) {
      const paired = this.#pairs[i] as number;
      if (paired < 0) continue;
      const token = tokens[i] as Token;
      const origin = this.#source[paired] as Token;
      const within = Math.min(Math.max(0, offset - token.start), origin.text.length - 1);
      return positionOf(this.#sourceLines, origin.start + (i === lo ? within : 0));
    }
    return null;
  }
}
