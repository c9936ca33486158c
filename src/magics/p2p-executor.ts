/**
 * The kernel's executor: the TypeScript engine, plus the %p2p line magics, the %%p2p cell magic and the
 * `p2p` object. Cells without magics go to the engine untouched.
 */
import type { TypeScriptEngine } from '../engine/engine.js';
import { thrownReport } from '../engine/error-report.js';
import type { CompleteResult, ErrorContent, ExecuteOutcome, ExecuteRequest, Executor, InspectResult, IsCompleteResult, OutputSink } from '../jupyter/executor.js';
import { createP2PApi } from './p2p-api.js';
import { P2P_DECLARATIONS } from './p2p-declarations.js';
import { completeMagic, inspectMagic, type CompletionSources } from './completion.js';
import { parseCell, type LineDirective } from './parse.js';
import { workerName } from './render.js';
import { runCellMagic } from './cell-magic.js';
import { cancelledReport } from './remote-run.js';
import { runLineMagic } from './line-magics.js';
import { P2PSession } from './session.js';

function failure(sink: OutputSink, report: ErrorContent): ExecuteOutcome {
  sink.error(report);
  return { status: 'error', ...report };
}

export class P2PExecutor implements Executor {
  readonly session = new P2PSession();

  constructor(readonly engine: TypeScriptEngine) {
    engine.declareGlobals(P2P_DECLARATIONS);
    (globalThis as Record<string, unknown>).p2p = createP2PApi(this.session, engine);
  }

  get languageInfo() {
    return this.engine.languageInfo;
  }

  get banner() {
    return this.engine.banner;
  }

  async execute(request: ExecuteRequest, sink: OutputSink): Promise<ExecuteOutcome> {
    let directive;
    try {
      directive = parseCell(request.code);
    } catch (err) {
      // A bad magic argument: say what was wrong, with the usage.
      return failure(sink, thrownReport(err));
    }
    // `return await`, not `return`: a returned promise costs a queued job, and a cell stopped by the inspector's
    // terminateExecution drops the jobs queued behind it, which would leave this cell without a reply.
    if (directive.kind === 'none') return await this.engine.execute(request, sink);
    const magic = directive;
    return await this.engine.runCell(sink, () => this.#magic(magic, sink, `In [${request.executionCount}]`));
  }

  async #magic(directive: Exclude<ReturnType<typeof parseCell>, { kind: 'none' }>, sink: OutputSink, label: string): Promise<ExecuteOutcome> {
    if (directive.kind === 'lines') return this.#lines(directive.lines, sink);
    if (directive.help) {
      sink.stream('stdout', directive.help + '\n');
      return { status: 'ok', userExpressions: {} };
    }
    try {
      return await runCellMagic(this.engine, this.session, directive.body, directive.options, sink, { label, firstLine: directive.bodyLine });
    } catch (err) {
      return failure(sink, this.#report(err));
    }
  }

  async #lines(lines: LineDirective[], sink: OutputSink): Promise<ExecuteOutcome> {
    for (const line of lines) {
      if (line.kind === 'help') {
        sink.stream('stdout', line.text + '\n');
        continue;
      }
      const stop = new AbortController();
      const off = this.engine.onInterrupt(() => stop.abort());
      try {
        await runLineMagic(this.session, line, sink, stop.signal);
      } catch (err) {
        return failure(sink, this.#report(err));
      } finally {
        off();
      }
    }
    return { status: 'ok', userExpressions: {} };
  }

  #report(err: unknown): ErrorContent {
    return cancelledReport(err) ?? thrownReport(err);
  }

  /**
   * On a magic line, the magic's options and their values (completion.ts); inside a %%p2p cell, the cell's
   * TypeScript body.
   */
  async complete(code: string, cursorPos: number): Promise<CompleteResult> {
    const magic = await completeMagic(code, cursorPos, this.#completionSources);
    if (magic) return magic;
    const magicLine = /^([ \t]*%%p2p\b[^\n]*\n)/.exec(code);
    if (magicLine?.[1] && cursorPos >= magicLine[1].length) {
      const offset = magicLine[1].length;
      const r = await this.engine.complete(code.slice(offset), cursorPos - offset);
      return { ...r, cursorStart: r.cursorStart + offset, cursorEnd: r.cursorEnd + offset };
    }
    return this.engine.complete(code, cursorPos);
  }

  readonly #completionSources: CompletionSources = {
    workers: async () => (this.session.cluster?.workers() ?? []).map(workerName),
    // Loaded when first asked: the kernel starts without the p2p modules.
    // Clusters this home knows, then `FRIEND/` for each friend whose clusters it does not (yet).
    clusters: async () => {
      const [{ knownClusters }, { loadIdentity }, { listFriends }] = await Promise.all([import('../p2p/membership.js'), import('../p2p/identity.js'), import('../p2p/friends.js')]);
      try {
        const known = knownClusters(loadIdentity());
        const owners = new Set(known.map((c) => c.split('/')[0]));
        return [...known, ...listFriends().filter((f) => !owners.has(f.name)).map((f) => `${f.name}/`)];
      } catch {
        return [];
      }
    },
  };

  async inspect(code: string, cursorPos: number, detailLevel: number): Promise<InspectResult> {
    const magic = inspectMagic(code, cursorPos);
    if (magic) return magic;
    const magicLine = /^([ \t]*%%p2p\b[^\n]*\n)/.exec(code);
    if (magicLine?.[1]) return this.engine.inspect(code.slice(magicLine[1].length), cursorPos - magicLine[1].length, detailLevel);
    return this.engine.inspect(code, cursorPos, detailLevel);
  }

  /**
   * A line magic is complete as typed. A cell magic, as in IPython, is complete only once its last line is
   * blank: `%%p2p` alone, or with a body being typed, is not (else jupyter console would run an empty remote
   * cell on Enter, and the next line in the kernel).
   */
  async isComplete(code: string): Promise<IsCompleteResult> {
    if (/^\s*%p2p\b/.test(code)) return { status: 'complete' };
    const magicLine = /^([ \t]*%%p2p\b[^\n]*\n?)/.exec(code);
    if (!magicLine?.[1]) return this.engine.isComplete(code);
    if (/\n[ \t]*$/.test(code)) return { status: 'complete' };
    // The next line's indent is the body's, as the kernel's own cells get it (inside an open block, say).
    const body = code.slice(magicLine[1].length);
    const inner = body.trim() ? await this.engine.isComplete(body) : null;
    return { status: 'incomplete', indent: inner?.status === 'incomplete' ? (inner.indent ?? '') : '' };
  }

  interrupt(): void {
    this.engine.interrupt();
  }

  async shutdown(restart: boolean): Promise<void> {
    await this.session.close();
    await this.engine.shutdown();
    void restart;
  }
}
