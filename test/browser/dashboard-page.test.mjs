/**
 * The standalone dashboard page in headless Chromium: while a computation runs on a real
 * LocalCluster, every panel (Task Stream, Progress, Worker Memory, Workers, Cluster Map,
 * CPU / Occupancy, Task Graph, Logs) fills with its tasks, read back from the BokehJS data
 * sources inside the page.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Client, closeSharedScheduler, delayed } from "@tessera/engine";
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
  // Cluster map lines flash and fade: look for them while the tasks run.
  const flashes = [];
  const sources = await until("every slowInc task in the task stream and progress", async () => {
    const s = await readSources(page);
    const flows = s["tessera-cluster-map-flows"];
    if (flows?.x0.length > 0) flashes.push(flows);
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

  // Cluster Map: the scheduler and both workers, every task counted as sent, lines that flashed
  // from the scheduler to the workers.
  const map = await until("the cluster map to count every task sent", async () => {
    const m = (await readSources(page))["tessera-cluster-map"];
    return m && m.sent[m.id.indexOf("scheduler")] >= 60 ? m : null;
  });
  assert.deepEqual([...map.id].sort(), ["scheduler", ...workerIds].sort());
  assert.ok(flashes.length > 0, "cluster map lines flashed while tasks were sent");
  for (const f of flashes) {
    for (let i = 0; i < f.kind.length; i++) {
      if (f.kind[i] === "task") assert.equal(f.from[i], "scheduler");
      assert.ok(workerIds.includes(f.to[i]), f.to[i]);
    }
  }

  // CPU / Occupancy: both workers were busy; Worker Memory: the cluster total held the results;
  // Task Graph: the futures' tasks are drawn in memory; Logs: the workers are listed.
  const later = await until("occupancy, memory over time, the graph and logs", async () => {
    const s = await readSources(page);
    const occupancy = s["tessera-occupancy"];
    const busy = occupancy?.worker.filter((_, i) => Math.max(0, ...occupancy.ys[i]) > 0);
    const total = s["tessera-worker-memory-total"];
    const graph = s["tessera-task-graph"];
    const inMemory = graph?.key.filter((k, i) => k.startsWith("slowInc") && graph.state[i] === "memory").length;
    return busy?.length === 2 && total?.nbytes.some((n) => n > 0) && inMemory === 60 && s["tessera-logs"]?.message.length > 0 ? s : null;
  });
  assert.deepEqual([...later["tessera-occupancy"].worker].sort(), [...workerIds].sort());
  for (const ys of later["tessera-occupancy"].ys) for (const y of ys) assert.ok(y >= 0 && y <= 1, String(y));
  const logs = later["tessera-logs"];
  for (const id of workerIds) assert.ok(logs.source.includes(id), `a log line about ${id}`);
  assert.ok(logs.message.some((m) => /graphs? submitted/.test(m)));

  await page.screenshot({ path: join(RESULTS, "dashboard-status.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("the task graph draws a tree's dependencies and colours it as it computes", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(client.dashboardLink);
  await until("the page to connect", () => page.evaluate(() => globalThis.tesseraDashboard?.connected === true));

  // 16 slow leaves summed pairwise: 31 tasks in 5 levels.
  const leaf = delayed((i, ms) => {
    const end = Date.now() + ms;
    while (Date.now() < end);
    return i;
  }, { name: "leaf" });
  const add = delayed((a, b) => a + b, { name: "add" });
  let level = Array.from({ length: 16 }, (_, i) => leaf(i, 300));
  while (level.length > 1) level = Array.from({ length: level.length / 2 }, (_, i) => add(level[2 * i], level[2 * i + 1]));
  const result = level[0].compute({ scheduler: client });

  // Mid-way: some leaves done, some not; the picture of the whole page is taken then.
  const running = await until("the tree drawn, part done", async () => {
    const s = await readSources(page);
    const g = s["tessera-task-graph"];
    if (!g || g.key.length !== 31) return null;
    const done = g.state.filter((st) => st === "memory" || st === "released").length;
    return done >= 4 && done < 31 ? s : null;
  });
  await page.screenshot({ path: join(RESULTS, "dashboard-status-running.png"), fullPage: true });
  assert.equal(await result, 120);
  const g = running["tessera-task-graph"];
  const depth = (d) => g.x.filter((x) => x === d).length;
  assert.deepEqual([0, 1, 2, 3, 4].map(depth), [16, 8, 4, 2, 1]);
  assert.equal(running["tessera-task-graph-edges"].x0.length, 30);
  // Every edge goes one level to the right.
  const edges = running["tessera-task-graph-edges"];
  for (let i = 0; i < edges.x0.length; i++) assert.equal(edges.x1[i], edges.x0[i] + 1);

  const settled = await until("every node settled", async () => {
    const s = await readSources(page);
    const states = s["tessera-task-graph"]?.state ?? [];
    return states.length === 31 && states.every((st) => st === "memory" || st === "released") ? s : null;
  });
  assert.ok(settled["tessera-task-graph"].color.every((c) => typeof c === "string" && c.startsWith("#")));
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
