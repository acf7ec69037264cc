/**
 * The standalone dashboard page in headless Chromium: while a computation runs on a real
 * LocalCluster, the Task Stream, Progress, Worker Memory and Workers panels fill with its
 * tasks, read back from the BokehJS data sources inside the page.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Client, closeSharedScheduler } from "@tessera/engine";
import { launchBrowser, readSources, RESULTS, until } from "./helpers.mjs";

let client;
let browser;

before(async () => {
  client = await Client.start({ nWorkers: 2, setAsDefault: false, dashboardAddress: "127.0.0.1:0" });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await client?.close();
  await closeSharedScheduler();
});

/** Busy-waits `ms` in a worker, so tasks are long enough to be seen running. */
function slowInc(x, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end);
  return x + 1;
}

test("the status page fills its panels while a computation runs", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(client.dashboardLink);
  await until("the page to connect", () => page.evaluate(() => globalThis.tesseraDashboard?.connected === true));

  const futures = client.map(slowInc, Array.from({ length: 60 }, (_, i) => i), Array(60).fill(40));
  const sources = await until("every slowInc task in the task stream and progress", async () => {
    const s = await readSources(page);
    const progress = s["tessera-progress"];
    const i = progress?.prefix.indexOf("slowInc") ?? -1;
    return i >= 0 && progress.memory[i] + progress.done[i] === 60 && s["tessera-task-stream"]?.key.length >= 60 ? s : null;
  });
  const results = await client.gather(futures);
  assert.deepEqual(results, Array.from({ length: 60 }, (_, i) => i + 1));

  const stream = sources["tessera-task-stream"];
  const keys = new Set(stream.key.filter((_, i) => stream.prefix[i] === "slowInc"));
  assert.equal(keys.size, 60);
  // One row per worker thread, named after the workers the scheduler knows.
  const workerIds = client.scheduler.core.workerIds();
  for (const row of new Set(stream.row)) assert.ok(workerIds.some((w) => row.startsWith(w)), row);
  for (let i = 0; i < stream.key.length; i++) assert.ok(stream.stop[i] >= stream.start[i]);

  const workers = sources["tessera-workers"];
  assert.deepEqual([...workers.id].sort(), [...workerIds].sort());
  const memory = sources["tessera-worker-memory"];
  assert.equal(memory.worker.length, 2);
  assert.ok(memory.keys.reduce((a, b) => a + b, 0) >= 60);

  await page.screenshot({ path: join(RESULTS, "dashboard-status.png") });
  assert.deepEqual(errors, []);
  await page.close();
});

test("a single-panel page shows only its panel and the same data", async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 500 } });
  await page.goto(new URL("individual-progress", client.cluster.dashboard.url).href);
  const s = await until("progress data", async () => {
    const sources = await readSources(page);
    return sources["tessera-progress"]?.prefix.includes("slowInc") ? sources : null;
  });
  assert.deepEqual(Object.keys(s), ["tessera-progress"]);
  await page.screenshot({ path: join(RESULTS, "dashboard-progress.png") });
  await page.close();
});
