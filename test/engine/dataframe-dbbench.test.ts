/**
 * db-benchmark's groupby questions (q1–q10) and join questions (q1–q5), and the taxi tutorial's
 * `groupby("passenger_count").tip_amount.mean()`, on generated data (`scripts/make-*.mjs`,
 * written on first use into the untracked `.cache/data`), against DuckDB.
 *
 * Sizes: groupby N = 1e6 rows, K = 100 (4 files, 8 row groups); join x and big N = 1e5 rows
 * (medium 100 rows, small 10 rows); taxi 3e5 trips in 6 monthly files. Counts must be exact;
 * sums and means agree within a relative 1e-6, well inside db-benchmark's 0.005.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { Table } from "apache-arrow";
import { closeSharedScheduler, readParquet, type DataFrame } from "@tessera/engine";

type Row = Record<string, unknown>;
let db: DuckDBConnection;
let G: string;
let J: Record<"x" | "small" | "medium" | "big", string>;
let TAXI: string;
let x: DataFrame;

const num = (v: unknown): unknown => (typeof v === "bigint" ? Number(v) : v);
const rowsOf = (t: Table): Row[] => t.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON() as Row).map(([k, v]) => [k, num(v)])));

async function duck(sql: string): Promise<Row[]> {
  const text = sql.replaceAll("G1", `'${G}/*.parquet'`).replace(/\bJ_(x|small|medium|big)\b/g, (_, t: keyof typeof J) => `'${J[t]}/*.parquet'`).replaceAll("TAXI", `'${TAXI}/*.parquet'`);
  const r = await db.runAndReadAll(text);
  return r.getRowObjects().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, num(v)])));
}

function close(actual: unknown, expected: unknown, rel = 1e-6): boolean {
  if (typeof actual !== "number" || typeof expected !== "number") return actual === expected;
  return Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-12);
}

/** Same groups; `exact` columns equal, `approx` ones within a relative 1e-6. */
function expectSameGroups(ours: Row[], theirs: Row[], keys: string[], exact: string[], approx: string[]): void {
  const key = (r: Row): string => keys.map((k) => String(r[k])).join("|");
  const mine = new Map(ours.map((r) => [key(r), r]));
  expect(mine.size).toBe(ours.length);
  expect(ours.length).toBe(theirs.length);
  const bad: string[] = [];
  for (const w of theirs) {
    const o = mine.get(key(w));
    if (!o) {
      bad.push(`missing group ${key(w)}`);
      continue;
    }
    for (const c of exact) if (o[c] !== w[c]) bad.push(`${key(w)} ${c}: ${String(o[c])} != ${String(w[c])}`);
    for (const c of approx) if (!close(o[c], w[c])) bad.push(`${key(w)} ${c}: ${String(o[c])} != ${String(w[c])}`);
    if (bad.length > 5) break;
  }
  expect(bad).toEqual([]);
}

beforeAll(async () => {
  const gen = await import(new URL("../../scripts/make-groupby-data.mjs", import.meta.url).href);
  const taxi = await import(new URL("../../scripts/make-taxi-data.mjs", import.meta.url).href);
  G = await gen.makeGroupby({ n: 1e6, k: 100, files: 4 });
  J = await gen.makeJoin({ n: 1e5, files: 4 });
  TAXI = await taxi.makeTaxi({ n: 3e5, files: 6 });
  db = await (await DuckDBInstance.create(":memory:")).connect();
  x = await readParquet(G);
}, 120_000);

afterAll(async () => {
  db?.closeSync();
  await closeSharedScheduler();
});

