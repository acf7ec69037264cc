/**
 * DataFrame: partitioned Arrow tables. Small data whose answers are known, on the sync
 * scheduler and on worker threads; the Arrow codec; graph shape (fusion); error messages.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { Table, tableFromArrays, vectorFromArray, Utf8 } from "apache-arrow";
import { closeSharedScheduler, compute, fromArrow, fromRecords, readParquet, DataFrame } from "@tessera/engine";
import {
  collectionsToGraph,
  decodeValue,
  encodeValue,
  sizeof,
  tableFromWire,
  tableToWire,
  rowGroupMayMatch,
  normalizeFilters,
} from "@tessera/engine/internal";

const rows = [
  { k: "a", g: 1, x: 1, s: "one" },
  { k: "b", g: 1, x: 2, s: "two" },
  { k: "a", g: 2, x: null, s: null },
  { k: "c", g: 2, x: 4, s: "four" },
  { k: "b", g: 1, x: 5, s: "five" },
  { k: null, g: 3, x: 6, s: "six" },
  { k: "a", g: 2, x: 7, s: "seven" },
];

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tessera-df-"));
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  // Three row groups of 100 rows with disjoint ranges of i, a null every 7th v, few keys.
  // Three row groups (DuckDB's row groups are multiples of 2048 rows) with disjoint ranges of
  // i, a null every 7th v, few keys.
  await c.run(`COPY (SELECT i, i % 3 AS k3, CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 0.5)::DOUBLE END AS v,
      'k' || (i % 4) AS name FROM range(6144) t(i) ORDER BY i)
    TO '${join(dir, "small.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
  c.closeSync();
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closeSharedScheduler();
});

const col = (t: Table, name: string): unknown[] => [...t.getChild(name)!].map((v) => (typeof v === "bigint" ? Number(v) : v));

describe("the Arrow codec", () => {
  test("a table round-trips with its type, its nulls and shared buffers", () => {
    const t = tableFromArrays({ a: new Float64Array([1, 2, 3]), b: vectorFromArray(["x", null, "zz"], new Utf8()) });
    const wire = encodeValue(t);
    // What crosses threads is typed arrays in shared memory, not row objects.
    const bufs = (wire as { wire: { batches: { columns: { buffers: (ArrayBufferView | undefined)[] }[] }[] } }).wire.batches[0]!.columns.flatMap((c) => c.buffers.filter(Boolean));
    expect(bufs.length).toBeGreaterThan(0);
    for (const b of bufs) expect(b!.buffer).toBeInstanceOf(SharedArrayBuffer);
    const back = decodeValue(structuredClone(wire)) as Table;
    expect(back).toBeInstanceOf(Table);
    expect(back.toArray().map((r) => r.toJSON())).toEqual([{ a: 1, b: "x" }, { a: 2, b: null }, { a: 3, b: "zz" }]);
    // The decoded table reads shared memory, so passing it on again copies nothing.
    const again = tableFromWire(tableToWire(back));
    const tag = (t: Table): string => Object.prototype.toString.call(t.getChild("a")!.data[0]!.values.buffer);
    expect(tag(back)).toBe("[object SharedArrayBuffer]");
    expect(tag(again)).toBe("[object SharedArrayBuffer]");
  });

  test("sizeof counts a table's buffers", () => {
    const t = tableFromArrays({ a: new Float64Array(1000) });
    expect(sizeof(t)).toBeGreaterThanOrEqual(8000);
    expect(sizeof(t)).toBeLessThan(9000);
  });
});

describe("metadata without computing", () => {
  test("fromRecords infers columns and types from JavaScript values", () => {
    const df = fromRecords(rows, { npartitions: 3 });
    expect(df.npartitions).toBe(3);
    expect(df.columns).toEqual(["k", "g", "x", "s"]);
    expect(df.dtypes).toEqual({ k: "Utf8", g: "Float64", x: "Float64", s: "Utf8" });
  });

  test("operations know their result's columns and types", () => {
    const df = fromRecords(rows, { npartitions: 2 });
    const out = df.assign({ y: df.col("x").mul(2), big: df.col("x").gt(3) }).drop("s").rename({ k: "key" });
    expect(out.columns).toEqual(["key", "g", "x", "y", "big"]);
    expect(out.dtypes).toMatchObject({ y: "Float64", big: "Bool" });
    expect(out.npartitions).toBe(2);
  });
});

describe("row operations", () => {
  const df = fromRecords(rows, { npartitions: 3 });

  test("compute returns the partitions concatenated, in order", async () => {
    const t = await df.compute({ scheduler: "sync" });
    expect(t.numRows).toBe(7);
    expect(col(t, "x")).toEqual([1, 2, null, 4, 5, 6, 7]);
    expect(col(t, "k")).toEqual(["a", "b", "a", "c", "b", null, "a"]);
  });

  test("select, drop, rename, assign and filter on worker threads", async () => {
    const out = df
      .assign({ y: df.col("x").add(df.col("g")).mul(10), flag: df.col("k").eq("a") })
      .filter(df.col("x").ge(2).and(df.col("s").ne("five")))
      .rename({ y: "z" })
      .select(["k", "z", "flag"]);
    const t = await out.compute();
    expect(out.columns).toEqual(["k", "z", "flag"]);
    expect(col(t, "k")).toEqual(["b", "c", null, "a"]);
    expect(col(t, "z")).toEqual([30, 60, 90, 90]);
    expect(col(t, "flag")).toEqual([false, false, null, true]);
  });

  test("isNull, notNull, not, division and scalar broadcast", async () => {
    const t = await df
      .assign({ xn: df.col("x").isNull(), half: df.col("x").div(2), one: 1, kn: df.col("k").notNull().not() })
      .compute({ scheduler: "sync" });
    expect(col(t, "xn")).toEqual([false, false, true, false, false, false, false]);
    expect(col(t, "half")).toEqual([0.5, 1, null, 2, 2.5, 3, 3.5]);
    expect(col(t, "one")).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(col(t, "kn")).toEqual([false, false, false, false, false, true, false]);
  });

  test("filter treats null as false; string ordering is by code point", async () => {
    const t = await df.filter(df.col("s").gt("p")).compute({ scheduler: "sync" });
    expect(col(t, "s")).toEqual(["two", "six", "seven"]);
  });

  test("head reads only as many partitions as it needs", async () => {
    const h = await df.head(2);
    expect(col(h, "x")).toEqual([1, 2]);
    const all = await df.head(100, { scheduler: "sync" });
    expect(all.numRows).toBe(7);
  });

  test("len counts rows", async () => {
    await expect(df.len()).resolves.toBe(7);
    await expect(df.filter(df.col("g").eq(1)).len({ scheduler: "sync" })).resolves.toBe(3);
  });

  test("a Series computes to an Arrow vector", async () => {
    const v = await df.col("x").add(1).compute({ scheduler: "sync" });
    expect([...v]).toEqual([2, 3, null, 5, 6, 7, 8]);
  });

  test("fromArrow splits an Arrow table into partitions", async () => {
    const t = tableFromArrays({ i: Int32Array.from({ length: 10 }, (_, i) => i) });
    const d = fromArrow(t, { npartitions: 4 });
    expect(d.npartitions).toBe(4);
    const back = await d.filter(d.col("i").lt(100)).compute();
    expect(col(back, "i")).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(d.dtypes).toEqual({ i: "Int32" });
  });
});

describe("graph shape", () => {
  test("a chain of row operations is one task per partition", () => {
    const df = fromRecords(rows, { npartitions: 3 });
    const f = df.filter(df.col("x").gt(1));
    const out = f
      .assign({ y: f.col("x").mul(2) })
      .select(["k", "y"])
      .rename({ y: "z" });
    const { graph } = collectionsToGraph([out]);
    expect(graph.size).toBe(3);
  });

  test("a groupby is one task per partition plus the tree of combines", () => {
    const df = fromRecords(rows.concat(rows, rows, rows), { npartitions: 20 });
    const agg = df.filter(df.col("x").gt(0)).groupby("k").agg({ x: "sum" }, { splitEvery: 4 });
    const { graph } = collectionsToGraph([agg]);
    // 20 partials (each fused with its source and filter), 5 combines, 1 combine (of 4; the
    // fifth is carried up), 1 final.
    expect(graph.size).toBe(20 + 5 + 1 + 1);
  });
});

describe("groupby", () => {
  const df = fromRecords(rows, { npartitions: 3 });

  const byKey = (t: Table, keys: string[]): Record<string, Record<string, unknown>> => {
    const out: Record<string, Record<string, unknown>> = {};
    for (const r of t.toArray()) {
      const o = r.toJSON() as Record<string, unknown>;
      for (const [k, v] of Object.entries(o)) if (typeof v === "bigint") o[k] = Number(v);
      out[keys.map((k) => String(o[k])).join("|")] = o;
    }
    return out;
  };

  test("agg with every function, null keys dropped", async () => {
    const t = await df.groupby("k").agg({ x: ["sum", "mean", "count", "min", "max", "size"] }, { splitEvery: 2 }).compute();
    const r = byKey(t, ["k"]);
    expect(Object.keys(r).sort()).toEqual(["a", "b", "c"]);
    expect(r.a).toEqual({ k: "a", x_sum: 8, x_mean: 4, x_count: 2, x_min: 1, x_max: 7, x_size: 3 });
    expect(r.b).toEqual({ k: "b", x_sum: 7, x_mean: 3.5, x_count: 2, x_min: 2, x_max: 5, x_size: 2 });
    expect(r.c).toEqual({ k: "c", x_sum: 4, x_mean: 4, x_count: 1, x_min: 4, x_max: 4, x_size: 1 });
  });

  test("several keys, and groupby(k).col(x).mean()", async () => {
    const t = await df.groupby(["k", "g"]).col("x").mean().compute({ scheduler: "sync" });
    const r = byKey(t, ["k", "g"]);
    expect(r).toEqual({
      "a|1": { k: "a", g: 1, x: 1 },
      "b|1": { k: "b", g: 1, x: 3.5 },
      "a|2": { k: "a", g: 2, x: 7 },
      "c|2": { k: "c", g: 2, x: 4 },
    });
  });

  test("a numeric key, size()", async () => {
    const t = await df.groupby("g").size().compute();
    expect(byKey(t, ["g"])).toEqual({ "1": { g: 1, size: 3 }, "2": { g: 2, size: 3 }, "3": { g: 3, size: 1 } });
  });

  test("Series reductions", async () => {
    const x = df.col("x");
    const [s, m, lo, hi, n] = await compute(x.sum(), x.mean(), x.min(), x.max(), x.count({ splitEvery: 2 }));
    expect([s, m, lo, hi, n]).toEqual([25, 25 / 6, 1, 7, 6]);
    await expect(df.filter(x.gt(100)).col("x").mean().compute({ scheduler: "sync" })).resolves.toBeNaN();
  });
});

describe("readParquet", () => {
  test("one partition per row group, requested columns only", async () => {
    const df = await readParquet(join(dir, "small.parquet"), { columns: ["v", "i"] });
    expect(df.npartitions).toBe(3);
    expect(df.columns).toEqual(["v", "i"]);
    expect(df.dtypes).toEqual({ v: "Float64", i: "Int64" });
    const t = await df.compute();
    expect(t.numRows).toBe(6144);
    expect(t.schema.fields.map((f) => f.name)).toEqual(["v", "i"]);
    expect(col(t, "v").filter((v) => v === null)).toHaveLength(878);
  });

  test("filters skip row groups by statistics, then filter rows", async () => {
    const df = await readParquet(join(dir, "small.parquet"), { columns: ["i"], filters: [["i", ">=", 3000], ["k3", "==", 0]] });
    expect(df.npartitions).toBe(2); // row group 0 (i < 2048) is never read
    const t = await df.compute({ scheduler: "sync" });
    expect(col(t, "i")).toEqual(Array.from({ length: 1048 }, (_, j) => 3000 + 3 * j));
  });

  test("disjunctions, in and strings", async () => {
    const df = await readParquet(join(dir, "small.parquet"), {
      filters: [[["i", "<", 5]], [["name", "in", ["k1"]], ["i", ">", 6130]]],
    });
    expect(df.npartitions).toBe(2); // the middle row group can match neither
    const t = await df.compute();
    expect(col(t, "i")).toEqual([0, 1, 2, 3, 4, 6133, 6137, 6141]);
  });

  test("blocksize groups row groups", async () => {
    const df = await readParquet(join(dir, "small.parquet"), { blocksize: 1 << 30 });
    expect(df.npartitions).toBe(1);
    await expect(df.len()).resolves.toBe(6144);
  });

  test("directories and globs", async () => {
    const sub = join(dir, "parts");
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const { mkdirSync } = await import("node:fs");
    mkdirSync(sub, { recursive: true });
    for (let p = 0; p < 2; p++) await c.run(`COPY (SELECT ${p} AS p, i FROM range(10) t(i)) TO '${join(sub, `part-${p}.parquet`)}' (FORMAT parquet)`);
    c.closeSync();
    writeFileSync(join(sub, "_SUCCESS"), "");
    const fromDir = await readParquet(sub);
    expect(fromDir.npartitions).toBe(2);
    await expect(fromDir.len()).resolves.toBe(20);
    const fromGlob = await readParquet(join(sub, "part-*.parquet"), { columns: ["p"] });
    expect(col(await fromGlob.compute(), "p")).toEqual([...Array(10).fill(0), ...Array(10).fill(1)]);
  });

  test("clear errors: missing file, wrong column, truncated file, bad filter", async () => {
    await expect(readParquet(join(dir, "nope.parquet"))).rejects.toThrow(`no such file or directory: ${join(dir, "nope.parquet")}`);
    await expect(readParquet(join(dir, "small.parquet"), { columns: ["i", "delay"] })).rejects.toThrow(
      /no column "delay" .*columns are: i, k3, v, name/,
    );
    const { readFileSync } = await import("node:fs");
    writeFileSync(join(dir, "cut.parquet"), readFileSync(join(dir, "small.parquet")).subarray(0, 500));
    await expect(readParquet(join(dir, "cut.parquet"))).rejects.toThrow(/cut\.parquet is not a valid Parquet file \(truncated/);
    await expect(readParquet(join(dir, "small.parquet"), { filters: [["i", "~", 1]] as never })).rejects.toThrow(/unknown filter operator "~"/);
  });

  test("errors at graph-building time name the columns", () => {
    const df = fromRecords(rows);
    expect(() => df.col("nope")).toThrow(/no column "nope"; columns are: k, g, x, s/);
    expect(() => df.col("k").add(1)).toThrow(/Cannot add a string column/);
    expect(() => df.groupby("k").agg({ x: "median" as never })).toThrow(/unknown aggregation "median"/);
    expect(df).toBeInstanceOf(DataFrame);
  });
});

describe("row-group statistics", () => {
  const stats = new Map([["a", { min: 10n, max: 20n }], ["s", { min: "b", max: "d" }]]);
  test.each([
    [[["a", ">", 20]], false],
    [[["a", ">=", 20]], true],
    [[["a", "==", 5]], false],
    [[["a", "in", [1, 15]]], true],
    [[["s", "==", "e"]], false],
    [[["s", "<", "c"]], true],
    [[["zz", "==", 1]], true],
  ])("%j may match: %s", (filters, expected) => {
    expect(rowGroupMayMatch(normalizeFilters(filters as never), stats)).toBe(expected);
  });
});
