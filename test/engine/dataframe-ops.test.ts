/**
 * The second slice of DataFrame operations, on small generated data, against DuckDB: nulls,
 * types, ends, distinct rows, value counts, statistics, more aggregations, joins (broadcast
 * and shuffle, every `how`), distributed sorting, repartitioning, `splitOut`, and user
 * functions shipped to the workers with `mapPartitions`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { Table } from "apache-arrow";
import { closeSharedScheduler, compute, fromRecords, readParquet, type DataFrame, UnshippableFunctionError } from "@tessera/engine";
import { collectionsToGraph } from "@tessera/engine/internal";

type Row = Record<string, unknown>;
let dir: string;
let db: DuckDBConnection;
let df: DataFrame; // 6144 rows in 3 partitions
let other: DataFrame; // 60 rows in 2 partitions

const num = (v: unknown): unknown => (typeof v === "bigint" ? Number(v) : v);
const rowsOf = (t: Table): Row[] => t.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON() as Row).map(([k, v]) => [k, num(v)])));
const col = (t: Table, name: string): unknown[] => [...t.getChild(name)!].map(num);

async function duck(sql: string): Promise<Row[]> {
  const r = await db.runAndReadAll(sql.replaceAll("T1", `'${join(dir, "t1.parquet")}'`).replaceAll("T2", `'${join(dir, "t2.parquet")}'`));
  return r.getRowObjects().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, num(v)])));
}

/** Rows as sorted JSON lines: equal multisets of rows, whatever the order. */
const bag = (rows: Row[], cols: string[]): string[] =>
  rows.map((r) => JSON.stringify(cols.map((c) => (typeof r[c] === "number" ? Math.round((r[c] as number) * 1e6) / 1e6 : r[c] ?? null)))).sort();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tessera-ops-"));
  db = await (await DuckDBInstance.create(":memory:")).connect();
  await db.run(`COPY (SELECT i, i % 5 AS g, CASE WHEN i % 9 = 0 THEN NULL ELSE 'k' || (i % 13) END AS k,
      CASE WHEN i % 7 = 0 THEN NULL ELSE (((i * 37) % 101) * 0.5)::DOUBLE END AS v, (i * 7919) % 1000 AS r FROM range(6144) t(i) ORDER BY i)
    TO '${join(dir, "t1.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
  await db.run(`COPY (SELECT 'k' || (j % 17) AS k, j AS j, (j * 1.5)::DOUBLE AS w FROM range(60) t(j) ORDER BY j)
    TO '${join(dir, "t2.parquet")}' (FORMAT parquet)`);
  df = await readParquet(join(dir, "t1.parquet"));
  // DuckDB's row groups are multiples of 2048 rows: split the small table ourselves.
  other = (await readParquet(join(dir, "t2.parquet"))).repartition({ npartitions: 2 });
  expect([df.npartitions, other.npartitions]).toEqual([3, 2]);
});

afterAll(async () => {
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
  await closeSharedScheduler();
});

describe("nulls, types and ends", () => {
  test("fillna and dropna", async () => {
    const filled = await df.fillna({ v: -1, k: "none" }).compute();
    const want = await duck("SELECT coalesce(v, -1) AS v, coalesce(k, 'none') AS k FROM T1 ORDER BY i");
    expect(col(filled, "v")).toEqual(want.map((r) => r.v));
    expect(col(filled, "k")).toEqual(want.map((r) => r.k));
    await expect(df.dropna().len()).resolves.toBe((await duck("SELECT count(*) AS n FROM T1 WHERE v IS NOT NULL AND k IS NOT NULL"))[0]!.n);
    await expect(df.dropna({ subset: ["v"] }).len()).resolves.toBe((await duck("SELECT count(v) AS n FROM T1"))[0]!.n);
    await expect(df.dropna({ subset: ["v", "k"], how: "all" }).len()).resolves.toBe((await duck("SELECT count(*) AS n FROM T1 WHERE v IS NOT NULL OR k IS NOT NULL"))[0]!.n);
  });

  test("astype and tail", async () => {
    const cast = df.astype({ g: "string", v: "int64" });
    expect(cast.dtypes).toMatchObject({ g: "Utf8", v: "Int64" });
    const t = await cast.tail(4);
    const want = await duck("SELECT CAST(g AS VARCHAR) AS g, CAST(trunc(v) AS BIGINT) AS v, i FROM T1 ORDER BY i DESC LIMIT 4");
    expect(col(t, "i")).toEqual(want.map((r) => r.i).reverse());
    expect(col(t, "g")).toEqual(want.map((r) => r.g).reverse());
    expect(col(t, "v")).toEqual(want.map((r) => r.v).reverse());
    expect(() => df.astype({ v: "decimal" as never })).toThrow(/unknown type "decimal"/);
    await expect(df.astype({ k: "float64" }).compute()).rejects.toThrow(/cannot cast "k\d+" .* of column "k" to float64/);
  });

  test("nlargest, nsmallest", async () => {
    const big = await df.nlargest(5, ["r", "i"]).compute();
    const want = await duck("SELECT i FROM T1 ORDER BY r DESC, i DESC LIMIT 5");
    expect(col(big, "i")).toEqual(want.map((r) => r.i));
    const small = await df.nsmallest(3, "v", { splitEvery: 2 }).compute();
    expect(col(small, "v")).toEqual((await duck("SELECT v FROM T1 WHERE v IS NOT NULL ORDER BY v LIMIT 3")).map((r) => r.v));
  });
});

describe("distinct values and statistics", () => {
  test("dropDuplicates keeps the first row of each, in order; valueCounts; nunique", async () => {
    const d = await df.dropDuplicates({ subset: ["g", "k"] }).compute();
    const want = await duck("SELECT min(i) AS i FROM T1 GROUP BY g, k ORDER BY i");
    expect(col(d, "i")).toEqual(want.map((r) => r.i));
    const shuffled = await df.dropDuplicates({ subset: ["g", "k"], splitOut: 3 }).compute();
    expect((col(shuffled, "i") as number[]).sort((a, b) => a - b)).toEqual(want.map((r) => r.i));
    const vc = await df.col("k").valueCounts().compute();
    const wantVc = await duck("SELECT k, count(*) AS count FROM T1 WHERE k IS NOT NULL GROUP BY k ORDER BY count DESC, k");
    expect(col(vc, "count")).toEqual(wantVc.map((r) => r.count));
    expect(bag(rowsOf(vc), ["k", "count"])).toEqual(bag(wantVc, ["k", "count"]));
    const [nk, nv] = await compute(df.col("k").nunique(), df.col("v").nunique({ splitEvery: 2 }));
    const [w] = await duck("SELECT count(DISTINCT k) AS nk, count(DISTINCT v) AS nv FROM T1");
    expect([nk, nv]).toEqual([w!.nk, w!.nv]);
  });

  test("describe and quantile", async () => {
    const d = rowsOf(await df.select(["v", "r"]).describe().compute());
    expect(d.map((r) => r.statistic)).toEqual(["count", "mean", "std", "min", "25%", "50%", "75%", "max"]);
    const [w] = await duck(`SELECT count(v) AS n, avg(v) AS m, stddev_samp(v) AS s, min(v) AS lo, max(v) AS hi,
        quantile_cont(v, 0.5) AS med, quantile_cont(r, 0.25) AS r25 FROM T1`);
    const stat = (name: string, c: string): number => d.find((r) => r.statistic === name)![c] as number;
    expect(stat("count", "v")).toBe(w!.n);
    expect(stat("mean", "v")).toBeCloseTo(w!.m as number, 9);
    expect(stat("std", "v")).toBeCloseTo(w!.s as number, 9);
    expect([stat("min", "v"), stat("max", "v")]).toEqual([w!.lo, w!.hi]);
    // 5000+ values: the sketch is approximate; its rank error is about 1/1024 of the rows.
    expect(Math.abs(stat("50%", "v") - (w!.med as number))).toBeLessThanOrEqual(1);
    const [q25, q50] = await df.col("r").quantile([0.25, 0.5]).compute();
    expect(Math.abs(q25! - (w!.r25 as number))).toBeLessThan(10);
    expect(q50).toBeGreaterThan(480);
    // Few values: exact, as pandas.
    const small = fromRecords([{ x: 1 }, { x: 2 }, { x: 4 }, { x: 5 }, { x: 6 }, { x: 7 }], { npartitions: 2 });
    await expect(small.col("x").quantile([0, 0.25, 0.5, 1]).compute()).resolves.toEqual([1, 2.5, 4.5, 7]);
  });

  test("groupby var, std, first, last, nunique (with splitOut)", async () => {
    const ours = rowsOf(await df.groupby("g").agg({ v: ["var", "std", "first", "last", "nunique", "sum"], k: ["first", "nunique"] }, { splitOut: 2, splitEvery: 2 }).compute());
    const want = await duck(`SELECT g, var_samp(v) AS v_var, stddev_samp(v) AS v_std, first(v ORDER BY i) FILTER (WHERE v IS NOT NULL) AS v_first,
        last(v ORDER BY i) FILTER (WHERE v IS NOT NULL) AS v_last, count(DISTINCT v) AS v_nunique, sum(v) AS v_sum,
        first(k ORDER BY i) FILTER (WHERE k IS NOT NULL) AS k_first, count(DISTINCT k) AS k_nunique FROM T1 GROUP BY g`);
    expect(ours).toHaveLength(want.length);
    const byG = new Map(ours.map((r) => [r.g, r]));
    for (const w of want) {
      const o = byG.get(w.g)!;
      expect([o.v_first, o.v_last, o.v_nunique, o.k_first, o.k_nunique]).toEqual([w.v_first, w.v_last, w.v_nunique, w.k_first, w.k_nunique]);
      for (const c of ["v_var", "v_std", "v_sum"]) expect(Math.abs((o[c] as number) - (w[c] as number)) / (w[c] as number)).toBeLessThan(1e-9);
    }
    const med = rowsOf(await df.groupby("g").col("v").median().compute());
    const wantMed = await duck("SELECT g, median(v) AS v FROM T1 GROUP BY g");
    expect(bag(med, ["g", "v"])).toEqual(bag(wantMed, ["g", "v"]));
    const top = rowsOf(await df.groupby("k").col("r").nlargest(2).compute());
    const wantTop = await duck("SELECT k, r FROM (SELECT k, r, row_number() OVER (PARTITION BY k ORDER BY r DESC) AS n FROM T1 WHERE k IS NOT NULL) WHERE n <= 2");
    expect(bag(top, ["k", "r"])).toEqual(bag(wantTop, ["k", "r"]));
  });
});

describe("merge", () => {
  test.each(["inner", "left", "right", "outer"] as const)("%s join, shuffled and broadcast, equals DuckDB's", async (how) => {
    const sql = { inner: "JOIN", left: "LEFT JOIN", right: "RIGHT JOIN", outer: "FULL OUTER JOIN" }[how];
    const want = await duck(`SELECT coalesce(a.k, b.k) AS k, a.i, a.v, b.j, b.w FROM T1 a ${sql} T2 b ON a.k = b.k`);
    const cols = ["k", "i", "v", "j", "w"];
    const shuffled = df.select(["k", "i", "v"]).merge(other, { on: "k", how });
    expect(shuffled.columns).toEqual(cols);
    expect(shuffled.npartitions).toBe(3);
    expect(bag(rowsOf(await shuffled.compute()), cols)).toEqual(bag(want, cols));
    const small = other.repartition({ npartitions: 1 });
    const broadcast = df.select(["k", "i", "v"]).merge(small, { on: "k", how });
    if (how === "inner" || how === "left") expect(broadcast.npartitions).toBe(3); // one join per partition of df
    expect(bag(rowsOf(await broadcast.compute()), cols)).toEqual(bag(want, cols));
  });

  test("leftOn/rightOn and suffixes; a broadcast join moves only the small side", async () => {
    const right = other.rename({ k: "key" }).assign({ i: other.col("j") });
    const m = df.select(["k", "i"]).merge(right.repartition({ npartitions: 1 }), { leftOn: "k", rightOn: "key" });
    expect(m.columns).toEqual(["k", "i_x", "key", "j", "w", "i_y"]);
    const want = await duck("SELECT count(*) AS n, sum(b.w) AS w FROM T1 a JOIN T2 b ON a.k = b.k");
    const t = await m.compute();
    expect(t.numRows).toBe(want[0]!.n);
    expect((col(t, "w") as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(want[0]!.w as number, 6);
    // Graph: df's 3 partitions each joined with the one partition of the right side; no split tasks.
    const keys = [...collectionsToGraph([m]).graph.keys()];
    expect(keys.filter((k) => k.startsWith("shuffle-split"))).toEqual([]);
    expect(() => df.merge(other, { on: "nope" })).toThrow(/no column "nope" on the left/);
  });
});

describe("sorting and partitions", () => {
  test("sortValues across partitions, several keys and directions", async () => {
    const s = df.sortValues(["g", "v"], { ascending: [false, true] });
    expect(s.npartitions).toBe(3);
    const t = await s.compute();
    const want = await duck("SELECT i FROM T1 ORDER BY g DESC, v ASC NULLS LAST, i");
    expect(col(t, "i")).toEqual(want.map((r) => r.i));
    // One numeric key without nulls (the radix-sort path): ties keep row order.
    const byR = await df.sortValues("r", { ascending: false }).compute();
    expect(col(byR, "i")).toEqual((await duck("SELECT i FROM T1 ORDER BY r DESC, i")).map((r) => r.i));
    const byString = await df.sortValues("k", { npartitions: 4 }).compute();
    expect(col(byString, "k")).toEqual((await duck("SELECT k FROM T1 ORDER BY k NULLS LAST")).map((r) => r.k));
  });

  test("repartition keeps the rows in order", async () => {
    for (const n of [1, 2, 7]) {
      const r = df.repartition({ npartitions: n });
      expect(r.npartitions).toBe(n);
      expect(col(await r.compute(), "i")).toEqual(Array.from({ length: 6144 }, (_, i) => i));
    }
  });
});

describe("mapPartitions", () => {
  test("a shipped function with captures, meta computed on the empty partition", async () => {
    const factor = 3;
    const out = df.select(["i", "g"]).mapPartitions((t: Table) => t.slice(0, Math.min(t.numRows, factor)), { captures: { factor } });
    expect(out.columns).toEqual(["i", "g"]);
    expect(col(await out.compute(), "i")).toEqual([0, 1, 2, 2048, 2049, 2050, 4096, 4097, 4098]);
  });

  test("extra arguments, a given meta, errors named", async () => {
    const firstRows = df.select(["i"]).mapPartitions((t: Table, n: number) => t.slice(0, n), { args: [2], meta: df.select(["i"]).meta });
    expect(col(await firstRows.compute(), "i")).toEqual([0, 1, 2048, 2049, 4096, 4097]);
    const limit = 5;
    expect(() => df.mapPartitions((t: Table) => t.slice(0, limit))).toThrow(UnshippableFunctionError);
    const bad = df.mapPartitions(((t: Table) => t.numRows) as never, { meta: df.meta });
    await expect(bad.compute()).rejects.toThrow(/must return an Arrow Table, got number/);
  });
});
