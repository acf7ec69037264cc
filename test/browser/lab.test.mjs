/**
 * The JupyterLab extension in a real `jupyter lab` from .venv, driven in headless Chromium:
 * the Tessera sidebar lists the panels, Task Stream and Progress open docked in the main area
 * and fill from a live cluster's dashboard, and after a reload the layout comes back.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Client, closeSharedScheduler } from "@tessera/engine";
import { installLabextension } from "../../labextension/scripts/install.mjs";
import { launchBrowser, readSources, RESULTS, ROOT, until } from "./helpers.mjs";

const JUPYTER = join(ROOT, ".venv", "bin", "jupyter");
let lab;
let labUrl;
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

before(async () => {
  assert.ok(existsSync(JUPYTER), "no .venv/bin/jupyter: run `node scripts/setup.mjs --for test`");
  installLabextension();
  tmp = mkdtempSync(join(tmpdir(), "tessera-lab-"));
  token = randomBytes(16).toString("hex");
  const port = await freePort();
  labUrl = `http://127.0.0.1:${port}`;
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
      ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, JUPYTER_PLATFORM_DIRS: "1" } },
  );
  let log = "";
  lab.stderr.on("data", (c) => (log += c));
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
  browser = await launchBrowser();
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
  await panelsShowData(page, n);
  await page.screenshot({ path: join(RESULTS, "lab-panels-restored.png") });
  assert.deepEqual(errors, []);
  await page.close();
});
