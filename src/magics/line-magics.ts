/** The %p2p line magics: whoami, join, leave, status, host, worker, bootstrap. */
import { Tsp2pError } from '../errors.js';
import { sandboxArgs } from '../sandbox-options.js';
import type { OutputSink } from '../jupyter/executor.js';
import type { LineDirective } from './parse.js';
import { listOf, numberOption, requiredNumber } from '../options.js';
import { counted } from '../words.js';
import { findingsTable, workerList, workersTable } from './render.js';
import type { P2PSession } from './session.js';

type Line = Extract<LineDirective, { kind: 'line' }>;

const say = (sink: OutputSink, text: string) => sink.stream('stdout', text.endsWith('\n') ? text : `${text}\n`);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export async function runLineMagic(session: P2PSession, line: Line, sink: OutputSink, signal?: AbortSignal): Promise<void> {
  const { options, positionals } = line;
  switch (line.command) {
    case 'whoami': {
      const { loadIdentity } = await import('../p2p/identity.js');
      const me = loadIdentity();
      say(sink, `${me.name} ${me.key}`);
      return;
    }
    case 'bootstrap': {
      const text = positionals[0];
      if (!text) {
        say(sink, `DHT bootstrap: ${session.bootstrap ?? 'the public DHT'}`);
        return;
      }
      if (text === 'public') session.bootstrap = undefined;
      else {
        const { parseBootstrap } = await import('../p2p/node.js');
        parseBootstrap(text);
        session.bootstrap = text;
      }
      say(sink, `DHT bootstrap: ${session.bootstrap ?? 'the public DHT'}${session.cluster ? ' (join again to use it)' : ''}`);
      return;
    }
    case 'join': {
      if (str(options.bootstrap)) session.bootstrap = str(options.bootstrap);
      const waitMs = requiredNumber(options, 'wait');
      // No roster here yet and the host not up: wait for it, saying so in a line redrawn in place.
      let waited = false;
      const onWait = (message: string) => {
        sink.display({ 'text/plain': `${message} · the stop button stops waiting` }, {}, { displayId: 'tsp2p-join-wait', update: waited });
        waited = true;
      };
      const cluster = await session.join(positionals[0], { invite: str(options.invite), waitMs, wait: { onWait, ...(signal ? { signal } : {}) } });
      if (waited) sink.display({ 'text/plain': `the host of ${cluster.label} answered` }, {}, { displayId: 'tsp2p-join-wait', update: true });
      const workers = cluster.workers();
      say(sink, `joined ${cluster.label}: ${counted(workers.length, 'worker')}${workers.length ? ` (${workerList(workers, session.origin)})` : ': start one with `%p2p worker` or `tsp2p worker`'}; workers that come later are found in the background (\`%p2p status\` lists them)`);
      return;
    }
    case 'leave': {
      const left = await session.leave();
      say(sink, left ? `left ${left}` : 'not joined to a cluster');
      return;
    }
    case 'status': {
      const cluster = session.requireCluster();
      sink.display(workersTable(cluster.label, cluster.workers()), {});
      for (const b of session.background) say(sink, `background ${b.kind} (${b.label}), pid ${b.process.pid}`);
      return;
    }
    case 'doctor': {
      const cluster = session.requireCluster();
      const { doctor } = await import('../p2p/doctor.js');
      // One output, redrawn in place: what is being checked, then the findings.
      const displayId = `tsp2p-doctor-${Date.now()}`;
      sink.display({ 'text/plain': 'checking…' }, {}, { displayId });
      const rows = await doctor(cluster, (what) => sink.display({ 'text/plain': `checking: ${what}…` }, {}, { displayId, update: true }));
      sink.display(findingsTable(`${cluster.label}: what this notebook sees`, rows), {}, { displayId, update: true });
      return;
    }
    case 'host': {
      const cluster = str(options.cluster);
      const users = listOf(options.users);
      if (!cluster || users.length === 0) throw Tsp2pError.USAGE('%p2p host needs --users=A,B,... and --cluster=YOU/NAME');
      const args = ['host', `--users=${users.join(',')}`, `--cluster=${cluster}`, '--duration', `${requiredNumber(options, 'duration')}ms`, ...(options.relay ? ['--relay'] : [])];
      // Hosting the same cluster again (new --users, say) replaces the host this notebook started before.
      for (const old of session.background.filter((b) => b.kind === 'host' && b.label === cluster)) await session.stopBackground(old);
      const host = await session.startBackground('host', args, (event) => event.kind === 'up', cluster);
      const said = host.event.kind === 'up' ? host.event.said : [];
      say(sink, `${said.join('\n')}\n(pid ${host.process.pid}; it ends with this kernel)`);
      return;
    }
    case 'worker': {
      const cluster = str(options.cluster) ?? session.cluster?.label;
      const args = ['worker', ...(cluster ? [`--cluster=${cluster}`] : []), ...(numberOption(options, 'slots') !== undefined ? ['--slots', String(numberOption(options, 'slots'))] : []), ...sandboxArgs(options)];
      // Counted before it starts: it may well have connected by the time it says it joined.
      const before = session.cluster?.workers().length ?? 0;
      // Up once it joined, or once it says it waits for the host (it joins by itself when the host is up).
      const worker = await session.startBackground('worker', args, () => true, cluster ?? 'personal');
      const { event } = worker;
      const said = event.kind === 'up' ? event.said.join('\n') : `worker started; it waits for ${event.for} and joins when it is up`;
      say(sink, `${said} (pid ${worker.process.pid}; it ends with this kernel)`);
      if (event.kind !== 'up') return;
      if (session.cluster) {
        await session.cluster.waitForWorkers(before + 1, 10_000).catch(() => {});
        const workers = session.cluster.workers();
        say(sink, `${session.cluster.label} now has ${counted(workers.length, 'worker')} (${workerList(workers, session.origin)})`);
      }
      return;
    }
    default:
      throw Tsp2pError.USAGE(`unknown %p2p command "${line.command}"`);
  }
}
