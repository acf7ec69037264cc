/**
 * `Series.str` and `Series.dt` against DuckDB on `flights-3m.parquet` (vega-datasets), on plain
 * Utf8 columns and on the same columns dictionary-encoded (`astype("category")`), plus edge
 * cases (nulls, empty partitions, non-ASCII text, nanosecond timestamps), clear errors, and the
 * Series/DataFrame names the "Operations" list promises.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { makeData, makeVector, type Table, TimestampNanosecond, Utf8, vectorFromArray, Table as ArrowTable } from "apache-arrow";
import { closeSharedScheduler, DataFrame, DatetimeMethods, type Delayed, fromArrow, fromRecords, GroupBy, readParquet, Series, SeriesGroupBy, StringMethods } from "@tessera/engine";
import { collectionsToGraph } from "@tessera/engine/internal";

const FLIGHTS = new URL("../../node_modules/vega-datasets/data/flights-3m.parquet", import.meta.url).pathname;

type Row = Record<string, unknown>;
let db: DuckDBConnection;
let plain: DataFrame;
let dict: DataFrame;

const num = (v: unknown): unknown => (typeof v === "bigint" ? Number(v) : v);
const rowsOf = (t: Table): Row[] => t.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON() as Row).map(([k, v]) => [k, num(v)])));
const valuesOf = (v: { [Symbol.iterator](): Iterator<unknown> }): unknown[] => [...v].map(num);

async function duck(sql: string): Promise<Row[]> {
  const r = await db.runAndReadAll(sql.replaceAll("FLIGHTS", `'${FLIGHTS}'`));
  return r.getRowObjects().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, num(v)])));
}

async function duckCount(where: string): Promise<number> {
  return (await duck(`SELECT count(*) AS n FROM FLIGHTS WHERE ${where}`))[0]!.n as number;
}

/** `{ key: count }` of a grouped count, from our rows or DuckDB's. */
const counts = (rows: Row[], key: string, count: string): Record<string, number> =>
  Object.fromEntries(rows.map((r) => [String(r[key]), r[count] as number]));

beforeAll(async () => {
  db = await (await DuckDBInstance.create(":memory:")).connect();
  plain = await readParquet(FLIGHTS, { columns: ["date", "delay", "origin", "destination"] });
  dict = plain.astype({ origin: "category", destination: "category" });
});

afterAll(async () => {
  db.closeSync();
  await closeSharedScheduler();
});

describe.each([
  ["Utf8", () => plain],
  ["dictionary-encoded", () => dict],
])("flights-3m string operations on %s columns, against DuckDB", (kind, frame) => {
  test("the column type is the one under test", () => {
    expect(frame().dtypes.origin).toBe(kind === "Utf8" ? "Utf8" : "Dictionary<Int32, Utf8>");
  });

  test("startsWith, endsWith, contains (literal, regex, ignoring case): counts", async () => {
    const df = frame();
    const o = df.col("origin");
    const d = df.col("destination");
    const [sw, ew, ct, re, ci] = await Promise.all([
      df.filter(o.str.startsWith("S")).len(),
      df.filter(d.str.endsWith("X")).len(),
      df.filter(o.str.contains("A")).len(),
      df.filter(o.str.contains("^[A-C].A$", { regex: true })).len(),
      df.filter(o.str.contains("sf", { case: false })).len(),
    ]);
    expect(sw).toBe(await duckCount("starts_with(origin, 'S')"));
    expect(ew).toBe(await duckCount("ends_with(destination, 'X')"));
    expect(ct).toBe(await duckCount("contains(origin, 'A')"));
    expect(re).toBe(await duckCount("regexp_matches(origin, '^[A-C].A$')"));
    expect(ci).toBe(await duckCount("contains(lower(origin), 'sf')"));
    expect(sw).toBeGreaterThan(0);
    expect(re).toBeGreaterThan(0);
  });

  test("lower and upper as group keys; len summed", async () => {
    const df = frame();
    const o = df.col("origin");
    const lowered = await df.assign({ o: o.str.lower() }).groupby("o").size().compute();
    expect(counts(rowsOf(lowered), "o", "size")).toEqual(counts(await duck("SELECT lower(origin) AS o, count(*) AS n FROM FLIGHTS GROUP BY 1"), "o", "n"));
    const upper = await df.filter(o.str.lower().str.upper().eq(o)).len();
    expect(upper).toBe(await duckCount("upper(lower(origin)) = origin"));
    await expect(df.col("destination").str.len().sum().compute()).resolves.toBe((await duck("SELECT sum(length(destination)) AS s FROM FLIGHTS"))[0]!.s);
  });

  test("strip of clean codes changes nothing; strip(chars) removes those characters", async () => {
    const df = frame();
    const o = df.col("origin");
    await expect(df.filter(o.str.strip().ne(o)).len()).resolves.toBe(0);
    const stripped = await df.assign({ s: o.str.strip("AS") }).groupby("s").size().compute();
    expect(counts(rowsOf(stripped), "s", "size")).toEqual(counts(await duck("SELECT trim(origin, 'AS') AS s, count(*) AS n FROM FLIGHTS GROUP BY 1"), "s", "n"));
  });
});

