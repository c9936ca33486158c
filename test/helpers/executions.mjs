// Tasks of the healing and chaos tests append "start I" and "end I" to a file: how many times each ran.
import { readFileSync } from 'node:fs';

/** How many times each task index started and ended, from the executions file. */
export function executions(file) {
  const counts = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [what, index] = line.split(' ');
    if (!what) continue;
    const entry = counts.get(Number(index)) ?? { start: 0, end: 0 };
    entry[what] += 1;
    counts.set(Number(index), entry);
  }
  return counts;
}
