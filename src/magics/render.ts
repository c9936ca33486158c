/** How p2p things look in a notebook: worker tables, progress bars, remote errors (each with a text twin). */
import type { MimeBundle } from '../display/bundle.js';
import type { WorkerInfo } from '../p2p/task-handle.js';
import { bar, counted } from '../words.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function workerName(w: WorkerInfo): string {
  return `${w.user}@${w.host}`;
}

/**
 * The workers as a join line lists them: `diana@vm, started by another notebook` for one another kernel
 * started (a personal cluster picks those up too), `started by this notebook` for this one's own.
 */
export function workerList(workers: readonly WorkerInfo[], ownOrigin: string): string {
  const said = workers.map((w) => {
    const origin = w.versions.origin;
    const note = origin === ownOrigin ? 'started by this notebook' : origin?.startsWith('notebook:') ? 'started by another notebook' : '';
    return note ? `${workerName(w)}, ${note}` : workerName(w);
  });
  return said.join(said.some((s) => s.includes(',')) ? '; ' : ', ');
}

export function workersTable(cluster: string, workers: readonly WorkerInfo[]): MimeBundle {
  const slots = workers.reduce((n, w) => n + w.slots, 0);
  const title = `${cluster}: ${counted(workers.length, 'worker')}, ${counted(slots, 'slot')}`;
  const columns = ['user', 'host', 'slots', 'busy', 'done', 'failed', 'cancelled', 'path', 'id'] as const;
  const rows = workers.map((w) => [w.user, w.host, String(w.slots), String(w.running), String(w.done), String(w.failed), String(w.cancelled), w.path, w.id.slice(0, 8)]);
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  const text = [title, ...(rows.length ? [line(columns), ...rows.map(line)] : ['no workers yet: start one with `tsp2p worker` or `%p2p worker`'])].join('\n');
  const html =
    `<div><b>${escapeHtml(title)}</b></div>` +
    (rows.length
      ? `<table><thead><tr>${columns.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
      : '<div>no workers yet: start one with <code>tsp2p worker</code> or <code>%p2p worker</code></div>');
  return { 'text/plain': text, 'text/html': html };
}

export function progressBar(label: string, done: number, total: number, detail = ''): MimeBundle {
  const percent = total > 0 ? Math.round((done / total) * 100) : 100;
  const text = `${label} ${bar(done, total, 30)}${detail ? ` ${detail}` : ''}`;
  const html =
    `<div style="font-family:monospace">${escapeHtml(label)} <progress value="${done}" max="${total}" style="width:20em"></progress> ` +
    `${done}/${total} (${percent}%)${detail ? ` ${escapeHtml(detail)}` : ''}</div>`;
  return { 'text/plain': text, 'text/html': html };
}

/** Rows of [what, finding] (tsp2p doctor) as a two-column table. */
export function findingsTable(title: string, rows: readonly (readonly [string, string])[]): MimeBundle {
  const width = Math.max(...rows.map(([what]) => what.length));
  const text = [title, ...rows.map(([what, finding]) => `${what.padEnd(width)}  ${finding}`)].join('\n');
  const html =
    `<div><b>${escapeHtml(title)}</b></div><table><tbody>` +
    rows.map(([what, finding]) => `<tr><th style="text-align:left">${escapeHtml(what)}</th><td style="text-align:left">${escapeHtml(finding)}</td></tr>`).join('') +
    '</tbody></table>';
  return { 'text/plain': text, 'text/html': html };
}
