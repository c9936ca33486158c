// A tsp2p kernel driven by Debian's jupyter_client (test/python/kernel_session.py), one cell at a time, so
// tests go through the same client code as Jupyter while the Node side owns the world around the kernel.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { installTestKernelspec } from './kernel.mjs';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../python/kernel_session.py', import.meta.url));

export const hasJupyterClient = spawnSync(PYTHON, ['-c', 'import jupyter_client'], { stdio: 'ignore' }).status === 0;
export const skipUnlessJupyterClient = hasJupyterClient ? false : 'needs Debian python3-jupyter-client (apt-get install -y python3-jupyter-client)';

export class JupyterSession {
  /** Starts a kernel with `env` (e.g. a test user's TSP2P_HOME and the local DHT's TSP2P_BOOTSTRAP), in `cwd`. */
  static async start(env, { cwd = path.dirname(SCRIPT) } = {}) {
    const JUPYTER_PATH = installTestKernelspec();
    // The kernel starts in the client's directory (`cwd`), as a notebook's kernel starts in its folder.
    const child = spawn(PYTHON, [SCRIPT], { env: { ...env, JUPYTER_PATH }, stdio: ['pipe', 'pipe', 'pipe'], cwd });
    const session = new JupyterSession(child);
    const first = await session.#next();
    session.kernelPid = first.pid;
    return session;
  }

  constructor(child) {
    this.child = child;
    this.stderr = '';
    child.stderr.on('data', (d) => (this.stderr += d));
    this.lines = [];
    this.waiting = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(line);
      else this.lines.push(line);
    });
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    this.exited.then(() => this.waiting.splice(0).forEach((w) => w(null)));
  }

  async #next() {
    const line = this.lines.shift() ?? (await new Promise((resolve) => this.waiting.push(resolve)));
    if (line === null) throw new Error(`kernel_session.py ended:\n${this.stderr}`);
    return JSON.parse(line);
  }

  /** Executes `code`; `interruptAfter` (seconds) interrupts the kernel that long after sending it. */
  async run(code, { timeout = 60, interruptAfter } = {}) {
    this.child.stdin.write(JSON.stringify({ code, timeout, ...(interruptAfter ? { interrupt_after: interruptAfter } : {}) }) + '\n');
    const r = await this.#next();
    r.of = (type) => r.outputs.filter((o) => o.type === type).map((o) => o.content);
    r.text = (name = 'stdout') => r.of('stream').filter((s) => s.name === name).map((s) => s.text).join('');
    r.result = () => r.of('execute_result')[0]?.data['text/plain'];
    return r;
  }

  /** A shell request other than execute (complete, inspect, is_complete): its reply's content. */
  async shell(method, ...args) {
    this.child.stdin.write(JSON.stringify({ shell: method, args }) + '\n');
    return this.#next();
  }

  async close() {
    if (this.child.exitCode !== null) return;
    this.child.stdin.write(JSON.stringify({ shutdown: true }) + '\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}
