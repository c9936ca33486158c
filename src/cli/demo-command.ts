/**
 * `tsp2p demo`: the whole story on one machine. In a throwaway TSP2P_HOME tree it makes alice, bob, carol
 * and diana (who know each other's keys), starts a local DHT, has alice host alice/friends for the others,
 * bob and carol start workers, and diana runs notebooks/mandelbrot.ipynb headless through the kernel. It runs
 * in a private network namespace when it can make one, so it never touches the user's network.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, startTsp2p, stopProcess } from '../background.js';
import { Tsp2pError } from '../errors.js';
import { packageRoot } from '../version.js';
import { requiredNumber, type OptionValue } from '../options.js';
import type { Command } from './command.js';
import { say, str } from './common.js';

const NOTEBOOK = fileURLToPath(new URL('notebooks/mandelbrot.ipynb', packageRoot));
const USERS = ['alice', 'bob', 'carol', 'diana'] as const;
const CLUSTER = 'alice/friends';

/** Runs `fn` with TSP2P_HOME set to `home` (the identity and friends modules read it at call time). */
function asUser<T>(home: string, fn: () => T): T {
  const previous = process.env.TSP2P_HOME;
  process.env.TSP2P_HOME = home;
  try {
    return fn();
  } finally {
    if (previous === undefined) delete process.env.TSP2P_HOME;
    else process.env.TSP2P_HOME = previous;
  }
}

/** The size of a PNG, from its IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') throw Tsp2pError.DEMO_FAILED(`${file} is not a PNG`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The text/plain of the outputs of the notebook's cells, for the summary. */
function outputTexts(file: string): string[] {
  const notebook = JSON.parse(readFileSync(file, 'utf8')) as { cells: { outputs?: { data?: Record<string, string | string[]>; text?: string | string[] }[] }[] };
  const join = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join('') : (v ?? ''));
  return notebook.cells.flatMap((c) => c.outputs ?? []).map((o) => join(o.data?.['text/plain']) || join(o.text));
}

interface Testnet {
  destroy(): Promise<void>;
  bootstrap: { host: string; port: number }[];
}

class Processes {
  readonly #children: ChildProcess[] = [];

  /** Starts `tsp2p ARGS` and resolves once it says it is up (rejects if it exits first). */
  async start(args: string[], env: NodeJS.ProcessEnv, label: string): Promise<ChildProcess> {
    const started = await startTsp2p(args, { env, ready: (event) => event.kind === 'up', label });
    this.#children.push(started.process);
    return started.process;
  }

  /** Runs `tsp2p ARGS` to its end with its stderr (progress) passed through. */
  run(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; stdout: string }> {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    this.#children.push(child);
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code: code ?? 1, stdout })));
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#children.map((c) => stopProcess(c, 5_000)));
  }
}

/** The notebook's parameters the demo takes, as `tsp2p run -p` pairs (see notebooks/mandelbrot.ipynb). */
const NOTEBOOK_PARAMETERS = [
  { option: 'region', parameter: 'region', type: 'number' as const, placeholder: 'N', description: "the notebook's region preset: 1 the whole set (default), 2 and 3 the seahorse valley" },
  { option: 'nrow', parameter: 'nrow', type: 'number' as const, placeholder: 'N', description: 'tiles per side, one task each (default 3)' },
  { option: 'resolution', parameter: 'resolution', type: 'number' as const, placeholder: 'PX', description: 'pixels per tile side (default 400)' },
  { option: 'max-iter', parameter: 'maxIter', type: 'number' as const, placeholder: 'N', description: 'iterations before a point counts as inside the set (default 512)' },
  { option: 'tint', parameter: 'tint', type: 'boolean' as const, description: 'tint each tile with the colour of the worker that drew it' },
];

/** `-p NAME VALUE` for each notebook parameter given. */
function parameterArgs(options: Record<string, OptionValue>): string[] {
  return NOTEBOOK_PARAMETERS.flatMap(({ option, parameter }) => (options[option] === undefined ? [] : ['-p', parameter, String(options[option])]));
}

