/** Help text is wrapped at this width: a notebook output (at 1280 px) and a terminal both show it whole. */
export const TEXT_WIDTH = 96;

/**
 * `text` wrapped at word boundaries to `width` columns, continuation lines indented by `hang` spaces (to sit
 * under a description's first word). A notebook would otherwise break long lines mid-word.
 */
export function wrap(text: string, width = TEXT_WIDTH, hang = 0): string {
  // Words and the runs of spaces between them (kept: columns are padded with spaces).
  const parts = text.split(/( +)/);
  const lines: string[] = [];
  let line = parts[0] ?? '';
  for (let i = 1; i < parts.length; i += 2) {
    const gap = parts[i] as string;
    const word = parts[i + 1] ?? '';
    if ((line + gap + word).length > width && line.trim()) {
      lines.push(line);
      line = `${' '.repeat(hang)}${word}`;
    } else {
      line += gap + word;
    }
  }
  lines.push(line);
  return lines.join('\n');
}

/** `[#######.....] 7/12`: progress in text, drawn the same in a terminal and in a notebook's text/plain. */
export function bar(done: number, total: number, width = 24): string {
  const filled = total > 0 ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

/** "1 worker", "3 workers": counts in words a person reads, in the terminal and in a notebook alike. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
