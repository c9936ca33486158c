/**
 * What a remote run does in the notebook, in one place, for %%p2p cells and the p2p object alike: the
 * task's output and displays stream into the cell, a line says what it waits for, the stop button cancels
 * it (and the cell then says what was stopped), its error names the lines of the cells its code came from.
 */
import { Tsp2pError } from '../errors.js';
import { cellSources } from '../engine/cell-sources.js';
import type { TypeScriptEngine } from '../engine/engine.js';
import { interruptedReport } from '../engine/error-report.js';
import type { ErrorContent, OutputSink } from '../jupyter/executor.js';
import type { Cluster } from '../p2p/cluster.js';
import { taskFilename, type TaskHandle } from '../p2p/task-handle.js';
import { workerName } from './render.js';
import type { Shipment } from './ship.js';

/** Runs a user callback; what it throws shows in the cell (as background errors do) instead of unwinding p2p code. */
export function guarded(engine: TypeScriptEngine, callback: () => void): void {
  try {
    callback();
  } catch (err) {
    engine.reportBackground(err);
  }
}

/** A task that has not started after this long gets a line saying what it waits for. */
const WAITING_AFTER_MS = 500;

/**
 * While a task waits for a free worker, a line in the cell says so and is redrawn in place each second
 * ("waiting for a free worker of alice/friends: 4 busy, 0 free · 3 s"); once it starts, the line says where
 * and after how long. A quick task never shows it.
 */
export function showWaiting(handle: TaskHandle, cluster: Cluster, sink: OutputSink): void {
  const since = Date.now();
  const displayId = `tsp2p-waiting-${handle.id}`;
  let shown = false;
  const seconds = () => Math.round((Date.now() - since) / 1000);
  const draw = (text: string) => {
    sink.display({ 'text/plain': text, 'text/html': `<div style="font-family:monospace;color:#666">${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</div>` }, {}, { displayId, update: shown });
    shown = true;
  };
  const tick = () => {
    if (handle.status !== 'queued' && handle.status !== 'sent') return;
    const c = cluster.capacity();
    draw(`waiting for a free worker of ${cluster.label}: ${c.busy} busy, ${Math.max(0, c.slots - c.busy)} free · ${seconds()} s`);
  };
  const first = setTimeout(() => {
    tick();
    timer.refresh();
  }, WAITING_AFTER_MS);
  const timer = setInterval(tick, 1_000);
  const stop = () => {
    clearTimeout(first);
    clearInterval(timer);
    handle.off('status', onStatus);
  };
  const onStatus = (status: string) => {
    if (status === 'queued' || status === 'sent') return;
    stop();
    if (!shown) return;
    if (status === 'running' && handle.worker) draw(`waited ${seconds()} s for a free worker; running on ${workerName(handle.worker)}`);
    else draw(`waited ${seconds()} s for a free worker (${status})`);
  };
  handle.on('status', onStatus);
  first.unref();
  timer.unref();
}

/** The task's error, if it fails, names lines of the cells its code came from (cell-sources.ts). */
export function traceToCells(handle: TaskHandle, shipment: Shipment): void {
  // Made only for a task that fails: p2p.map sends thousands that do not.
  handle.result.catch((err: unknown) => {
    if (err !== null && typeof err === 'object') cellSources.traceTo(err, { filename: taskFilename(handle.id), code: shipment.code, pieces: shipment.pieces });
  });
}

/**
 * Streams a task's output and displays into `sink`, cancels it when the cell is interrupted, and has its
 * error point into the cells its code came from.
 */
export function attachTask(handle: TaskHandle, shipment: Shipment, engine: TypeScriptEngine, sink: OutputSink | null, onEmit?: (data: unknown) => void): void {
  traceToCells(handle, shipment);
  if (sink) {
    handle.on('stream', (name, text) => sink.stream(name, text));
    handle.on('display', (event) => ('clear' in event ? sink.clear(event.wait) : sink.display(event.data, event.metadata, { displayId: event.displayId, update: event.update })));
  }
  if (onEmit) handle.on('emit', (data) => guarded(engine, () => onEmit(data)));
  const off = engine.onInterrupt(() => handle.cancel());
  void handle.result.finally(off).catch(() => {});
}

/**
 * The cell's error when its remote work was cancelled (the stop button), said as what happened where: the
 * task stopped on its worker, or it had not reached one. Null for any other error.
 */
export function cancelledReport(err: unknown, handle?: TaskHandle): ErrorContent | null {
  if (!(err instanceof Tsp2pError) || (err.code !== 'TASK_CANCELLED' && err.code !== 'CANCELLED')) return null;
  if (!handle) return interruptedReport();
  const worker = handle.worker;
  return interruptedReport(worker ? `its task on ${workerName(worker)} was cancelled` : 'its task had not reached a worker, and will not run');
}
