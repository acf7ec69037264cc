/**
 * The JupyterLab extension in a real `jupyter lab` from .venv, driven in headless Chromium:
 * the Tessera sidebar lists the panels, Task Stream and Progress open docked in the main area
 * and fill from a live cluster's dashboard, and after a reload the layout comes back; with no
 * address typed, the sidebar finds the dashboard of a Client started in a notebook on the
 * Tessera kernel by asking that kernel; the panels reach it through JupyterLab's own origin
 * (jupyter-server-proxy) when JupyterLab is opened under another host name; and the sidebar's
 * cluster section shows that cluster and scales and restarts it, also while a cell is running.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Client, closeSharedScheduler } from "@tessera/engine";
import { installLabextension } from "../../labextension/scripts/install.mjs";
import { launchBrowser, readSources, RESULTS, ROOT, until } from "./helpers.mjs";

const JUPYTER = join(ROOT, ".venv", "bin", "jupyter");
/**
 * A name only the test browser resolves (to 127.0.0.1): a page opened under it is JupyterLab
 * "opened from another host", whose Host and Origin are not loopback.
 */
const LAB_HOST = "tessera-lab.test";
let lab;
let labUrl;
/** The same JupyterLab under LAB_HOST. */
let remoteUrl;
let token;
let tmp;
let client;
let browser;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Install the tessera kernelspec into the project's .venv, as `npm run lab` does: a fresh
 * clone's .venv has none until then.
 */
function installKernelspec() {
  const python = join(ROOT, ".venv", "bin", "python");
  const result = spawnSync(process.execPath, [join(ROOT, "kernel", "dist", "cli.js"), "install", "--sys-prefix", "--python", python], { encoding: "utf8" });
  assert.equal(result.status, 0, `kernelspec install failed:\n${result.stderr}${result.stdout}`);
}

