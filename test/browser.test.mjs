// The Mandelbrot notebook in a real browser: Debian's jupyter-notebook serves it on 127.0.0.1 (inside the
// private network namespace npm test makes), chromium driven by playwright-core opens it on the tsp2p kernel
// as diana, runs all cells and waits; a screenshot is kept in test-artifacts/ (not committed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Proc, skipUnlessNetns, World } from './helpers/cluster.mjs';
import { installTestKernelspec } from './helpers/kernel.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const NOTEBOOK_SERVER = '/usr/bin/jupyter-notebook';
const missing = [CHROMIUM, NOTEBOOK_SERVER].filter((f) => !existsSync(f));
const skip = skipUnlessNetns || (missing.length ? `needs ${missing.join(' and ')} (apt-get install -y chromium jupyter-notebook)` : false);

async function freeTcpPort() {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('the Mandelbrot notebook runs in Jupyter Notebook in chromium: square tiles while drawing, an image, no errors, tiles from two workers', { skip, timeout: 240_000 }, async (t) => {
  const world = await World.create();
  t.after(() => world.stop());
  await world.startHost(['bob', 'carol', 'diana']);
  await Promise.all([world.startWorker('bob'), world.startWorker('carol')]);

  const notebooks = mkdtempSync(path.join(tmpdir(), 'tsp2p-browser-'));
  copyFileSync(path.join(root, 'notebooks', 'mandelbrot.ipynb'), path.join(notebooks, 'mandelbrot.ipynb'));
  const port = await freeTcpPort();
  const token = randomBytes(16).toString('hex');
  const env = { ...world.env('diana'), JUPYTER_PATH: installTestKernelspec(), JUPYTER_CONFIG_DIR: path.join(notebooks, '.jupyter-config'), JUPYTER_RUNTIME_DIR: path.join(notebooks, '.jupyter-runtime') };
  const server = new Proc(
    spawn('/usr/bin/python3', [NOTEBOOK_SERVER, '--no-browser', '--allow-root', '--ip=127.0.0.1', `--port=${port}`, `--NotebookApp.token=${token}`, `--notebook-dir=${notebooks}`], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    'jupyter-notebook',
  );
  t.after(() => server.kill());
  await server.waitFor(`127.0.0.1:${port}`, { timeoutMs: 60_000 });

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
  const artifacts = path.join(root, 'test-artifacts');
  mkdirSync(artifacts, { recursive: true });
  try {
    await page.goto(`http://127.0.0.1:${port}/notebooks/mandelbrot.ipynb?token=${token}`);
    // The page is ready once its kernel (tsp2p, from the notebook's metadata) is connected and idle.
    await page.waitForFunction(() => globalThis.Jupyter?.notebook?.kernel?.is_connected?.() && globalThis.Jupyter.notebook.kernel.name === 'tsp2p', null, { timeout: 60_000 });
    // Slowed down through the cell tagged "parameters": 16 tiles that take a while, so the drawing can be
    // measured mid-run, with finished tiles beside placeholders.
    await page.evaluate(() => {
      const cell = globalThis.Jupyter.notebook.get_cells().find((c) => (c.metadata.tags ?? []).includes('parameters'));
      cell.set_text(cell.get_text().replace(/nrow: number = \d+/, 'nrow: number = 4').replace(/resolution: number = \d+/, 'resolution: number = 150').replace(/maxIter: number = \d+/, 'maxIter: number = 20000'));
    });
    await page.evaluate(() => globalThis.Jupyter.notebook.execute_all_cells());
    const midRun = await page.waitForFunction(
      () => {
        const grid = [...document.querySelectorAll('.output_area div')].find((d) => d.style.display === 'grid');
        const tiles = grid ? [...grid.children] : [];
        const drawn = tiles.filter((t) => t.tagName === 'IMG' && t.complete).length;
        if (drawn === 0 || drawn === tiles.length) return null;
        const box = grid.getBoundingClientRect();
        const boxes = tiles.map((t) => t.getBoundingClientRect());
        return { drawn, tiles: tiles.length, width: box.width, height: box.height, heights: boxes.map((b) => b.height), tops: boxes.map((b) => b.top - box.top) };
      },
      null,
      { timeout: 150_000, polling: 50 },
    );
    const drawing = await midRun.jsonValue();
    assert.equal(drawing.tiles, 16);
    // Every row one height, finished or not: the grid stays square, with no white bands.
    const side = drawing.width / 4;
    drawing.heights.forEach((height, i) => {
      const where = `tile ${i + 1}: top ${drawing.tops[i]}, height ${height} in a grid ${drawing.width} wide (${drawing.drawn} of 16 drawn)`;
      assert.ok(Math.abs(height - side) < 0.6, where);
      assert.ok(Math.abs(drawing.tops[i] - Math.floor(i / 4) * side) < 0.6, where);
    });
    assert.ok(Math.abs(drawing.height - drawing.width) < 1, `the grid is ${drawing.width}x${drawing.height}`);
    await page.waitForFunction(
      () => {
        const cells = globalThis.Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code');
        const done = cells.every((c) => typeof c.input_prompt_number === 'number');
        return done && document.querySelector('#kernel_indicator_icon')?.classList.contains('kernel_idle_icon');
      },
      null,
      { timeout: 150_000, polling: 250 },
    );
    const report = await page.evaluate(() => ({
      images: [...document.querySelectorAll('.output_area img')].map((img) => ({ width: img.naturalWidth, height: img.naturalHeight, src: img.getAttribute('src')?.slice(0, 22) })),
      errors: [...document.querySelectorAll('.output_error, .output_stderr')].map((e) => e.textContent),
      text: [...document.querySelectorAll('.output_area')].map((e) => e.textContent).join('\n'),
    }));
    assert.deepEqual(report.errors, [], 'no cell shows an error');
    assert.ok(report.images.some((i) => i.width === 600 && i.height === 600 && i.src === 'data:image/png;base64,'), `the 600x600 image is shown: ${JSON.stringify(report.images)}`);
    const workers = new Set([...report.text.matchAll(/(bob|carol)@[\w.-]+#\w+/g)].map((m) => m[1]));
    assert.deepEqual([...workers].sort(), ['bob', 'carol'], `tiles came from both workers:\n${report.text}`);
    assert.match(report.text, /600x600 pixels, 16 tiles/);
    // The notebook's last cell shows the table and nothing after it (no stray Out[n]).
    const last = await page.evaluate(() => globalThis.Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code').at(-1).output_area.outputs.map((o) => o.output_type));
    assert.deepEqual(last, ['display_data']);
  } finally {
    await page.screenshot({ path: path.join(artifacts, 'mandelbrot-browser.png'), fullPage: true }).catch(() => {});
    await page.evaluate(() => globalThis.Jupyter?.notebook?.kernel?.kill?.()).catch(() => {});
  }
});

