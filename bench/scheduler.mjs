#!/usr/bin/env node
/**
 * Scheduler overhead: Tessera's schedulers against Dask's on the same graphs of no-op tasks.
 *
 *   node bench/scheduler.mjs [--n 100000] [--n-distributed 10000] [--repeat 3]
 *                            [--shapes independent,chain,tree] [--only tessera|dask]
 *
 * (`npm run bench` sets up and builds first.) Shapes are the ones bench/dask_scheduler.py
 * describes: `independent` (no dependencies, every key requested), `chain` (each task reads the
 * previous one), `tree` (pairwise reduction of n/2 leaves). Each number is the best of --repeat
 * runs after a warm-up on a small graph of the same shape; building the graph is not timed.
 *
 * Prints a Markdown table (paste-able into the README) and writes the raw numbers to
 * bench/results/. The ratio columns say how many times less time per task a row takes than
 * Dask's threaded scheduler and than dask.distributed (higher is better for Tessera).
 * Both sides run one after the other, never at once, so neither steals the other's cores.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, runPythonBench } from "./python-side.mjs";

const SHAPES = ["independent", "chain", "tree"];
const TESSERA_SCHEDULERS = ["threads", "sync"];

const { values: opts } = parseArgs({
  options: {
    n: { type: "string", default: "100000" },
    "n-distributed": { type: "string" },
    repeat: { type: "string", default: "3" },
    shapes: { type: "string", default: SHAPES.join(",") },
    only: { type: "string" },
  },
});
const n = Number(opts.n);
const repeat = Number(opts.repeat);
const shapes = opts.shapes.split(",").filter(Boolean);
if (!(n >= 1) || !(repeat >= 1) || shapes.some((s) => !SHAPES.includes(s)) || (opts.only && !["tessera", "dask"].includes(opts.only))) {
  console.error("usage: node bench/scheduler.mjs [--n N] [--n-distributed N] [--repeat R] [--shapes independent,chain,tree] [--only tessera|dask]");
  process.exit(2);
}

/** @typedef {{ shape: string, scheduler: string, tasks: number, seconds: number }} Measurement */

/** The same graphs as bench/dask_scheduler.py, as Tessera task graphs of `builtin("noop")` calls. */
function buildGraph(engine, shape, size) {
  const { call, ref, builtin } = engine;
  const noop = builtin("noop");
  const graph = new Map();
  if (shape === "independent") {
    for (let i = 0; i < size; i++) graph.set(`independent-${i}`, call(noop));
    return { graph, keys: [...graph.keys()] };
  }
  if (shape === "chain") {
    graph.set("chain-0", call(noop));
    for (let i = 1; i < size; i++) graph.set(`chain-${i}`, call(noop, ref(`chain-${i - 1}`)));
    return { graph, keys: [`chain-${size - 1}`] };
  }
  // tree: pairwise reduction; an odd task out at a level is carried up to the next one.
  let level = [];
  for (let i = 0; i < Math.max(1, Math.floor(size / 2)); i++) {
    level.push(`tree-0-${i}`);
    graph.set(`tree-0-${i}`, call(noop));
  }
  for (let depth = 1; level.length > 1; depth++) {
    const next = [];
    for (let j = 0; j + 1 < level.length; j += 2) {
      const key = `tree-${depth}-${j / 2}`;
      graph.set(key, call(noop, ref(level[j]), ref(level[j + 1])));
      next.push(key);
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return { graph, keys: level };
}

/** Loads the built engine; says plainly what is missing instead of a stack trace. */
async function loadEngine() {
  let pub, internal;
  try {
    pub = await import("@tessera/engine");
    internal = await import("@tessera/engine/internal");
  } catch (error) {
    throw new Error(`cannot load @tessera/engine (run \`npm run build\` first?): ${error.message}`);
  }
  if (typeof pub.get !== "function") throw new Error("@tessera/engine does not export `get` yet");
  for (const name of ["call", "ref", "builtin"]) {
    if (typeof internal[name] !== "function") throw new Error(`@tessera/engine/internal does not export \`${name}\``);
  }
  return { get: pub.get, close: pub.closeSharedScheduler, ...internal };
}

/** @returns {Promise<Measurement[]>} */
async function runTessera() {
  const engine = await loadEngine();
  const results = [];
  try {
    for (const scheduler of TESSERA_SCHEDULERS) {
      for (const shape of shapes) {
        console.error(`tessera ${scheduler} ${shape} n=${n}…`);
        const warm = buildGraph(engine, shape, Math.min(n, 1000));
        await engine.get(warm.graph, warm.keys, { scheduler });
        let best = Infinity;
        let tasks = 0;
        for (let r = 0; r < repeat; r++) {
          const { graph, keys } = buildGraph(engine, shape, n);
          tasks = graph.size;
          const start = performance.now();
          await engine.get(graph, keys, { scheduler });
          best = Math.min(best, (performance.now() - start) / 1000);
        }
        results.push({ shape, scheduler, tasks, seconds: best });
      }
    }
  } finally {
    await engine.close?.();
  }
  return results;
}

/** Runs bench/dask_scheduler.py in the project's venv and reads its JSON lines. @returns {Promise<Measurement[]>} */
function runDask() {
  const args = ["--n", String(n), "--repeat", String(repeat), "--shapes", shapes.join(",")];
  if (opts["n-distributed"]) args.push("--n-distributed", opts["n-distributed"]);
  return runPythonBench("dask_scheduler.py", args);
}

const usPerTask = (m) => (m.seconds * 1e6) / m.tasks;
const fmt = (x, digits) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(rows) {
  const lines = [
    "| shape | scheduler | tasks | tasks/s | µs/task | vs Dask threaded | vs dask.distributed |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const shape of shapes) {
    const daskThreaded = rows.find((r) => r.shape === shape && r.scheduler === "dask threaded");
    const daskDistributed = rows.find((r) => r.shape === shape && r.scheduler === "dask distributed");
    const ratio = (row, ref) => (ref ? `${fmt(usPerTask(ref) / usPerTask(row), 2)}×` : "–");
    for (const row of rows.filter((r) => r.shape === shape)) {
      lines.push(
        `| ${shape} | ${row.scheduler} | ${row.tasks} | ${fmt(row.tasks / row.seconds, 0)} | ${fmt(usPerTask(row), 1)} | ${ratio(row, daskThreaded)} | ${ratio(row, daskDistributed)} |`,
      );
    }
  }
  return lines.join("\n");
}

const rows = [];
const errors = [];
if (opts.only !== "dask") {
  try {
    for (const m of await runTessera()) rows.push({ ...m, scheduler: `tessera ${m.scheduler}` });
  } catch (error) {
    errors.push(`Tessera side: ${error.message}`);
  }
}
if (opts.only !== "tessera") {
  try {
    for (const m of await runDask()) rows.push({ ...m, scheduler: `dask ${m.scheduler}` });
  } catch (error) {
    errors.push(`Dask side: ${error.message}`);
  }
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`;
console.log(`\nScheduler overhead, no-op tasks, best of ${repeat} (${machine})\n`);
console.log(table(rows));
if (rows.length > 0) {
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `scheduler-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ machine, n, repeat, rows }, null, 2) + "\n");
  console.log(`\nraw numbers: ${file.replace(`${ROOT}/`, "")}`);
}
for (const e of errors) console.error(`\nbench: ${e}`);
// Worker threads or a stray handle must not keep a finished benchmark alive.
process.exit(errors.length > 0 ? 1 : 0);