before(async () => {
  assert.ok(existsSync(JUPYTER), "no .venv/bin/jupyter: run `node scripts/setup.mjs --for test`");
  installLabextension();
  installKernelspec();
  tmp = mkdtempSync(join(tmpdir(), "tessera-lab-"));
  token = randomBytes(16).toString("hex");
  const port = await freePort();
  labUrl = `http://127.0.0.1:${port}`;
  remoteUrl = `http://${LAB_HOST}:${port}`;
  lab = spawn(
    JUPYTER,
    [
      "lab",
      "--no-browser",
      `--port=${port}`,
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${tmp}`,
      `--LabApp.workspaces_dir=${join(tmp, ".workspaces")}`,
      "--LabApp.expose_app_in_browser=True",
      // Serve pages asked for as LAB_HOST too (the server still listens on 127.0.0.1 only).
      "--ServerApp.allow_remote_access=True",
      ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, JUPYTER_PLATFORM_DIRS: "1" } },
  );
  let log = "";
  lab.stderr.on("data", (c) => {
    log += c;
    // The lab's log (and the kernels' stderr) on demand, for debugging a run.
    if (process.env.TESSERA_LAB_LOG) process.stderr.write(c);
  });
  await until("jupyter lab to listen", async () => {
    if (lab.exitCode !== null) throw new Error(`jupyter lab exited:\n${log}`);
    try {
      return (await fetch(`${labUrl}/api/status?token=${token}`)).ok;
    } catch {
      return false;
    }
  }, 60_000);
  // The cluster lets JupyterLab's origin stream its dashboard.
  client = await Client.start({ nWorkers: 2, setAsDefault: false, dashboardAddress: "127.0.0.1:0", dashboardOrigins: [labUrl] });
  browser = await launchBrowser({ hosts: [LAB_HOST] });
});

after(async () => {
  await browser?.close();
  await client?.close();
  await closeSharedScheduler();
  if (lab && lab.exitCode === null) {
    lab.kill("SIGTERM");
    await new Promise((r) => lab.once("exit", r));
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function slowInc(x, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end);
  return x + 1;
}

/** Both panels docked and showing every task of the computation. */
async function panelsShowData(page, n) {
  return until("Task Stream and Progress to show the tasks", async () => {
    const s = await readSources(page);
    const stream = s["tessera-task-stream"];
    const progress = s["tessera-progress"];
    const i = progress?.prefix.indexOf("slowInc") ?? -1;
    return stream && i >= 0 && progress.memory[i] + progress.done[i] === n && stream.key.length >= n ? s : null;
  }, 60_000);
}

test("the sidebar opens Task Stream and Progress beside the notebooks, and they come back after a reload", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const dashboard = client.cluster.dashboard.url;
  await page.addInitScript((url) => globalThis.localStorage.setItem("@tessera/labextension:dashboard-url", url), dashboard);
  await page.goto(`${labUrl}/lab?token=${token}`);

  const tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="tessera-dashboard-sidebar"]');
  await tab.waitFor({ timeout: 60_000 });
  await tab.click();
  const sidebar = page.locator("#tessera-dashboard-sidebar");
  await sidebar.waitFor({ state: "visible" });
  const titles = await sidebar.locator(".tessera-panel-button").allTextContents();
  assert.deepEqual(titles.slice(0, 4), ["Task Stream", "Progress", "Worker Memory", "Workers"]);
  await until("the sidebar to reach the dashboard", async () => (await sidebar.locator(".tessera-state").getAttribute("data-connected")) === "true");

  await sidebar.locator('button[data-tessera-panel="task-stream"]').click();
  await sidebar.locator('button[data-tessera-panel="progress"]').click();
  await page.locator('#jp-main-dock-panel [data-tessera-panel="task-stream"]').waitFor();
  await page.locator('#jp-main-dock-panel [data-tessera-panel="progress"]').waitFor();

  // Dragged from the sidebar, a panel docks where it is dropped: here, the main area's left edge.
  const dock = await page.locator("#jp-main-dock-panel").boundingBox();
  const memoryButton = await sidebar.locator('button[data-tessera-panel="worker-memory"]').boundingBox();
  await page.mouse.move(memoryButton.x + memoryButton.width / 2, memoryButton.y + memoryButton.height / 2);
  await page.mouse.down();
  for (const f of [0.1, 0.3, 0.6, 1]) await page.mouse.move(memoryButton.x + f * (dock.x + 20 - memoryButton.x), dock.y + dock.height / 2, { steps: 4 });
  await page.mouse.up();
  const dropped = page.locator('#jp-main-dock-panel [data-tessera-panel="worker-memory"]');
  await dropped.waitFor({ timeout: 10_000 });
  const droppedBox = await dropped.boundingBox();
  assert.ok(droppedBox.x < dock.x + dock.width / 2, "the dragged panel docked on the left, where it was dropped");

  const n = 40;
  const futures = client.map(slowInc, Array.from({ length: n }, (_, i) => i), Array(n).fill(30));
  assert.equal((await client.gather(futures)).length, n);
  const sources = await panelsShowData(page, n);
  assert.ok(new Set(sources["tessera-task-stream"].row).size >= 2, "one row per worker thread");
  await page.screenshot({ path: join(RESULTS, "lab-panels.png") });

  // Reload: the layout restorer reopens both panels, which reconnect and refill.
  await page.reload();
  await page.locator('#jp-main-dock-panel [data-tessera-panel="task-stream"]').waitFor({ timeout: 60_000 });
  await page.locator('#jp-main-dock-panel [data-tessera-panel="progress"]').waitFor();
  await page.locator('#jp-main-dock-panel [data-tessera-panel="worker-memory"]').waitFor();
  await panelsShowData(page, n);
  await page.screenshot({ path: join(RESULTS, "lab-panels-restored.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

/** A notebook document on the Tessera kernel with the given code cells. */
function notebook(cells) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tessera", display_name: "TypeScript (Tessera)", language: "typescript" } },
    cells: cells.map((source, i) => ({ id: `cell-${i}`, cell_type: "code", source, metadata: {}, outputs: [], execution_count: null })),
  };
}

/** A page of JupyterLab opened under LAB_HOST, recording what it asks for and what goes wrong. */
async function remotePage() {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const record = { errors: [], sockets: [], requests: [] };
  page.on("pageerror", (e) => record.errors.push(e.message));
  page.on("websocket", (ws) => record.sockets.push(ws.url()));
  page.on("request", (r) => record.requests.push(r.url()));
  if (process.env.TESSERA_LAB_LOG) page.on("console", (m) => process.stderr.write(`[console.${m.type()}] ${m.text()}\n`));
  return { page, record };
}

/** Save `name` as a notebook and open it in a workspace of its own; waits for its kernel. */
async function openNotebook(page, name, cells) {
  const put = await fetch(`${labUrl}/api/contents/${name}?token=${token}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ type: "notebook", format: "json", content: notebook(cells) }),
  });
  assert.ok(put.ok, `could not create the notebook: ${put.status}`);
  // A workspace of its own: the first test's restored panels must not be there.
  await page.goto(`${remoteUrl}/lab/workspaces/${name.replace(/\W/g, "-")}/tree/${name}?token=${token}`);
  await page.locator(".jp-Notebook .jp-Cell").first().waitFor({ timeout: 60_000 });
  // The kernel reports idle by itself once started (it wraps every request in busy/idle).
  await until("the tessera kernel to be idle", () => kernelStatus(page).then((s) => s === "idle"), 90_000);
}

