#!/usr/bin/env node
/**
 * What the dashboard costs the scheduler: tasks per second on the threaded scheduler with no
 * event consumer at all, with the default event history, with a dashboard server, and with a
 * dashboard that has a WebSocket client connected and receiving updates.
 *
 *   node bench/dashboard.mjs [--n 100000] [--repeat 3] [--workers 4]
 *
 * Graphs are `independent` and `chain` of `builtin("noop")` tasks (as in bench/scheduler.mjs);
 * each number is the best of --repeat runs after a warm-up; building the graph is not timed.
 * The WebSocket client runs in a thread of its own, as a browser would run in a process of its
 * own: what is measured is what serving it costs the scheduler's thread, not reading it.
 */
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";

const { values: opts } = parseArgs({
  options: { n: { type: "string", default: "100000" }, repeat: { type: "string", default: "3" }, workers: { type: "string", default: "4" } },
});
const n = Number(opts.n);
const repeat = Number(opts.repeat);
const nWorkers = Number(opts.workers);

const { Client } = await import("@tessera/engine");
const { call, ref, builtin } = await import("@tessera/engine/internal");

function graphOf(shape, size) {
  const noop = builtin("noop");
  const graph = new Map();
  for (let i = 0; i < size; i++) graph.set(`${shape}-${i}`, shape.startsWith("chain") && i > 0 ? call(noop, ref(`${shape}-${i - 1}`)) : call(noop));
  return { graph, keys: shape.startsWith("chain") ? [`${shape}-${size - 1}`] : [...graph.keys()] };
}

const VARIANTS = [
  { name: "no events consumed", cluster: { eventHistory: 0, dashboardAddress: false } },
  { name: "event history only", cluster: { dashboardAddress: false } },
  { name: "dashboard, nobody watching", cluster: { dashboardAddress: "127.0.0.1:0" } },
  { name: "dashboard + 1 WebSocket client", cluster: { dashboardAddress: "127.0.0.1:0" }, watch: true },
];

const rows = [];
for (const variant of VARIANTS) {
  const client = await Client.start({ nWorkers, setAsDefault: false, ...variant.cluster });
  let watcher = null;
  if (variant.watch) {
    watcher = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
       const { WebSocket } = require(workerData.ws);
       let messages = 0, bytes = 0;
       const ws = new WebSocket(workerData.url);
       ws.on("open", () => parentPort.postMessage("open"));
       ws.on("message", (m) => { messages++; bytes += m.length; });
       parentPort.on("message", () => { ws.close(); parentPort.postMessage({ messages, bytes }); });`,
      { eval: true, workerData: { url: `${client.cluster.dashboard.url.replace(/^http/, "ws")}ws`, ws: import.meta.resolve("ws").replace(/^file:\/\//, "") } },
    );
    await new Promise((r) => watcher.once("message", r));
  }
  for (const shape of ["independent", "chain"]) {
    process.stderr.write(`${variant.name} ${shape}\n`);
    const warm = graphOf(`${shape}-warm`, 2000);
    await client.get(warm.graph, warm.keys);
    let best = Infinity;
    for (let r = 0; r < repeat; r++) {
      const { graph, keys } = graphOf(shape, n);
      const t0 = performance.now();
      await client.get(graph, keys);
      best = Math.min(best, performance.now() - t0);
    }
    rows.push({ variant: variant.name, shape, tasksPerSecond: Math.round(n / (best / 1000)), usPerTask: (best * 1000) / n });
  }
  if (watcher) {
    watcher.postMessage("stop");
    const { messages, bytes } = await new Promise((r) => watcher.once("message", r));
    await watcher.terminate();
    rows.at(-1).messages = messages;
    rows.at(-1).bytes = bytes;
  }
  await client.close();
}

console.log(`\n${n} noop tasks, ${nWorkers} worker threads, best of ${repeat}\n`);
console.log("| variant | shape | tasks/s | µs/task |\n| --- | --- | ---: | ---: |");
for (const r of rows) console.log(`| ${r.variant} | ${r.shape} | ${r.tasksPerSecond.toLocaleString("en")} | ${r.usPerTask.toFixed(2)} |`);
const watched = rows.find((r) => r.messages !== undefined);
if (watched) console.log(`\nThe WebSocket client received ${watched.messages} messages (${(watched.bytes / 1024).toFixed(0)} KiB).`);
process.exit(0);