describe("dictionary and plain strings agree", () => {
  test("every operation gives the same values; string results of a dictionary stay encoded", async () => {
    const ops: [string, (s: Series) => Series][] = [
      ["lower", (s) => s.str.lower()],
      ["strip", (s) => s.str.lstrip("L").str.rstrip("X")],
      ["len", (s) => s.str.len()],
      ["contains", (s) => s.str.contains("[AEIOU]{2}", { regex: true })],
      ["eq", (s) => s.eq("SFO")],
    ];
    const some = (df: DataFrame): DataFrame => df.filter(df.col("delay").gt(200));
    for (const [name, op] of ops) {
      const a = await op(some(plain).col("origin")).compute();
      const b = await op(some(dict).col("origin")).compute();
      expect([name, valuesOf(b)]).toEqual([name, valuesOf(a)]);
      expect(a.length).toBeGreaterThan(1000);
    }
    expect(op0(dict).dtype).toBe("Dictionary<Int32, Utf8>");
    expect(op0(plain).dtype).toBe("Utf8");
  });

  const op0 = (df: DataFrame): Series => df.col("origin").str.upper();

  test("a dictionary column as a sort key, a join key (against plain strings) and in valueCounts", async () => {
    const some = (df: DataFrame): DataFrame => df.filter(df.col("delay").gt(300)).select(["origin", "delay"]);
    const sorted = await some(dict).sortValues(["origin", "delay"]).compute();
    const plainSorted = await some(plain).sortValues(["origin", "delay"]).compute();
    expect(valuesOf(sorted.getChild("origin")!)).toEqual(valuesOf(plainSorted.getChild("origin")!));
    const airports = fromRecords([{ code: "SFO", city: "San Francisco" }, { code: "ORD", city: "Chicago" }]);
    const joined = await some(dict).merge(airports, { leftOn: "origin", rightOn: "code" }).groupby("city").size().compute();
    const want = await duck("SELECT CASE origin WHEN 'SFO' THEN 'San Francisco' ELSE 'Chicago' END AS city, count(*) AS n FROM FLIGHTS WHERE delay > 300 AND origin IN ('SFO', 'ORD') GROUP BY 1");
    expect(counts(rowsOf(joined), "city", "size")).toEqual(counts(want, "city", "n"));
    const top = rowsOf(await some(dict).col("origin").valueCounts().head(3));
    expect(top).toEqual(await duck("SELECT origin, count(*) AS count FROM FLIGHTS WHERE delay > 300 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"));
  });
});