async function demo(outDir: string, workers: number, slots: number, parameters: string[]): Promise<number> {
  const started = Date.now();
  const step = (text: string) => say(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);
  const root = mkdtempSync(path.join(tmpdir(), 'tsp2p-demo-'));
  const processes = new Processes();
  let testnet: Testnet | null = null;
  const cleanup = async () => {
    await processes.stopAll();
    await testnet?.destroy();
    rmSync(root, { recursive: true, force: true });
  };
  const onSignal = () => {
    say('\ninterrupted: stopping everything the demo started');
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { setIdentityName } = await import('../p2p/identity.js');
    const { addFriend } = await import('../p2p/friends.js');
    const home = (user: string) => path.join(root, user);
    const keys = Object.fromEntries(USERS.map((u) => [u, asUser(home(u), () => setIdentityName(u)).key]));
    for (const a of USERS) for (const b of USERS) if (a !== b) asUser(home(a), () => addFriend(b, keys[b] as string));
    step(`made ${USERS.join(', ')} (keys in ${root}, each knows the others)`);

    const { default: createTestnet } = await import('hyperdht/testnet.js');
    const dht: Testnet = await createTestnet(3, { host: '127.0.0.1' });
    testnet = dht;
    const bootstrap = dht.bootstrap.map((b) => `${b.host}:${b.port}`).join(',');
    const env = (user: string): NodeJS.ProcessEnv => ({ ...process.env, TSP2P_HOME: home(user), TSP2P_BOOTSTRAP: bootstrap });
    step(`local DHT on ${bootstrap}`);

    await processes.start(['host', '--users=bob,carol,diana', `--cluster=${CLUSTER}`], env('alice'), 'alice host');
    step(`alice hosts ${CLUSTER} for bob, carol and diana`);
    const owners = Array.from({ length: workers }, (_, i) => (i % 2 === 0 ? 'bob' : 'carol'));
    await Promise.all(owners.map((user, i) => processes.start(['worker', `--cluster=${CLUSTER}`, '--slots', String(slots)], env(user), `${user} worker ${i + 1}`)));
    step(`workers joined: ${owners.map((u) => `${u} (${slots} slot${slots > 1 ? 's' : ''})`).join(', ')}`);

    mkdirSync(outDir, { recursive: true });
    const notebook = path.join(outDir, 'mandelbrot.ipynb');
    copyFileSync(NOTEBOOK, notebook);
    step('diana runs notebooks/mandelbrot.ipynb headless through the tsp2p kernel');
    const run = await processes.run(['run', notebook, '--timeout', '5m', ...parameters], env('diana'), outDir);
    if (run.code !== 0) throw Tsp2pError.DEMO_FAILED(`the notebook failed:\n${run.stdout.trim()}`);
    const texts = outputTexts(notebook);
    const summary = texts.find((t) => /pixels, \d+ tiles/.test(t))?.replace(/^'|'$/g, '');
    const perWorker = texts.find((t) => /tiles: /.test(t) && /total: /.test(t));
    const png = path.join(outDir, 'mandelbrot.png');
    const size = pngSize(png);
    step(`done: ${summary ?? 'the image is ready'}`);
    if (perWorker) say(`\ntiles per worker:\n${perWorker.replace(/^/gm, '  ')}\n`);
    say(`notebook with every output: ${notebook}`);
    say(`image (${size.width}x${size.height}): ${png}`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

export const demoCommand: Command = {
  spec: {
    name: 'tsp2p demo',
    summary: 'Run the whole story locally: alice hosts, bob and carol add workers, diana draws the Mandelbrot set.',
    options: [
      { name: 'out', type: 'string', placeholder: 'DIR', description: 'where the executed notebook and the PNG go (default ./demo-output)' },
      { name: 'workers', type: 'number', placeholder: 'N', description: "worker processes, alternately bob's and carol's", default: '2' },
      { name: 'slots', type: 'number', placeholder: 'N', description: 'slots per worker', default: '1' },
      { name: 'no-netns', type: 'boolean', description: 'do not move into a private network namespace (everything still stays on 127.0.0.1)' },
      ...NOTEBOOK_PARAMETERS.map(({ option, type, placeholder, description }) => ({ name: option, type, ...(placeholder ? { placeholder } : {}), description })),
    ],
    epilog: [
      'Everything it starts (a local DHT, a host, workers, a kernel) ends when it does, also on Ctrl-C; the',
      'users live in a temporary directory that is removed afterwards. The drawing options are the notebook\'s',
      'parameters (tsp2p run -p), e.g. tsp2p demo --region 2 --nrow 4 --resolution 200.',
    ],
  },
  async run({ options }) {
    const outDir = path.resolve(str(options.out) ?? 'demo-output');
    const workers = requiredNumber(options, 'workers');
    const slots = requiredNumber(options, 'slots');
    if (!Number.isInteger(workers) || workers < 1) throw Tsp2pError.USAGE(`--workers wants a whole number ≥ 1, not ${workers}`);
    if (!Number.isInteger(slots) || slots < 1) throw Tsp2pError.USAGE(`--slots wants a whole number ≥ 1, not ${slots}`);
    const { inNamespace, runInNamespaceAsync } = await import('../netns.js');
    if (!inNamespace() && options['no-netns'] !== true) {
      const drawing = NOTEBOOK_PARAMETERS.flatMap(({ option, type }) => (options[option] === undefined ? [] : type === 'boolean' ? [`--${option}`] : [`--${option}`, String(options[option])]));
      const inside = runInNamespaceAsync([process.execPath, CLI, 'demo', '--out', outDir, '--workers', String(workers), '--slots', String(slots), ...drawing]);
      if (inside) return inside;
      say('(no private network namespace can be made here: running on 127.0.0.1 without one)');
    }
    return demo(outDir, workers, slots, parameterArgs(options));
  },
};
