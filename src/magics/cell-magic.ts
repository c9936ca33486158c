/**
 * The %%p2p cell magic: the cell is TypeScript, type-checked and converted in the kernel against earlier
 * cells, sent with the kernel variables it uses, and run on a worker. Output streams back live; the last
 * expression becomes Out[n]. With --all it runs on every worker and the outputs come grouped per worker.
 */
import { Tsp2pError } from '../errors.js';
import { cellSources } from '../engine/cell-sources.js';
import type { TypeScriptEngine } from '../engine/engine.js';
import { diagnosticsReport, thrownReport } from '../engine/error-report.js';
import { inspectValue, toMimeBundle } from '../display/mime.js';
import type { ErrorContent, ExecuteOutcome, OutputSink } from '../jupyter/executor.js';
import { numberOption, textOption, type OptionValue } from '../options.js';
import type { TaskHandle, WorkerInfo } from '../p2p/task-handle.js';
import { attachTask, cancelledReport, showWaiting, traceToCells } from './remote-run.js';
import { workerName } from './render.js';
import type { P2PSession } from './session.js';
import { shipCell } from './ship.js';

function fail(sink: OutputSink, report: ErrorContent): ExecuteOutcome {
  sink.error(report);
  return { status: 'error', ...report };
}

/** The cell as the notebook shows it: its label, and the line its body starts on (after the %%p2p line). */
export interface CellPlace {
  label: string;
  firstLine: number;
}

export async function runCellMagic(engine: TypeScriptEngine, session: P2PSession, body: string, options: Record<string, OptionValue>, sink: OutputSink, place: CellPlace): Promise<ExecuteOutcome> {
  const name = textOption(options, 'name');
  const cluster = session.requireCluster();
  const converted = await engine.convert(body);
  if (converted.diagnostics.length > 0) return fail(sink, diagnosticsReport(body, converted.diagnostics, place.firstLine));
  const js = converted.output ?? '';
  // Never run here: kept only so that the workers' stack frames can name the cell's lines.
  cellSources.add(`p2p-${place.label}`, { ...place, source: body, generated: js });
  const shipment = shipCell(js, converted.lastExpressionVar, engine.variables);
  const timeoutMs = numberOption(options, 'timeout');
  const spec = (worker?: string) => ({ code: shipment.code, globals: shipment.globals, ...(timeoutMs ? { timeoutMs } : {}), ...(worker ? { worker } : {}) });

  const traced = (handle: TaskHandle) => (traceToCells(handle, shipment), handle);
  if (options.all) return runOnAll(engine, cluster.workers(), (w) => traced(cluster.run(spec(w.id))), name, sink);

  const handle = cluster.run(spec(textOption(options, 'worker')));
  attachTask(handle, shipment, engine, sink);
  showWaiting(handle, cluster, sink);
  let value: unknown;
  try {
    value = await handle;
  } catch (err) {
    return fail(sink, cancelledReport(err, handle) ?? thrownReport(err));
  }
  if (name) engine.declareRemote(name, value);
  if (value !== undefined) sink.result(toMimeBundle(value), {});
  return { status: 'ok', userExpressions: {} };
}

/** As ipyparallel's %%px: one task per worker; each worker's output shown as a group when it finishes. */
async function runOnAll(
  engine: TypeScriptEngine,
  workers: WorkerInfo[],
  start: (worker: WorkerInfo) => TaskHandle,
  name: string | undefined,
  sink: OutputSink,
): Promise<ExecuteOutcome> {
  if (workers.length === 0) throw Tsp2pError.NO_WORKERS('the joined cluster', 0);
  const names = workers.map(workerName);
  const labels = workers.map((w, i) => (names.filter((n) => n === names[i]).length > 1 ? `${names[i]}#${w.id.slice(0, 6)}` : (names[i] as string)));
  const results: Record<string, unknown> = {};
  const failures: { label: string; report: ErrorContent }[] = [];
  const handles = workers.map((w) => start(w));
  const off = engine.onInterrupt(() => handles.forEach((h) => h.cancel()));
  try {
    await Promise.all(
      handles.map(async (handle, i) => {
        const label = labels[i] as string;
        let stdout = '';
        let stderr = '';
        const displays: Parameters<OutputSink['display']>[] = [];
        handle.on('stream', (stream, text) => (stream === 'stdout' ? (stdout += text) : (stderr += text)));
        handle.on('display', (event) => 'clear' in event || displays.push([event.data, event.metadata, { displayId: event.displayId, update: event.update }]));
        try {
          const value = await handle;
          results[label] = value;
          sink.stream('stdout', `[${label}]\n${stdout}${stdout && !stdout.endsWith('\n') ? '\n' : ''}`);
          if (stderr) sink.stream('stderr', `[${label}]\n${stderr}`);
          for (const d of displays) sink.display(...d);
          if (value !== undefined) sink.display({ ...toMimeBundle(value), 'text/plain': `Out[${label}]: ${inspectValue(value)}` }, {});
        } catch (err) {
          const report = thrownReport(err);
          failures.push({ label, report });
          sink.stream('stderr', `[${label}] ${report.ename}: ${report.evalue}\n${stderr}`);
        }
      }),
    );
  } finally {
    off();
  }
  if (failures.length > 0) {
    // Several workers' failures as one error (ipyparallel's CompositeError).
    const report: ErrorContent = {
      ename: 'CompositeError',
      evalue: `${failures.length} of ${workers.length} workers failed`,
      traceback: failures.flatMap(({ label, report: r }) => [`[${label}]`, ...r.traceback]),
    };
    return fail(sink, report);
  }
  if (name) engine.declareRemote(name, results);
  sink.result(toMimeBundle(results), {});
  return { status: 'ok', userExpressions: {} };
}
