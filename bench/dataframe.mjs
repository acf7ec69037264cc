#!/usr/bin/env node
/**
 * DataFrame speed: Tessera against DuckDB, Polars, Arquero and Dask+pandas.
 *
 *   npm run bench:dataframe -- [--n 1e6] [--repeat 3] [--engines tessera,duckdb,polars,arquero,dask]
 *
 * Workloads:
 *   flights-3m (the real file shipped in vega-datasets): F1 groupby(origin) mean and count of
 *     delay; F2 filter delay > 15, then groupby(origin) mean delay; F3 sort by delay descending.
 *   db-benchmark groupby q1–q10 on generated data (`scripts/make-groupby-data.mjs`, default
 *     N = 1e6, K = 100: the size at which all five engines finish in a few minutes on this
 *     2-core machine; Arquero and Dask dominate the run time).
 *
 * Every engine is timed on data already in its own memory (Tessera: persisted partitions;
 * DuckDB: tables; Polars and Arquero: frames; Dask: persisted pandas partitions), so the
 * numbers compare query engines, not file readers. Dask reads CSV copies of the same data
 * because the benchmark's Python environment has no Parquet reader (pyarrow/fastparquet).
 * Each time is the best of `--repeat` runs; results must have the same number of rows.
 * Printed: one table of seconds per query and engine, with each engine's time over Tessera's.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt("n", "1e6"));
const REPEAT = Number(opt("repeat", "3"));
const ENGINES = opt("engines", "tessera,duckdb,polars,arquero,dask").split(",");
const FLIGHTS = join(root, "node_modules/vega-datasets/data/flights-3m.parquet");

const { makeGroupby } = await import("../scripts/make-groupby-data.mjs");
const G = await makeGroupby({ n: N, k: 100, files: 4 });

/** Best wall time of `repeat` runs of `f` (after one warm-up), and the result's row count. */
async function time(f) {
  let rows = await f();
  let best = Infinity;
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now();
    rows = await f();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { seconds: best, rows: typeof rows === "number" ? rows : Number(rows) };
}

const results = new Map(); // query -> engine -> {seconds, rows} | {error}
const record = (q, engine, r) => {
  if (!results.has(q)) results.set(q, new Map());
  results.get(q).set(engine, r);
};

async function run(engine, queries) {
  for (const [q, f] of Object.entries(queries)) {
    try {
      record(q, engine, await time(f));
    } catch (err) {
      record(q, engine, { error: String(err.message ?? err).split("\n")[0].slice(0, 80) });
    }
    process.stderr.write(`${engine} ${q}: ${JSON.stringify(results.get(q).get(engine))}\n`);
  }
}

// ── Tessera ──────────────────────────────────────────────────────────────────────────────
async function tessera() {
  const { readParquet, closeSharedScheduler } = await import("@tessera/engine");
  const flights = await (await readParquet(FLIGHTS, { columns: ["origin", "delay"] })).persist();
  const x = await (await readParquet(G)).persist();
  const n = async (df) => (await df.compute()).numRows;
  const late = flights.filter(flights.col("delay").gt(15));
  const terms = x.assign({ xy: x.col("v1").mul(x.col("v2")), xx: x.col("v1").mul(x.col("v1")), yy: x.col("v2").mul(x.col("v2")) });
  await run("tessera", {
    F1: () => n(flights.groupby("origin").agg({ delay: ["mean", "count"] })),
    F2: () => n(late.groupby("origin").agg({ delay: "mean" })),
    F3: () => n(flights.sortValues("delay", { ascending: false })),
    q1: () => n(x.groupby("id1").agg({ v1: "sum" })),
    q2: () => n(x.groupby(["id1", "id2"]).agg({ v1: "sum" })),
    q3: () => n(x.groupby("id3").agg({ v1: "sum", v3: "mean" })),
    q4: () => n(x.groupby("id4").agg({ v1: "mean", v2: "mean", v3: "mean" })),
    q5: () => n(x.groupby("id6").agg({ v1: "sum", v2: "sum", v3: "sum" })),
    q6: () => {
      const g = x.groupby(["id4", "id5"]);
      return n(g.col("v3").median().merge(g.agg({ v3: "std" }).rename({ v3: "sd" }), { on: ["id4", "id5"] }));
    },
    q7: () => {
      const a = x.groupby("id3").agg({ v1: "max", v2: "min" });
      return n(a.assign({ r: a.col("v1").sub(a.col("v2")) }));
    },
    q8: () => n(x.groupby("id6").col("v3").nlargest(2)),
    q9: () => {
      const s = terms.groupby(["id2", "id4"]).agg({ v1: ["sum", "count"], v2: "sum", xy: "sum", xx: "sum", yy: "sum" });
      const c = s.col("v1_count");
      const cov = c.mul(s.col("xy")).sub(s.col("v1_sum").mul(s.col("v2")));
      const vx = c.mul(s.col("xx")).sub(s.col("v1_sum").mul(s.col("v1_sum")));
      const vy = c.mul(s.col("yy")).sub(s.col("v2").mul(s.col("v2")));
      return n(s.assign({ r2: cov.mul(cov).div(vx.mul(vy)) }));
    },
    q10: () => n(x.groupby(["id1", "id2", "id3", "id4", "id5", "id6"]).agg({ v3: "sum", v1: "count" }, { splitOut: 2 })),
  });
  await closeSharedScheduler();
}