describe("flights-3m datetime parts against DuckDB", () => {
  test("groupby month, hour and dayofweek (Monday = 0): counts", async () => {
    const date = plain.col("date");
    const parts = plain.assign({ m: date.dt.month, h: date.dt.hour, w: date.dt.dayofweek }).select(["m", "h", "w"]).persist();
    const df = await parts;
    expect(df.dtypes).toEqual({ m: "Int32", h: "Int32", w: "Int32" });
    for (const [col, sql] of [
      ["m", "month(date)"],
      ["h", "hour(date)"],
      ["w", "isodow(date) - 1"],
    ] as const) {
      const ours = counts(rowsOf(await df.groupby(col).size().compute()), col, "size");
      const theirs = counts(await duck(`SELECT ${sql} AS k, count(*) AS n FROM FLIGHTS GROUP BY 1`), "k", "n");
      expect([col, ours]).toEqual([col, theirs]);
    }
  });

  test("year, day, minute, dayofyear and quarter: sums; date and floor('h'): distinct counts", async () => {
    const date = plain.col("date");
    const [y, d, mi, doy, q, days, hours] = await Promise.all([
      date.dt.year.sum().compute(),
      date.dt.day.sum().compute(),
      date.dt.minute.sum().compute(),
      date.dt.dayofyear.sum().compute(),
      date.dt.quarter.sum().compute(),
      date.dt.date.nunique().compute(),
      date.dt.floor("h").nunique().compute(),
    ]);
    const [want] = await duck(
      `SELECT sum(year(date)) AS y, sum(day(date)) AS d, sum(minute(date)) AS mi, sum(dayofyear(date)) AS doy, sum(quarter(date)) AS q,
        count(DISTINCT date::DATE) AS days, count(DISTINCT date_trunc('hour', date)) AS hours FROM FLIGHTS`,
    );
    expect({ y, d, mi, doy, q, days, hours }).toEqual(want);
  });

  test("a filter on a part and a string test fuse with the read: one task per partition", () => {
    const late = plain.filter(plain.col("date").dt.hour.ge(18).and(plain.col("origin").str.startsWith("S")));
    const out = late.assign({ day: late.col("date").dt.dayofweek, o: late.col("origin").str.lower() });
    expect(collectionsToGraph([out]).graph.size).toBe(plain.npartitions);
  });
});

