/**
 * Differential tests: DataFrame results on real data nobody here wrote (`flights-3m.parquet`
 * from vega-datasets: 3 M flights, 11 row groups) against DuckDB.
 *
 * Counts, sizes, min and max must be exact. Sums and means are compared with a relative
 * tolerance of 1e-9: `delay` and `distance` are integers, so sums are exact in float64 either
 * way and only the final division could differ in the last bit; db-benchmark's looser 0.005
 * is not needed here because no floating-point column is summed in a different order.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { Table } from "apache-arrow";
import { closeSharedScheduler, compute, readParquet } from "@tessera/engine";

const FLIGHTS = new URL("../../node_modules/vega-datasets/data/flights-3m.parquet", import.meta.url).pathname;

let db: DuckDBConnection;

beforeAll(async () => {
  db = await (await DuckDBInstance.create(":memory:")).connect();
});

afterAll(async () => {
  db.closeSync();
  await closeSharedScheduler();
});

type Row = Record<string, unknown>;

const num = (v: unknown): unknown => (typeof v === "bigint" ? Number(v) : v);

async function duck(sql: string): Promise<Row[]> {
  const reader = await db.runAndReadAll(sql.replaceAll("FLIGHTS", `'${FLIGHTS}'`));
  return reader.getRowObjects().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, num(v)])));
}

function rowsOf(t: Table): Row[] {
  return t.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON() as Row).map(([k, v]) => [k, num(v)])));
}

/** Index rows by their key columns. */
function byKeys(rows: Row[], keys: string[]): Map<string, Row> {
  const m = new Map<string, Row>();
  for (const r of rows) m.set(keys.map((k) => String(r[k])).join("|"), r);
  return m;
}

function expectClose(actual: unknown, expected: unknown, rel = 1e-9): void {
  if (typeof expected !== "number" || typeof actual !== "number") {
    expect(actual).toEqual(expected);
    return;
  }
  const scale = Math.max(Math.abs(expected), 1e-300);
  expect(Math.abs(actual - expected) / scale).toBeLessThanOrEqual(rel);
}

/** Same groups; exact columns equal, approximate columns within `rel`. */
function expectSameGroups(ours: Row[], theirs: Row[], keys: string[], exact: string[], approx: string[]): void {
  const a = byKeys(ours, keys);
  const b = byKeys(theirs, keys);
  expect(a.size).toBe(b.size);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, want] of b) {
    const got = a.get(k)!;
    for (const c of exact) expect([k, c, got[c]]).toEqual([k, c, want[c]]);
    for (const c of approx) expectClose(got[c], want[c]);
  }
}

describe("flights-3m against DuckDB", () => {
  test("the whole file: rows, columns and types known from the footer", async () => {
    const df = await readParquet(FLIGHTS, { columns: ["origin", "delay"] });
    expect(df.npartitions).toBe(11);
    expect(df.dtypes).toEqual({ origin: "Utf8", delay: "Int64" });
    const [{ n }] = (await duck("SELECT count(*) AS n FROM FLIGHTS")) as [{ n: number }];
    await expect(df.len()).resolves.toBe(n);
  });

  test("groupby(origin) mean and count of delay", async () => {
    const df = await readParquet(FLIGHTS, { columns: ["origin", "delay"] });
    const ours = rowsOf(await df.groupby("origin").agg({ delay: ["mean", "count", "size"] }).compute());
    const theirs = await duck(
      "SELECT origin, avg(delay) AS delay_mean, count(delay) AS delay_count, count(*) AS delay_size FROM FLIGHTS WHERE origin IS NOT NULL GROUP BY origin",
    );
    expect(theirs.length).toBeGreaterThan(200);
    expectSameGroups(ours, theirs, ["origin"], ["delay_count", "delay_size"], ["delay_mean"]);
  });

  test("filter then groupby(origin): sum, mean, min, max (tree of combines)", async () => {
    const df = await readParquet(FLIGHTS, { columns: ["origin", "delay", "distance"] });
    const late = df.filter(df.col("delay").gt(15).and(df.col("distance").lt(1000)));
    const ours = rowsOf(await late.groupby("origin").agg({ delay: ["sum", "mean", "min", "max"] }, { splitEvery: 3 }).compute());
    const theirs = await duck(`SELECT origin, sum(delay) AS delay_sum, avg(delay) AS delay_mean, min(delay) AS delay_min,
        max(delay) AS delay_max FROM FLIGHTS WHERE delay > 15 AND distance < 1000 GROUP BY origin`);
    expectSameGroups(ours, theirs, ["origin"], ["delay_sum", "delay_min", "delay_max"], ["delay_mean"]);
  });

  test("two keys: groupby([origin, destination]) count and mean of an expression", async () => {
    const df = await readParquet(FLIGHTS, { columns: ["origin", "destination", "delay", "distance"] });
    const withSpeed = df.assign({ per_mile: df.col("delay").div(df.col("distance")) });
    const ours = rowsOf(await withSpeed.groupby(["origin", "destination"]).agg({ per_mile: ["mean", "count"] }).compute());
    const theirs = await duck(`SELECT origin, destination, avg(delay / distance) AS per_mile_mean, count(*) AS per_mile_count
        FROM FLIGHTS GROUP BY origin, destination`);
    expect(theirs.length).toBeGreaterThan(1000);
    // Sums of non-integers in another order: db-benchmark's tolerance would be 0.005; 1e-9 holds here.
    expectSameGroups(ours, theirs, ["origin", "destination"], ["per_mile_count"], ["per_mile_mean"]);
  });

  test("Series reductions", async () => {
    const df = await readParquet(FLIGHTS, { columns: ["delay", "distance"] });
    const d = df.col("delay");
    const [sum, mean, min, max, count, dist] = await compute(d.sum(), d.mean(), d.min(), d.max(), d.count(), df.col("distance").sum());
    const [want] = await duck(`SELECT sum(delay) AS s, avg(delay) AS m, min(delay) AS lo, max(delay) AS hi,
        count(delay) AS n, sum(distance) AS dist FROM FLIGHTS`);
    expect([sum, min, max, count, dist]).toEqual([want!.s, want!.lo, want!.hi, want!.n, want!.dist]);
    expectClose(mean, want!.m);
  });

  test("readParquet filters: skipped row groups and filtered rows match a WHERE clause", async () => {
    const df = await readParquet(FLIGHTS, {
      columns: ["origin", "delay"],
      filters: [["origin", "in", ["SFO", "LAX"]], ["delay", ">=", 60]],
    });
    const ours = rowsOf(await df.groupby("origin").agg({ delay: ["count", "max"] }).compute({ scheduler: "sync" }));
    const theirs = await duck(
      "SELECT origin, count(*) AS delay_count, max(delay) AS delay_max FROM FLIGHTS WHERE origin IN ('SFO', 'LAX') AND delay >= 60 GROUP BY origin",
    );
    expectSameGroups(ours, theirs, ["origin"], ["delay_count", "delay_max"], []);
  });
});