/** The status of the notebook's kernel (the workspace holds one notebook; panels may be active). */
function kernelStatus(page) {
  return page.evaluate(() => {
    const notebook = [...globalThis.jupyterapp.shell.widgets("main")].find((w) => w.content?.activeCellIndex !== undefined);
    const kernel = notebook?.sessionContext?.session?.kernel;
    return kernel?.name === "tessera" ? kernel.status : null;
  });
}

/** Start running cell `i` of the notebook (the command's promise ends with the cell: not awaited). */
function runCell(page, i) {
  return page.evaluate((index) => {
    const app = globalThis.jupyterapp;
    const notebook = [...app.shell.widgets("main")].find((w) => w.content?.activeCellIndex !== undefined);
    app.shell.activateById(notebook.id);
    notebook.content.activeCellIndex = index;
    void app.commands.execute("notebook:run-cell");
  }, i);
}

const outputs = (page) => page.locator(".jp-OutputArea-output").allTextContents();

/** Wait for an output containing `text`; a failure shows the outputs there are. */
async function waitForOutput(page, text, ms = 60_000) {
  try {
    await until(`an output with ${JSON.stringify(text)}`, async () => (await outputs(page)).some((t) => t.includes(text)), ms);
  } catch (error) {
    throw new Error(`${error.message}; the outputs are:\n${(await outputs(page)).join("\n---\n")}`);
  }
}

async function showSidebar(page) {
  const tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="tessera-dashboard-sidebar"]');
  await tab.click();
  const sidebar = page.locator("#tessera-dashboard-sidebar");
  await sidebar.waitFor({ state: "visible" });
  return sidebar;
}

/** The "get notified about Jupyter news?" toast would cover the panels in a picture. */
async function dismissNews(page) {
  const noNews = page.locator(".jp-toast-button", { hasText: "No" });
  await noNews.click({ timeout: 2_000 }).catch(() => {});
  await noNews.waitFor({ state: "detached", timeout: 5_000 }).catch(() => {});
}

const DISCOVER_CELL = `import { Client } from "@tessera/engine";
const client = await Client.start({ nWorkers: 2 });
function spin(x: number): number {
  const end = Date.now() + 2;
  while (Date.now() < end);
  return x + 1;
}
const results = await client.gather(client.map(spin, Array.from({ length: 300 }, (_, i) => i)));
\`done: \${results.length}\``;