describe("edge cases", () => {
  const texts = ["Apple", "banana ", null, "\u00a0Ärger\u3000", "straße", "", "héllo😀", "NA", 'a,"b"'];
  const small = (): DataFrame => {
    const t = new ArrowTable({ s: vectorFromArray(texts, new Utf8()), i: vectorFromArray(texts.map((_, i) => i)) });
    return fromArrow(t, { npartitions: 3 });
  };

  test("nulls propagate; non-ASCII text follows Unicode (as pandas)", async () => {
    const df = small();
    const s = df.col("s");
    const t = await df
      .assign({ sw: s.str.startsWith("a"), ct: s.str.contains("ll"), lo: s.str.lower(), up: s.str.upper(), n: s.str.len(), st: s.str.strip() })
      .compute();
    const rows = rowsOf(t);
    expect(rows.map((r) => r.sw)).toEqual([false, false, null, false, false, false, false, false, true]);
    expect(rows.map((r) => r.ct)).toEqual([false, false, null, false, false, false, true, false, false]);
    expect(rows.map((r) => r.lo)).toEqual(texts.map((x) => (x === null ? null : x.toLowerCase())));
    expect(rows.map((r) => r.up)).toEqual(["APPLE", "BANANA ", null, "\u00a0ÄRGER\u3000", "STRASSE", "", "HÉLLO😀", "NA", 'A,"B"']);
    expect(rows.map((r) => r.n)).toEqual([5, 7, null, 7, 6, 0, 6, 2, 5]);
    // Python's str.strip: Unicode whitespace (no-break space, ideographic space) too.
    expect(rows.map((r) => r.st)).toEqual(["Apple", "banana", null, "Ärger", "straße", "", "héllo😀", "NA", 'a,"b"']);
    // A null never passes a filter.
    await expect(df.filter(s.str.len().ge(0)).len()).resolves.toBe(texts.length - 1);
  });

  test("DuckDB agrees on non-ASCII lower, upper and length", async () => {
    const df = small();
    const s = df.col("s");
    const got = rowsOf(await df.assign({ lo: s.str.lower(), n: s.str.len() }).compute());
    for (const [i, text] of texts.entries()) {
      if (text === null) continue;
      const [want] = await duck(`SELECT lower(${sqlText(text)}) AS lo, length(${sqlText(text)}) AS n`);
      expect([text, got[i]!.lo, got[i]!.n]).toEqual([text, want!.lo, want!.n]);
    }
  });

  test("empty partitions", async () => {
    const df = small();
    const none = df.filter(df.col("i").gt(100));
    const t = await none.assign({ u: none.col("s").str.upper(), n: none.col("s").str.len() }).compute();
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(["s:Utf8", "i:Float64", "u:Utf8", "n:Int64"]);
    // Only the middle partition keeps rows.
    const some = df.filter(df.col("i").ge(3).and(df.col("i").lt(6)));
    const dictSome = some.astype({ s: "category" });
    expect(valuesOf(await dictSome.col("s").str.upper().compute())).toEqual(["\u00a0ÄRGER\u3000", "STRASSE", ""]);
    const dates = fromRecords([{ t: new Date(0) }], { npartitions: 1 });
    const empty = dates.filter(dates.col("t").isNull());
    expect(valuesOf(await empty.col("t").dt.month.compute())).toEqual([]);
  });

  test("datetime parts of nulls, dates before 1970, and exact nanoseconds", async () => {
    const df = fromRecords([{ t: new Date("2024-02-29T23:59:59.999Z") }, { t: null }, { t: new Date("1969-12-31T00:00:00Z") }, { t: new Date("1900-03-01T12:30:00Z") }]);
    const t = df.col("t");
    const rows = rowsOf(await df.assign({ y: t.dt.year, m: t.dt.month, d: t.dt.day, h: t.dt.hour, s: t.dt.second, w: t.dt.dayofweek, doy: t.dt.dayofyear }).compute());
    expect(rows.map((r) => [r.y, r.m, r.d, r.h, r.s, r.w, r.doy])).toEqual([
      [2024, 2, 29, 23, 59, 3, 60],
      [null, null, null, null, null, null, null],
      [1969, 12, 31, 0, 0, 2, 365],
      [1900, 3, 1, 12, 0, 3, 60],
    ]);
    // Nanoseconds beyond float64's exact integers: one nanosecond before a new year.
    const ns = [1_704_067_199_999_999_999n, 1_704_067_200_000_000_000n, -1n];
    const data = makeData({ type: new TimestampNanosecond(), length: 3, data: BigInt64Array.from(ns) });
    const nsFrame = fromArrow(new ArrowTable({ t: makeVector(data) }));
    const nt = nsFrame.col("t");
    const parts = rowsOf(await nsFrame.assign({ y: nt.dt.year, s: nt.dt.second }).compute());
    expect(parts.map((r) => [r.y, r.s])).toEqual([
      [2023, 59],
      [2024, 0],
      [1969, 59],
    ]);
    const floored = await nsFrame.assign({ f: nt.dt.floor("s"), fh: nt.dt.floor("h") }).compute();
    const raw = (name: string): bigint[] => Array.from(floored.getChild(name)!.data[0]!.values as BigInt64Array);
    expect(raw("f")).toEqual([1_704_067_199_000_000_000n, 1_704_067_200_000_000_000n, -1_000_000_000n]);
    expect(raw("fh")).toEqual([1_704_063_600_000_000_000n, 1_704_067_200_000_000_000n, -3_600_000_000_000n]);
  });
});

describe("errors name the column and its type", () => {
  test(".str on a number, .dt on a string, bad arguments", () => {
    expect(() => plain.col("delay").str).toThrow('Series "delay" is Int64: .str needs a string column');
    expect(() => plain.col("origin").dt).toThrow('Series "origin" is Utf8: .dt needs a Timestamp or Date column');
    expect(() => plain.col("origin").str.startsWith(5 as unknown as string)).toThrow("str.startsWith: expected a string, got number");
    expect(() => plain.col("origin").str.contains("(", { regex: true })).toThrow(/str\.contains: invalid regular expression "\("/);
    expect(() => plain.col("date").dt.floor("week" as never)).toThrow('dt.floor: unknown unit "week"');
    // A string result is still not a number: it can be counted, not summed.
    expect(() => plain.col("origin").str.lower().add(1)).toThrow("Cannot add a string column");
    expect(() => plain.col("origin").sum()).toThrow('sum: Series "origin" is Utf8, not numeric');
  });
});

