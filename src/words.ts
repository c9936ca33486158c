/** "1 worker", "3 workers": counts in words a person reads, in the terminal and in a notebook alike. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
