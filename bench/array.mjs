#!/usr/bin/env node
/**
 * Array workloads: Tessera's chunked arrays (worker threads) against NumPy (one thread) and
 * Dask arrays over NumPy (threaded scheduler), on the same machine, one after the other.
 *
 *   node bench/array.mjs [--scale 1] [--repeat 3]
 *                        [--workloads transpose_mean,sum,elementwise,matmul] [--only tessera|python]
 *
 * (`npm run bench:array` sets up and builds first.) Workloads, at --scale 1:
 *   transpose_mean  (x + x.T).mean(axis=0), x 10000×10000 float64 in 1000×1000 chunks
 *   sum             x.sum(), x 20000×20000 in 2000×2000 chunks
 *   elementwise     sqrt(x*x + y*y), x and y 10000×10000 in 1000×1000 chunks, whole result returned
 *   matmul          x @ y, both 4000×4000 in 1000×1000 chunks, whole result returned
 * --scale multiplies n and the chunk size alike (the number of chunks stays), for a quick run.
 *
 * Every timed run covers generating the random inputs (uniform in [0, 1)) and the workload,
 * through to the result in this process's memory: Tessera's and Dask's `compute()`, NumPy's
 * expression. The generators differ (so do the numbers), but the results' means — the `check`
 * column — must agree: about 1, n²/2, 0.765 and n/4. Each number is the best of --repeat runs
 * after one warm-up at a twentieth of the size. The Python side is bench/array_numpy.py, which
 * holds BLAS to one thread so NumPy means one core and Dask's parallelism is its own.
 *
 * Prints a Markdown table and writes the raw numbers to bench/results/. Ratios are the other
 * system's time over Tessera's: above 1× Tessera is faster.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, runPythonBench } from "./python-side.mjs";


/** n and chunk size at --scale 1, and the expression each side runs. */
const WORKLOADS = {
  transpose_mean: { n: 10_000, chunk: 1_000, label: "(x + x.T).mean(axis=0)" },
  sum: { n: 20_000, chunk: 2_000, label: "x.sum()" },
  elementwise: { n: 10_000, chunk: 1_000, label: "sqrt(x*x + y*y)" },
  matmul: { n: 4_000, chunk: 1_000, label: "x @ y" },
};

const { values: opts } = parseArgs({
  options: {
    scale: { type: "string", default: "1" },
    repeat: { type: "string", default: "3" },
    workloads: { type: "string", default: Object.keys(WORKLOADS).join(",") },
    only: { type: "string" },
  },
});
const scale = Number(opts.scale);
const repeat = Number(opts.repeat);
const workloads = opts.workloads.split(",").filter(Boolean);
if (!(scale > 0) || !(repeat >= 1) || workloads.some((w) => !(w in WORKLOADS)) || (opts.only && !["tessera", "python"].includes(opts.only))) {
  console.error(`usage: node bench/array.mjs [--scale S] [--repeat R] [--workloads ${Object.keys(WORKLOADS).join(",")}] [--only tessera|python]`);
  process.exit(2);
}

/** Same rounding as bench/array_numpy.py's `scaled`. */
const scaled = (workload, s) => ({
  n: Math.max(1, Math.round(WORKLOADS[workload].n * s)),
  chunk: Math.max(1, Math.round(WORKLOADS[workload].chunk * s)),
});

/** @typedef {{ workload: string, system: string, seconds: number, check: number, n: number, chunk: number }} Measurement */

/** The lazy Tessera array for a workload; nothing runs until `compute()`. */
function tesseraWorkload(da, workload, n, chunk) {
  const rand = (seed) => da.random.random([n, n], { chunks: chunk, seed });
  const x = rand(1);
  switch (workload) {
    case "transpose_mean":
      return x.add(x.T).mean({ axis: 0 });
    case "sum":
      return x.sum();
    case "elementwise": {
      const y = rand(2);
      return da.sqrt(x.mul(x).add(y.mul(y)));
    }
    case "matmul":
      return x.matmul(rand(2));
  }
  throw new Error(`unknown workload ${workload}`);
}