describe("the Operations names of the issue exist", () => {
  test("DataFrame, Series, GroupBy and accessor methods", () => {
    const has = (proto: object, names: string[]): string[] => names.filter((n) => !(n in proto));
    expect(
      has(DataFrame.prototype, [
        "col", "select", "drop", "rename", "assign", "filter", "head", "tail", "len", "nlargest", "nsmallest", "describe", "valueCounts", "nunique",
        "dropDuplicates", "fillna", "dropna", "astype", "mapPartitions", "repartition", "persist", "groupby", "merge", "sortValues", "compute",
        "toParquet", "toCsv", "columns", "dtypes",
      ]),
    ).toEqual([]);
    expect(
      has(Series.prototype, [
        "add", "sub", "mul", "div", "gt", "ge", "lt", "le", "eq", "ne", "isNull", "notNull", "astype", "fillna", "dropna", "nlargest", "nsmallest",
        "dropDuplicates", "sum", "mean", "min", "max", "count", "std", "var", "quantile", "valueCounts", "nunique", "str", "dt",
      ]),
    ).toEqual([]);
    expect(has(GroupBy.prototype, ["agg", "col", "size"])).toEqual([]);
    expect(has(SeriesGroupBy.prototype, ["sum", "mean", "count", "min", "max", "std", "var", "first", "last", "nunique", "size"])).toEqual([]);
    expect(has(StringMethods.prototype, ["startsWith", "endsWith", "contains", "lower", "upper", "len", "strip"])).toEqual([]);
    expect(has(DatetimeMethods.prototype, ["year", "month", "day", "hour", "minute", "second", "dayofweek", "date", "floor"])).toEqual([]);
    expect(plain.npartitions).toBe(11);
  });

  test("Series astype, fillna, dropna, nlargest, nsmallest, dropDuplicates, std, var; DataFrame valueCounts and nunique", async () => {
    const d = plain.col("delay");
    const [std, variance] = await Promise.all([d.std().compute(), d.var().compute()]);
    const [want] = await duck("SELECT stddev_samp(delay) AS s, var_samp(delay) AS v FROM FLIGHTS");
    expect(Math.abs(std - (want!.s as number)) / (want!.s as number)).toBeLessThan(1e-9);
    expect(Math.abs(variance - (want!.v as number)) / (want!.v as number)).toBeLessThan(1e-9);

    expect(valuesOf(await d.nlargest(3).compute())).toEqual((await duck("SELECT delay FROM FLIGHTS ORDER BY delay DESC LIMIT 3")).map((r) => r.delay));
    expect(valuesOf(await d.nsmallest(3).compute())).toEqual((await duck("SELECT delay FROM FLIGHTS ORDER BY delay LIMIT 3")).map((r) => r.delay));
    await expect(dict.col("origin").str.lower().count().compute()).resolves.toBe(3_000_000);
    const distinct = await plain.col("origin").dropDuplicates().compute();
    expect(distinct.length).toBe((await duck("SELECT count(DISTINCT origin) AS n FROM FLIGHTS"))[0]!.n);
    expect(d.astype("float64").dtype).toBe("Float64");
    await expect(d.gt(100).astype("int32").sum().compute()).resolves.toBe(await duckCount("delay > 100"));

    const withNulls = fromRecords([{ x: 1, k: "a" }, { x: null, k: null }, { x: 3, k: "b" }], { npartitions: 2 });
    expect(valuesOf(await withNulls.col("x").fillna(-1).compute())).toEqual([1, -1, 3]);
    expect(valuesOf(await withNulls.col("k").fillna("z").compute())).toEqual(["a", "z", "b"]);
    expect(valuesOf(await withNulls.col("k").astype("category").fillna("z").compute())).toEqual(["a", "z", "b"]);
    expect(() => withNulls.col("x").fillna("oops")).toThrow('fillna: Series "x" is Float64; cannot fill it with "oops"');
    expect(valuesOf(await withNulls.col("x").dropna().compute())).toEqual([1, 3]);

    const vc = rowsOf(await plain.select(["origin"]).valueCounts().head(3));
    expect(vc).toEqual(await duck("SELECT origin, count(*) AS count FROM FLIGHTS GROUP BY 1 ORDER BY 2 DESC LIMIT 3"));
    const nu: Delayed<Record<string, number>> = plain.select(["origin", "destination"]).nunique();
    await expect(nu.compute()).resolves.toEqual((await duck("SELECT count(DISTINCT origin) AS origin, count(DISTINCT destination) AS destination FROM FLIGHTS"))[0]);
  });
});

function sqlText(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