// ── DuckDB ───────────────────────────────────────────────────────────────────────────────
const SQL = {
  F1: "SELECT origin, avg(delay), count(delay) FROM flights GROUP BY origin",
  F2: "SELECT origin, avg(delay) FROM flights WHERE delay > 15 GROUP BY origin",
  F3: "SELECT * FROM flights ORDER BY delay DESC",
  q1: "SELECT id1, sum(v1) FROM x GROUP BY id1",
  q2: "SELECT id1, id2, sum(v1) FROM x GROUP BY id1, id2",
  q3: "SELECT id3, sum(v1), avg(v3) FROM x GROUP BY id3",
  q4: "SELECT id4, avg(v1), avg(v2), avg(v3) FROM x GROUP BY id4",
  q5: "SELECT id6, sum(v1), sum(v2), sum(v3) FROM x GROUP BY id6",
  q6: "SELECT id4, id5, median(v3), stddev(v3) FROM x GROUP BY id4, id5",
  q7: "SELECT id3, max(v1) - min(v2) FROM x GROUP BY id3",
  q8: "SELECT id6, v3 FROM (SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) AS n FROM x) WHERE n <= 2",
  q9: "SELECT id2, id4, power(corr(v1, v2), 2) FROM x GROUP BY id2, id4",
  q10: "SELECT id1, id2, id3, id4, id5, id6, sum(v3), count(*) FROM x GROUP BY ALL",
};

async function duckdb() {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const c = await (await DuckDBInstance.create(":memory:")).connect();
  await c.run(`CREATE TABLE flights AS SELECT origin, delay FROM '${FLIGHTS}'`);
  await c.run(`CREATE TABLE x AS SELECT * FROM '${G}/*.parquet'`);
  // Count rows inside DuckDB so result transfer to JavaScript is not what is measured.
  const q = (sql) => async () => Number((await c.runAndReadAll(`SELECT count(*) AS n FROM (${sql})`)).getRowObjects()[0].n);
  await run("duckdb", Object.fromEntries(Object.entries(SQL).map(([k, s]) => [k, q(s)])));
  c.closeSync();
}

// ── Polars ───────────────────────────────────────────────────────────────────────────────
async function polars() {
  const pl = (await import("nodejs-polars")).default;
  const flights = pl.readParquet(FLIGHTS, { columns: ["origin", "delay"] });
  const x = pl.concat(["part-0", "part-1", "part-2", "part-3"].map((p) => pl.readParquet(join(G, `${p}.parquet`))));
  const c = pl.col;
  await run("polars", {
    F1: () => flights.groupBy("origin").agg(c("delay").mean().alias("m"), c("delay").count().alias("n")).height,
    F2: () => flights.filter(c("delay").gt(15)).groupBy("origin").agg(c("delay").mean()).height,
    F3: () => flights.sort("delay", true).height,
    q1: () => x.groupBy("id1").agg(c("v1").sum()).height,
    q2: () => x.groupBy(["id1", "id2"]).agg(c("v1").sum()).height,
    q3: () => x.groupBy("id3").agg(c("v1").sum(), c("v3").mean()).height,
    q4: () => x.groupBy("id4").agg(c("v1").mean(), c("v2").mean(), c("v3").mean()).height,
    q5: () => x.groupBy("id6").agg(c("v1").sum(), c("v2").sum(), c("v3").sum()).height,
    q6: () => x.groupBy(["id4", "id5"]).agg(c("v3").median().alias("m"), c("v3").std().alias("s")).height,
    q7: () => x.groupBy("id3").agg(c("v1").max().sub(c("v2").min()).alias("r")).height,
    // (nodejs-polars' groupBy().head(n) returns one row per group here: take the heads in agg.)
    q8: () => x.select("id6", "v3").sort("v3", true).groupBy("id6").agg(c("v3").head(2)).explode("v3").height,
    q9: () => x.groupBy(["id2", "id4"]).agg(pl.pearsonCorr(c("v1"), c("v2")).pow(2).alias("r2")).height,
    q10: () => x.groupBy(["id1", "id2", "id3", "id4", "id5", "id6"]).agg(c("v3").sum(), c("v1").count()).height,
  });
}