test("with no address typed, the sidebar finds the notebook kernel's dashboard and reaches it through JupyterLab's origin", async () => {
  // Hold the default dashboard port (when free) so the notebook's cluster has to take another:
  // only asking the kernel can find it then. Connections to it are dropped at once.
  const blocker = createServer((socket) => socket.destroy()).unref();
  await new Promise((resolve) => {
    blocker.once("error", resolve);
    blocker.listen(8787, "127.0.0.1", resolve);
  });
  const { page, record } = await remotePage();
  await openNotebook(page, "discover.ipynb", [DISCOVER_CELL]);
  await runCell(page, 0);
  await waitForOutput(page, "done: 300", 120_000);

  const sidebar = await showSidebar(page);
  const state = sidebar.locator(".tessera-state");
  assert.equal(await sidebar.locator(".tessera-url").inputValue(), "", "no address typed");
  await until("the sidebar to take the kernel's dashboard", async () => (await sidebar.locator(".tessera-source").getAttribute("data-source")) === "kernel");
  await until("the sidebar to reach the dashboard", async () => (await state.getAttribute("data-connected")) === "true");
  const discovered = await state.getAttribute("data-dashboard");
  const [, port] = discovered.match(/^http:\/\/127\.0\.0\.1:(\d+)\/$/) ?? [];
  assert.ok(port, `a loopback dashboard: ${discovered}`);
  assert.notEqual(port, "8787", "the cluster's own port, not the default");
  // The page is not on loopback: the dashboard is reached through JupyterLab's server.
  assert.equal(await state.getAttribute("data-route"), "proxy");

  await sidebar.locator('button[data-tessera-panel="task-stream"]').click();
  await page.locator('#jp-main-dock-panel [data-tessera-panel="task-stream"]').waitFor();
  const sources = await until("Task Stream to show the notebook's tasks", async () => {
    const s = await readSources(page);
    const stream = s["tessera-task-stream"];
    return stream && stream.key.filter((k) => String(k).includes("spin")).length >= 300 ? s : null;
  }, 60_000);
  assert.ok(new Set(sources["tessera-task-stream"].row).size >= 2, "one row per worker thread");
  // The panel's WebSocket went through JupyterLab's origin, and nothing went to the dashboard directly.
  assert.ok(record.sockets.includes(`ws://${LAB_HOST}:${new URL(labUrl).port}/proxy/${port}/ws`), record.sockets.join("\n"));
  const direct = `127.0.0.1:${port}`;
  assert.deepEqual([...record.sockets, ...record.requests].filter((u) => u.includes(direct)), []);
  await dismissNews(page);
  await page.screenshot({ path: join(RESULTS, "lab-discovered.png") });

  // A typed address wins over the kernel's until the field is cleared.
  const input = sidebar.locator(".tessera-url");
  await input.fill("127.0.0.1:9");
  await input.press("Enter");
  await until("the typed address to be used", async () => (await sidebar.locator(".tessera-source").getAttribute("data-source")) === "manual");
  assert.equal(await input.getAttribute("placeholder"), "http://127.0.0.1:9/");
  await input.fill("");
  await input.press("Enter");
  await until("the kernel's address to be used again", async () => (await sidebar.locator(".tessera-source").getAttribute("data-source")) === "kernel");
  assert.equal(await input.getAttribute("placeholder"), discovered);
  await until("the sidebar to reach the dashboard again", async () => (await state.getAttribute("data-connected")) === "true");
  assert.deepEqual(record.errors, []);
  await page.close();
  await new Promise((resolve) => blocker.close(resolve));
});

/**
 * A gate the notebook's tasks wait on (they poll it with fetch), so a cell is certainly still
 * running while the cluster is scaled and restarted from the sidebar.
 */