describe("db-benchmark groupby, N = 1e6, K = 100", () => {
  test("the data has the generator's shape", async () => {
    expect(x.npartitions).toBe(8);
    expect(x.columns).toEqual(["id1", "id2", "id3", "id4", "id5", "id6", "v1", "v2", "v3"]);
    const [s] = await duck("SELECT count(*) AS n, count(DISTINCT id1) AS k1, count(DISTINCT id3) AS k3, min(v1) AS lo, max(v2) AS hi FROM G1");
    expect(s).toEqual({ n: 1e6, k1: 100, k3: 10000, lo: 1, hi: 5 });
  });

  test("q1: sum v1 by id1", async () => {
    const ours = rowsOf(await x.groupby("id1").agg({ v1: "sum" }).compute());
    expectSameGroups(ours, await duck("SELECT id1, sum(v1) AS v1 FROM G1 GROUP BY id1"), ["id1"], ["v1"], []);
  });

  test("q2: sum v1 by id1:id2", async () => {
    const ours = rowsOf(await x.groupby(["id1", "id2"]).agg({ v1: "sum" }).compute());
    expectSameGroups(ours, await duck("SELECT id1, id2, sum(v1) AS v1 FROM G1 GROUP BY id1, id2"), ["id1", "id2"], ["v1"], []);
  });

  test("q3: sum v1 mean v3 by id3", async () => {
    const ours = rowsOf(await x.groupby("id3").agg({ v1: "sum", v3: "mean" }).compute());
    expectSameGroups(ours, await duck("SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM G1 GROUP BY id3"), ["id3"], ["v1"], ["v3"]);
  });

  test("q4: mean v1:v3 by id4", async () => {
    const ours = rowsOf(await x.groupby("id4").agg({ v1: "mean", v2: "mean", v3: "mean" }).compute());
    expectSameGroups(ours, await duck("SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM G1 GROUP BY id4"), ["id4"], [], ["v1", "v2", "v3"]);
  });

  test("q5: sum v1:v3 by id6", async () => {
    const ours = rowsOf(await x.groupby("id6").agg({ v1: "sum", v2: "sum", v3: "sum" }).compute());
    expectSameGroups(ours, await duck("SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM G1 GROUP BY id6"), ["id6"], ["v1", "v2"], ["v3"]);
  });

  test("q6: median v3 sd v3 by id4 id5", async () => {
    const g = x.groupby(["id4", "id5"]);
    const ours = rowsOf(await g.col("v3").median().rename({ v3: "median_v3" }).merge(g.agg({ v3: "std" }).rename({ v3: "sd_v3" }), { on: ["id4", "id5"] }).compute());
    expectSameGroups(ours, await duck("SELECT id4, id5, median(v3) AS median_v3, stddev_samp(v3) AS sd_v3 FROM G1 GROUP BY id4, id5"), ["id4", "id5"], [], ["median_v3", "sd_v3"]);
  });

  test("q7: max v1 - min v2 by id3", async () => {
    const a = x.groupby("id3").agg({ v1: "max", v2: "min" });
    const ours = rowsOf(await a.assign({ range_v1_v2: a.col("v1").sub(a.col("v2")) }).select(["id3", "range_v1_v2"]).compute());
    expectSameGroups(ours, await duck("SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM G1 GROUP BY id3"), ["id3"], ["range_v1_v2"], []);
  });

  test("q8: largest two v3 by id6", async () => {
    const ours = rowsOf(await x.groupby("id6").col("v3").nlargest(2).compute());
    const theirs = await duck("SELECT id6, v3 FROM (SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) AS n FROM G1) WHERE n <= 2");
    const lines = (rows: Row[]): string[] => rows.map((r) => `${String(r.id6)}|${String(r.v3)}`).sort();
    expect(lines(ours)).toEqual(lines(theirs));
  });

  test("q9: regression v1 v2 by id2 id4 (r²)", async () => {
    const terms = x.assign({ xy: x.col("v1").mul(x.col("v2")), xx: x.col("v1").mul(x.col("v1")), yy: x.col("v2").mul(x.col("v2")) });
    const s = terms.groupby(["id2", "id4"]).agg({ v1: ["sum", "count"], v2: "sum", xy: "sum", xx: "sum", yy: "sum" });
    // r² = (n·Σxy − Σx·Σy)² / ((n·Σx² − (Σx)²)(n·Σy² − (Σy)²)); all terms are exact integers.
    const n = s.col("v1_count");
    const cov = n.mul(s.col("xy")).sub(s.col("v1_sum").mul(s.col("v2")));
    const vx = n.mul(s.col("xx")).sub(s.col("v1_sum").mul(s.col("v1_sum")));
    const vy = n.mul(s.col("yy")).sub(s.col("v2").mul(s.col("v2")));
    const ours = rowsOf(await s.assign({ r2: cov.mul(cov).div(vx.mul(vy)) }).select(["id2", "id4", "r2"]).compute());
    expectSameGroups(ours, await duck("SELECT id2, id4, power(corr(v1, v2), 2) AS r2 FROM G1 GROUP BY id2, id4"), ["id2", "id4"], [], ["r2"]);
  });

  test("q10: sum v3 count by id1:id6 (a million groups, splitOut)", async () => {
    const keys = ["id1", "id2", "id3", "id4", "id5", "id6"];
    const out = x.groupby(keys).agg({ v3: "sum", v1: "count" }, { splitOut: 4 });
    expect(out.npartitions).toBe(4);
    // One compute of the million groups, then checked here.
    const t = await out.compute();
    const v3 = t.getChild("v3")!.toArray() as Float64Array;
    const v1 = t.getChild("v1")!.toArray() as BigInt64Array;
    const id4 = t.getChild("id4")!.toArray() as Int32Array;
    let total = 0;
    let count = 0;
    const some: number[] = [];
    for (let i = 0; i < t.numRows; i++) {
      total += v3[i]!;
      count += Number(v1[i]!);
      if (id4[i] === 7) some.push(i);
    }
    const [w] = await duck("SELECT count(*) AS groups, sum(v3) AS v3, sum(cnt) AS cnt FROM (SELECT sum(v3) AS v3, count(*) AS cnt FROM G1 GROUP BY id1, id2, id3, id4, id5, id6)");
    expect([t.numRows, count]).toEqual([w!.groups, w!.cnt]);
    expect(close(total, w!.v3)).toBe(true);
    // Every group of one id4, exactly.
    const rows = some.map((i) => Object.fromEntries(Object.entries(t.get(i)!.toJSON() as Row).map(([k, v]) => [k, num(v)])));
    expectSameGroups(rows, await duck("SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(v1) AS v1 FROM G1 WHERE id4 = 7 GROUP BY ALL"), keys, ["v1"], ["v3"]);
  });
});