// ── Arquero ──────────────────────────────────────────────────────────────────────────────
async function arquero() {
  const aq = await import("arquero");
  const { op, desc } = aq;
  const { readParquet, closeSharedScheduler } = await import("@tessera/engine");
  // Arquero reads Arrow: the same decoded tables Tessera computes.
  // Int64 delay as float64: Arquero's mean cannot mix BigInt values with numbers.
  const flights = aq.fromArrow(await (await readParquet(FLIGHTS, { columns: ["origin", "delay"] })).astype({ delay: "float64" }).compute());
  const x = aq.fromArrow(await (await readParquet(G)).compute());
  await closeSharedScheduler();
  await run("arquero", {
    F1: () => flights.groupby("origin").rollup({ m: op.mean("delay"), n: op.valid("delay") }).numRows(),
    F2: () => flights.filter((d) => d.delay > 15).groupby("origin").rollup({ m: op.mean("delay") }).numRows(),
    F3: () => flights.orderby(desc("delay")).reify().numRows(),
    q1: () => x.groupby("id1").rollup({ v1: op.sum("v1") }).numRows(),
    q2: () => x.groupby("id1", "id2").rollup({ v1: op.sum("v1") }).numRows(),
    q3: () => x.groupby("id3").rollup({ v1: op.sum("v1"), v3: op.mean("v3") }).numRows(),
    q4: () => x.groupby("id4").rollup({ v1: op.mean("v1"), v2: op.mean("v2"), v3: op.mean("v3") }).numRows(),
    q5: () => x.groupby("id6").rollup({ v1: op.sum("v1"), v2: op.sum("v2"), v3: op.sum("v3") }).numRows(),
    q6: () => x.groupby("id4", "id5").rollup({ m: op.median("v3"), s: op.stdev("v3") }).numRows(),
    q7: () => x.groupby("id3").rollup({ r: (d) => op.max(d.v1) - op.min(d.v2) }).numRows(),
    q8: () => x.groupby("id6").orderby(desc("v3")).filter(() => op.row_number() <= 2).reify().numRows(),
    q9: () => x.groupby("id2", "id4").rollup({ r2: (d) => op.corr(d.v1, d.v2) * op.corr(d.v1, d.v2) }).numRows(),
    q10: () => x.groupby("id1", "id2", "id3", "id4", "id5", "id6").rollup({ v3: op.sum("v3"), n: op.count() }).numRows(),
  });
}

// ── Dask (Python) ────────────────────────────────────────────────────────────────────────
async function dask() {
  const python = join(root, ".venv/bin/python");
  if (!existsSync(python)) {
    for (const q of results.keys()) record(q, "dask", { error: "no .venv" });
    return;
  }
  // CSV copies for the Python side, written once by DuckDB.
  const csvDir = join(root, ".cache/data/csv");
  mkdirSync(csvDir, { recursive: true });
  const flightsCsv = join(csvDir, "flights-3m.csv");
  const gCsv = join(csvDir, `${G.split("/").pop()}.csv`);
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const c = await (await DuckDBInstance.create(":memory:")).connect();
  if (!existsSync(flightsCsv)) await c.run(`COPY (SELECT origin, delay FROM '${FLIGHTS}') TO '${flightsCsv}' (HEADER)`);
  if (!existsSync(gCsv)) await c.run(`COPY (SELECT * FROM '${G}/*.parquet') TO '${gCsv}' (HEADER)`);
  c.closeSync();
  let out;
  try {
    out = execFileSync(python, [join(root, "bench/dataframe_dask.py"), "--flights", flightsCsv, "--groupby", gCsv, "--repeat", String(REPEAT)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 1 << 24,
    });
  } catch (err) {
    // dask.dataframe imports pyarrow; say what is missing instead of a traceback.
    const text = String(err.stderr ?? err.message);
    const missing = /No module named '([^']+)'/.exec(text);
    const why = missing ? `python module ${missing[1]} missing from .venv` : text.trim().split("\n").pop();
    for (const q of results.keys()) record(q, "dask", { error: why });
    return;
  }
  for (const line of out.split("\n").filter(Boolean)) {
    const r = JSON.parse(line);
    record(r.query, "dask", r.error ? { error: r.error } : { seconds: r.seconds, rows: r.rows });
  }
}

const runners = { tessera, duckdb, polars, arquero, dask };
for (const e of ENGINES) await runners[e]();

// ── report ───────────────────────────────────────────────────────────────────────────────
const fmt = (r) => (!r ? "—" : r.error ? "error" : r.seconds < 10 ? r.seconds.toFixed(3) : r.seconds.toFixed(1));
const lines = [];
lines.push(`DataFrame benchmark: flights-3m and db-benchmark groupby N=${N.toExponential()} K=100, best of ${REPEAT}, seconds (ratio = engine / tessera)`);
const header = ["query", ...ENGINES.map((e) => (e === "tessera" ? e : `${e} (ratio)`))];
const rows = [header];
for (const [q, byEngine] of results) {
  const base = byEngine.get("tessera");
  rows.push([
    q,
    ...ENGINES.map((e) => {
      const r = byEngine.get(e);
      if (e === "tessera" || !r || r.error || !base || base.error) return fmt(r);
      const warn = base.rows !== r.rows ? " rows!" : "";
      return `${fmt(r)} (${(r.seconds / base.seconds).toFixed(2)})${warn}`;
    }),
  ]);
}
const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) lines.push(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
const errors = [...results].flatMap(([q, m]) => [...m].filter(([, r]) => r.error).map(([e, r]) => `${e} ${q}: ${r.error}`));
if (errors.length) lines.push("", "errors:", ...errors);
console.log(lines.join("\n"));
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/dataframe.txt"), lines.join("\n") + "\n");