async function startGate() {
  let open = false;
  const server = createHttpServer((_req, res) => res.end(open ? "open" : "closed"));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    open: () => (open = true),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const clusterCells = (gateUrl) => [
  `import { Client, compute, delayed } from "@tessera/engine";
const client = await Client.start({ nWorkers: 2 });
\`started: \${client.cluster.nWorkers} workers\``,
  `const gated = delayed(async (x: number, gate: string): Promise<number> => {
  while ((await (await fetch(gate)).text()) !== "open") await new Promise((r) => setTimeout(r, 20));
  return x + 1;
}, { name: "gated" });
const results = await compute(...Array.from({ length: 60 }, (_, i) => gated(i, ${JSON.stringify(gateUrl)})));
\`gated: \${results.reduce((a, b) => a + b, 0)} on \${client.cluster.nWorkers} workers\``,
  `function fill(x: number): Float64Array {
  const end = Date.now() + 3;
  while (Date.now() < end);
  return new Float64Array(2048).fill(x);
}
function sum(a: Float64Array): number {
  return a.reduce((s, v) => s + v, 0);
}
function total(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
const blocks = client.map(fill, Array.from({ length: 240 }, (_, i) => i));
const sums = client.map(sum, blocks);
\`total: \${await client.submit(total, sums).result()}\``,
];

test("the cluster section shows the kernel's cluster and scales and restarts it, also while a cell runs", async () => {
  const gate = await startGate();
  const { page, record } = await remotePage();
  try {
    await openNotebook(page, "cluster.ipynb", clusterCells(gate.url));
    await runCell(page, 0);
    await waitForOutput(page, "started: 2 workers");

    const sidebar = await showSidebar(page);
    const section = sidebar.locator(".tessera-cluster");
    const workers = () => section.getAttribute("data-workers");
    await until("the cluster section to show 2 workers", async () => (await workers()) === "2", 30_000);
    assert.match(await section.locator(".tessera-cluster-summary").textContent(), /^2 workers · 2 threads · .+ held of .+/);

    // Scale up with the field and the button.
    await section.locator(".tessera-scale-input").fill("3");
    await section.locator("button.tessera-scale").click();
    await until("3 workers", async () => (await workers()) === "3", 30_000);

    // A cell that computes until the gate opens.
    await runCell(page, 1);
    await until("the gated tasks to run", async () => /tasks running/.test(await section.locator(".tessera-cluster-summary").textContent()), 30_000);
    assert.equal(await kernelStatus(page), "busy");

    // While it runs: scale down from the palette command, restart with the button.
    const scaled = await page.evaluate(() => globalThis.jupyterapp.commands.execute("tessera:scale-cluster", { workers: 2 }));
    assert.equal(scaled.workers, 2);
    await until("2 workers", async () => (await workers()) === "2", 30_000);
    const base = new URL(await sidebar.locator(".tessera-state").getAttribute("data-dashboard"));
    const clusterNow = () => page.evaluate((p) => fetch(`/proxy/${p}/api/cluster`).then((r) => r.json()), base.port);
    const before = (await clusterNow()).perWorker.map((w) => w.id);
    await section.locator("button.tessera-restart").click();
    await page.locator(".jp-Dialog .jp-mod-accept").click();
    await until("new workers after the restart", async () => {
      const ids = (await clusterNow()).perWorker.map((w) => w.id);
      return ids.length === 2 && ids.every((id) => !before.includes(id));
    }, 30_000);
    assert.equal(await kernelStatus(page), "busy", "the cell was still running throughout");

    gate.open();
    await waitForOutput(page, "gated: 1830 on 2 workers");
    await until("the kernel to be idle", async () => (await kernelStatus(page)) === "idle");

    // The picture for the README: notebook, Task Stream and Progress docked, cluster section
    // (blocks held in the workers' memory).
    await sidebar.locator('button[data-tessera-panel="task-stream"]').click();
    await sidebar.locator('button[data-tessera-panel="progress"]').click();
    await runCell(page, 2);
    const expectedTotal = 2048 * ((239 * 240) / 2);
    await waitForOutput(page, `total: ${expectedTotal}`);
    await until("the panels to show its tasks", async () => {
      const s = await readSources(page);
      const progress = s["tessera-progress"];
      const i = progress?.prefix.indexOf("fill") ?? -1;
      return i >= 0 && progress.memory[i] + progress.done[i] === 240 && (s["tessera-task-stream"]?.key ?? []).some((k) => String(k).includes("sum"));
    }, 60_000);
    await until("the cluster section to show the blocks held", async () => /MiB held/.test(await section.locator(".tessera-cluster-summary").textContent()), 30_000);
    await dismissNews(page);
    await page.screenshot({ path: join(RESULTS, "lab-cluster.png") });
    assert.deepEqual(record.errors, []);
  } finally {
    gate.open();
    await page.close();
    await gate.close();
  }
});