function meanOf(nd) {
  const data = nd.data;
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  return s / data.length;
}

/** @returns {Promise<Measurement[]>} */
async function runTessera() {
  let engine;
  try {
    engine = await import("@tessera/engine");
  } catch (error) {
    throw new Error(`cannot load @tessera/engine (run \`npm run build\` first?): ${error.message}`);
  }
  const { da, closeSharedScheduler } = engine;
  const results = [];
  try {
    for (const workload of workloads) {
      const { n, chunk } = scaled(workload, scale);
      console.error(`tessera ${workload} n=${n} chunks=${chunk}…`);
      const warm = scaled(workload, scale / 20);
      await tesseraWorkload(da, workload, warm.n, warm.chunk).compute();
      let best = Infinity;
      let check = NaN;
      for (let r = 0; r < repeat; r++) {
        // Built inside the clock, as Dask's graph is inside its `compute` call's.
        const start = performance.now();
        const result = await tesseraWorkload(da, workload, n, chunk).compute();
        best = Math.min(best, (performance.now() - start) / 1000);
        check = meanOf(result);
      }
      results.push({ workload, system: "tessera", seconds: best, check, n, chunk });
    }
  } finally {
    await closeSharedScheduler();
  }
  return results;
}

/** Runs bench/array_numpy.py in the project's venv and reads its JSON lines. @returns {Promise<Measurement[]>} */
function runPython() {
  const args = ["--scale", String(scale), "--repeat", String(repeat), "--workloads", workloads.join(",")];
  return runPythonBench("array_numpy.py", args);
}

const fmt = (x, digits) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const fmtCheck = (x) => (Math.abs(x) >= 1000 ? x.toExponential(4) : fmt(x, 4));

function table(rows) {
  const lines = [
    "| workload | n × n (chunk) | Tessera s | NumPy s | Dask s | NumPy / Tessera | Dask / Tessera | check (mean: T / N / D) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const workload of workloads) {
    const get = (system) => rows.find((r) => r.workload === workload && r.system === system);
    const [t, np, dk] = [get("tessera"), get("numpy"), get("dask")];
    const any = t ?? np ?? dk;
    if (!any) continue;
    const secs = (m) => (m ? fmt(m.seconds, 2) : "–");
    const ratio = (m) => (m && t ? `${fmt(m.seconds / t.seconds, 2)}×` : "–");
    const checks = [t, np, dk].map((m) => (m ? fmtCheck(m.check) : "–")).join(" / ");
    lines.push(
      `| ${WORKLOADS[workload].label} | ${any.n} (${any.chunk}) | ${secs(t)} | ${secs(np)} | ${secs(dk)} | ${ratio(np)} | ${ratio(dk)} | ${checks} |`,
    );
  }
  return lines.join("\n");
}

const loadBefore = loadavg()[0];
const rows = [];
const errors = [];
if (opts.only !== "python") {
  try {
    rows.push(...(await runTessera()));
  } catch (error) {
    errors.push(`Tessera side: ${error.message}`);
  }
}
if (opts.only !== "tessera") {
  try {
    rows.push(...(await runPython()));
  } catch (error) {
    errors.push(`Python side: ${error.message}`);
  }
}

const machine = `${availableParallelism()} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`;
const load = `load average ${fmt(loadBefore, 2)} before, ${fmt(loadavg()[0], 2)} after`;
const date = new Date().toISOString();
console.log(`\nArray workloads, seconds, best of ${repeat}, scale ${scale} (${machine}; ${load}; ${date})\n`);
console.log(table(rows));
console.log("\nTimes include generating the random inputs. Ratios above 1× mean Tessera is faster.");
if (rows.length > 0) {
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `array-${date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ machine, date, scale, repeat, loadBefore, loadAfter: loadavg()[0], rows }, null, 2) + "\n");
  console.log(`\nraw numbers: ${file.replace(`${ROOT}/`, "")}`);
}
for (const e of errors) console.error(`\nbench: ${e}`);
// Worker threads or a stray handle must not keep a finished benchmark alive.
process.exit(errors.length > 0 ? 1 : 0);