describe("db-benchmark join, N = 1e5", () => {
  let jx: DataFrame;
  let small: DataFrame;
  let medium: DataFrame;
  let big: DataFrame;
  beforeAll(async () => {
    [jx, small, medium, big] = await Promise.all([readParquet(J.x), readParquet(J.small), readParquet(J.medium), readParquet(J.big)]);
  });

  async function check(joined: DataFrame, sql: string): Promise<void> {
    const [n, v1, v2] = [await joined.len(), await joined.col("v1").sum().compute(), await joined.col("v2").sum().compute()];
    const [w] = await duck(`SELECT count(*) AS n, sum(v1) AS v1, sum(v2) AS v2 FROM ${sql}`);
    expect(n).toBe(w!.n);
    expect(close(v1, w!.v1)).toBe(true);
    expect(close(v2, w!.v2)).toBe(true);
  }

  test("q1: small inner on int (broadcast)", async () => {
    expect(small.npartitions).toBe(1);
    await check(jx.merge(small, { on: "id1" }), "J_x JOIN J_small USING (id1)");
  });
  test("q2: medium inner on int", async () => {
    await check(jx.merge(medium, { on: "id2" }), "J_x JOIN J_medium USING (id2)");
  });
  test("q3: medium outer (left) on int", async () => {
    await check(jx.merge(medium, { on: "id2", how: "left" }), "J_x LEFT JOIN J_medium USING (id2)");
  });
  test("q4: medium inner on factor (string key)", async () => {
    await check(jx.merge(medium, { on: "id5" }), "J_x JOIN J_medium USING (id5)");
  });
  test("q5: big inner on int (hash shuffle of both sides)", async () => {
    expect(big.npartitions).toBeGreaterThan(1);
    await check(jx.merge(big, { on: "id3" }), "J_x JOIN J_big USING (id3)");
  });
});

describe("taxi", () => {
  test('df.groupby("passenger_count").col("tip_amount").mean()', async () => {
    const df = await readParquet(TAXI);
    expect(df.npartitions).toBeGreaterThanOrEqual(6);
    const ours = rowsOf(await df.groupby("passenger_count").col("tip_amount").mean().compute());
    const theirs = await duck("SELECT passenger_count, avg(tip_amount) AS tip_amount FROM TAXI WHERE passenger_count IS NOT NULL GROUP BY passenger_count");
    expect(theirs).toHaveLength(6);
    expectSameGroups(ours, theirs, ["passenger_count"], [], ["tip_amount"]);
  });

  test("card payments only (a string filter): mean tip fraction", async () => {
    const df = await readParquet(TAXI, { filters: [["payment_type", "==", "Credit card"]] });
    const withFrac = df.assign({ frac: df.col("tip_amount").div(df.col("fare_amount")) });
    const ours = rowsOf(await withFrac.groupby("payment_type").agg({ frac: ["mean", "count"] }).compute());
    const theirs = await duck("SELECT payment_type, avg(tip_amount / fare_amount) AS frac_mean, count(*) AS frac_count FROM TAXI WHERE payment_type = 'Credit card' GROUP BY payment_type");
    expectSameGroups(ours, theirs, ["payment_type"], ["frac_count"], ["frac_mean"]);
  });
});
