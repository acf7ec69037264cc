/**
 * `toParquet` and `toCsv`: one file per partition, written by the workers. Round trips
 * (write, read back with `readParquet`/`readCsv`, compare with the original), DuckDB reading
 * the written files (nobody here wrote its readers), compression codecs as DuckDB reports
 * them, CSV quoting, empty partitions, and the directory rules (refuse a non-empty directory
 * unless `overwrite`, never clear the directory being read).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { Binary, Bool, Dictionary, Float32, Int32, makeData, makeVector, Table, TimestampMicrosecond, TimestampNanosecond, Utf8, vectorFromArray } from "apache-arrow";
import { closeSharedScheduler, type DataFrame, fromArrow, readCsv, readParquet } from "@tessera/engine";

const FLIGHTS = new URL("../../node_modules/vega-datasets/data/flights-3m.parquet", import.meta.url).pathname;

type Row = Record<string, unknown>;
let db: DuckDBConnection;
let root: string;
let flights: DataFrame;

const num = (v: unknown): unknown => (typeof v === "bigint" ? Number(v) : v);
const rowsOf = (t: Table): Row[] => t.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON() as Row).map(([k, v]) => [k, num(v)])));

async function duck(sql: string): Promise<Row[]> {
  const r = await db.runAndReadAll(sql.replaceAll("FLIGHTS", `'${FLIGHTS}'`));
  return r.getRowObjects().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, num(v)])));
}

const dirOf = (name: string): string => join(root, name);

/**
 * A small table of every type the writers handle, with the awkward values: nulls, empty and
 * "NA" strings, quotes, delimiters and line breaks, non-ASCII text, whole and fractional
 * floats, infinities, pre-1970 and nanosecond timestamps, a dictionary column.
 */
function awkward(): Table {
  const s = ["plain", "", null, "NA", 'say "hi"', "a,b;c", "two\nlines", "Ärger 😀", " padded ", "null"];
  const n = s.length;
  const nsValues = BigInt64Array.from([0n, 1n, -1n, 1_704_067_199_999_999_999n, 86_400_000_000_000n, 5n, 6n, 7n, 8n, 9n]);
  return new Table({
    s: vectorFromArray(s, new Utf8()),
    cat: vectorFromArray(s.map((x) => (x === null ? null : x.slice(0, 2))), new Dictionary(new Utf8(), new Int32())),
    i: vectorFromArray(Array.from({ length: n }, (_, k) => (k === 4 ? null : k * 1000 - 3000)), new Int32()),
    big: vectorFromArray(Array.from({ length: n }, (_, k) => (k === 2 ? null : BigInt(k) * 1_000_000_000_000n - 9_007_199_254_740_993n))),
    f: vectorFromArray([1, 0.1, null, -2.5, 1e300, Infinity, -Infinity, 3, 1 / 3, -0.001]),
    f32: vectorFromArray([1.5, 0.1, 2, null, -3.25, 7, 8, 9, 10, 11], new Float32()),
    b: vectorFromArray([true, false, null, true, true, false, false, true, false, true], new Bool()),
    t: makeVector(makeData({ type: new TimestampMicrosecond(), length: n, nullCount: 1, nullBitmap: Uint8Array.of(0xfd, 0x03), data: BigInt64Array.from({ length: n }, (_, k) => BigInt(k - 3) * 86_400_123_456n) })),
    ns: makeVector(makeData({ type: new TimestampNanosecond(), length: n, data: nsValues })),
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "tessera-write-"));
  db = await (await DuckDBInstance.create(":memory:")).connect();
  flights = await readParquet(FLIGHTS);
});

afterAll(async () => {
  db.closeSync();
  rmSync(root, { recursive: true, force: true });
  await closeSharedScheduler();
});

describe("toParquet", () => {
  test("flights-3m: one file per partition, read back by readParquet and DuckDB unchanged", async () => {
    const dir = dirOf("flights-parquet");
    const paths = await flights.toParquet(dir);
    expect(paths).toEqual(Array.from({ length: 11 }, (_, i) => join(dir, `part-${String(i).padStart(5, "0")}.parquet`)));
    expect(readdirSync(dir).sort()).toEqual(paths.map((p) => p.slice(dir.length + 1)));

    const back = await readParquet(dir);
    expect(back.npartitions).toBe(flights.npartitions);
    expect(back.dtypes).toEqual(flights.dtypes);
    const [ours] = await Promise.all([back.len()]);
    expect(ours).toBe(3_000_000);
    // The same rows (as a multiset; head and tail below check the order).
    const [diff] = await duck(
      `SELECT count(*) AS n FROM (SELECT * FROM FLIGHTS EXCEPT ALL SELECT * FROM read_parquet('${dir}/*.parquet'))`,
    );
    expect(diff!.n).toBe(0);
    const [a] = await duck(`SELECT count(*) AS n, sum(delay) AS d, sum(distance) AS s, count(DISTINCT origin) AS o FROM read_parquet('${dir}/*.parquet')`);
    const [b] = await duck("SELECT count(*) AS n, sum(delay) AS d, sum(distance) AS s, count(DISTINCT origin) AS o FROM FLIGHTS");
    expect(a).toEqual(b);
    // Our reader sees the same values in the same order as in the original file.
    const firstBack = rowsOf(await back.head(5));
    expect(firstBack).toEqual(rowsOf(await flights.head(5)));
    const lastBack = rowsOf(await back.tail(5));
    expect(lastBack).toEqual(rowsOf(await flights.tail(5)));
    await expect(back.col("delay").sum().compute()).resolves.toBe(b!.d);
  });

  test("every type round-trips exactly, dictionary columns stay encoded", async () => {
    const df = fromArrow(awkward(), { npartitions: 3 });
    const dir = dirOf("awkward-parquet");
    await df.toParquet(dir);
    const back = await readParquet(dir);
    expect(back.dtypes).toEqual(df.dtypes);
    expect(back.dtypes.cat).toBe("Dictionary<Int32, Utf8>");
    const original = await df.compute();
    const got = await back.compute();
    expect(rowsOf(got)).toEqual(rowsOf(original));
    // Nanoseconds beyond float64 precision survive.
    expect(Array.from(got.getChild("ns")!.toArray() as BigInt64Array)).toEqual(Array.from(original.getChild("ns")!.toArray() as BigInt64Array));
  });

  test("compression codecs as DuckDB reports them; rowGroupSize; a file name function", async () => {
    const df = fromArrow(awkward(), { npartitions: 2 });
    for (const [codec, duckName] of [["snappy", "SNAPPY"], ["zstd", "ZSTD"], ["gzip", "GZIP"], ["brotli", "BROTLI"], ["lz4", "LZ4_RAW"], ["none", "UNCOMPRESSED"]] as const) {
      const dir = dirOf(`codec-${codec}`);
      const [first] = await df.toParquet(dir, { compression: codec });
      const codecs = await duck(`SELECT DISTINCT compression FROM parquet_metadata('${first}')`);
      expect([codec, codecs.map((r) => r.compression)]).toEqual([codec, [duckName]]);
      const [{ n }] = (await duck(`SELECT count(*) AS n FROM read_parquet('${dir}/*.parquet')`)) as [{ n: number }];
      expect(n).toBe(10);
    }
    const grouped = fromArrow(new Table({ x: vectorFromArray(Array.from({ length: 2500 }, (_, i) => i)) }));
    const dir = dirOf("row-groups");
    const paths = await grouped.toParquet(dir, { rowGroupSize: 1000, nameFunction: (i) => `chunk-${i}.parquet` });
    expect(paths).toEqual([join(dir, "chunk-0.parquet")]);
    const back = await readParquet(dir);
    expect(back.npartitions).toBe(3);
    await expect(back.col("x").sum().compute()).resolves.toBe((2499 * 2500) / 2);
  });

  test("empty partitions are written as files of zero rows", async () => {
    const df = fromArrow(awkward(), { npartitions: 5 });
    const some = df.filter(df.col("i").ge(4000));
    const dir = dirOf("empty-parquet");
    const paths = await some.toParquet(dir);
    expect(paths).toHaveLength(5);
    const back = await readParquet(dir);
    expect(rowsOf(await back.compute())).toEqual(rowsOf(await some.compute()));
    const [{ n }] = (await duck(`SELECT count(*) AS n FROM read_parquet('${dir}/*.parquet')`)) as [{ n: number }];
    expect(n).toBe(3);
  });
});

describe("toCsv", () => {
  test("flights-3m: read back by readCsv and DuckDB with the same values", async () => {
    const dir = dirOf("flights-csv");
    const paths = await flights.toCsv(dir);
    expect(paths).toHaveLength(11);
    expect(readFileSync(paths[0]!, "utf8").slice(0, 80).split("\n").slice(0, 2)).toEqual(["date,delay,distance,origin,destination", "2001-01-01 00:01:00,33,2176,LAS,PHL"]);
    const back = await readCsv(dir);
    expect(back.dtypes).toEqual({ date: "Timestamp<MILLISECOND>", delay: "Int64", distance: "Int64", origin: "Utf8", destination: "Utf8" });
    const [a] = await duck(`SELECT count(*) AS n, sum(delay) AS d, sum(distance) AS s, count(DISTINCT origin) AS o, min(date)::VARCHAR AS lo, max(date)::VARCHAR AS hi FROM read_csv('${dir}/*.csv')`);
    const [b] = await duck("SELECT count(*) AS n, sum(delay) AS d, sum(distance) AS s, count(DISTINCT origin) AS o, min(date)::VARCHAR AS lo, max(date)::VARCHAR AS hi FROM FLIGHTS");
    expect(a).toEqual(b);
    const [diff] = await duck(`SELECT count(*) AS n FROM (SELECT * FROM FLIGHTS EXCEPT ALL SELECT * FROM read_csv('${dir}/*.csv'))`);
    expect(diff!.n).toBe(0);
    const [ours, want] = await Promise.all([back.groupby("origin").agg({ delay: "sum" }).compute(), duck("SELECT origin, sum(delay) AS delay FROM FLIGHTS GROUP BY 1")]);
    const byOrigin = (rows: Row[]): Record<string, unknown> => Object.fromEntries(rows.map((r) => [r.origin as string, r.delay]));
    expect(byOrigin(rowsOf(ours))).toEqual(byOrigin(want));
    // Dates read back from the text (milliseconds now) have the same parts.
    const months = rowsOf(await back.assign({ m: back.col("date").dt.month }).groupby("m").size().compute());
    const wantMonths = await duck("SELECT month(date) AS m, count(*) AS size FROM FLIGHTS GROUP BY 1");
    const byMonth = (rows: Row[]): Record<string, unknown> => Object.fromEntries(rows.map((r) => [String(r.m), r.size]));
    expect(byMonth(months)).toEqual(byMonth(wantMonths));
  });

  test("quoting (RFC 4180), nulls, empty strings and every type read back as written", async () => {
    const df = fromArrow(awkward(), { npartitions: 3 });
    const dir = dirOf("awkward-csv");
    await df.toCsv(dir);
    const text = readdirSync(dir).sort().map((f) => readFileSync(join(dir, f), "utf8")).join("");
    expect(text).toContain('"say ""hi"""');
    expect(text).toContain('"two\nlines"');
    expect(text).toContain(',"",'); // the empty string, not a null
    expect(text).toContain('"NA"'); // would read as null unquoted
    const back = await readCsv(dir, { dtype: { s: "string", cat: "string" } });
    const got = rowsOf(await back.compute());
    const want = rowsOf(await df.compute());
    expect(got.map((r) => r.s)).toEqual(want.map((r) => r.s));
    expect(got.map((r) => r.cat)).toEqual(want.map((r) => r.cat));
    expect(got.map((r) => r.i)).toEqual(want.map((r) => r.i));
    expect(got.map((r) => r.big)).toEqual(want.map((r) => r.big));
    expect(got.map((r) => r.f)).toEqual(want.map((r) => r.f));
    // Float32 values are written in their shortest form ("0.1") and read back as float64.
    expect(got.map((r) => (r.f32 === null ? null : Math.fround(r.f32 as number)))).toEqual(want.map((r) => r.f32));
    expect(got.map((r) => r.b)).toEqual(want.map((r) => r.b));
    // readCsv keeps milliseconds: the written microseconds are exact in the text.
    expect(got.map((r) => r.t)).toEqual(want.map((r) => (r.t === null ? null : Math.floor(r.t as number))));
    expect(back.dtypes.f).toBe("Float64");
    // DuckDB reads the same text: counts, nulls, the big integers exactly.
    const [d] = await duck(
      `SELECT count(*) AS n, count(s) AS s, sum(i) AS i, max(big)::VARCHAR AS big, count(*) FILTER (WHERE s = '') AS empty, max(length(s)) AS longest
        FROM read_csv('${dir}/*.csv', allow_quoted_nulls = false)`,
    );
    expect(d).toEqual({ n: 10, s: 9, i: 14000, big: String(9n * 1_000_000_000_000n - 9_007_199_254_740_993n), empty: 1, longest: 9 });
  });

  test("header: false, another delimiter, and header-only files for empty partitions", async () => {
    const df = fromArrow(awkward(), { npartitions: 2 }).select(["s", "i", "b"]);
    const dir = dirOf("semicolon");
    await df.toCsv(dir, { header: false, delimiter: ";" });
    const first = readFileSync(join(dir, "part-00000.csv"), "utf8");
    expect(first.split("\n")[0]).toBe("plain;-3000;true");
    const back = await readCsv(dir, { header: false, names: ["s", "i", "b"], delimiter: ";", dtype: { s: "string" } });
    expect(rowsOf(await back.compute())).toEqual(rowsOf(await df.compute()));

    const none = df.filter(df.col("i").gt(1e9));
    const emptyDir = dirOf("empty-csv");
    await none.toCsv(emptyDir);
    expect(readFileSync(join(emptyDir, "part-00001.csv"), "utf8")).toBe("s,i,b\n");
    const [{ n }] = (await duck(`SELECT count(*) AS n FROM read_csv('${emptyDir}/*.csv', header = true)`)) as [{ n: number }];
    expect(n).toBe(0);
    await expect((await readCsv(emptyDir)).len()).resolves.toBe(0);
  });
});

describe("the directory", () => {
  test("a non-empty directory is refused, naming it; overwrite replaces its contents", async () => {
    const df = fromArrow(awkward(), { npartitions: 2 });
    const dir = dirOf("occupied");
    mkdirSync(dir);
    writeFileSync(join(dir, "keep-me.txt"), "x");
    await expect(df.toParquet(dir)).rejects.toThrow(`toParquet: directory ${dir} is not empty (1 entry); pass { overwrite: true } to replace its contents`);
    await expect(df.toCsv(dir)).rejects.toThrow(`toCsv: directory ${dir} is not empty`);
    expect(readdirSync(dir)).toEqual(["keep-me.txt"]);
    await df.toParquet(dir, { overwrite: true });
    expect(readdirSync(dir).sort()).toEqual(["part-00000.parquet", "part-00001.parquet"]);
    await df.select(["s"]).toCsv(dir, { overwrite: true });
    expect(readdirSync(dir).sort()).toEqual(["part-00000.csv", "part-00001.csv"]);
  });

  test("never clears what the DataFrame reads, the working directory or a file", async () => {
    const dir = dirOf("source");
    await fromArrow(awkward(), { npartitions: 2 }).toParquet(dir);
    const source = await readParquet(dir);
    await expect(source.toParquet(dir, { overwrite: true })).rejects.toThrow(`toParquet: cannot overwrite ${dir}: this DataFrame reads ${join(dir, "part-00000.parquet")} from it`);
    const csvSource = await readCsv((await fromArrow(awkward()).select(["i"]).toCsv(dirOf("csv-source")))[0]!);
    await expect(csvSource.toCsv(dirOf("csv-source"), { overwrite: true })).rejects.toThrow("this DataFrame reads");
    expect(readdirSync(dir)).toHaveLength(2);
    // The working directory and its parents (inside the temporary directory, so a failure could only clear that).
    const parent = dirOf("parent");
    const child = join(parent, "child");
    mkdirSync(child, { recursive: true });
    writeFileSync(join(parent, "keep-me.txt"), "x");
    const cwd = process.cwd();
    process.chdir(child);
    try {
      await expect(source.toCsv(parent, { overwrite: true })).rejects.toThrow(`toCsv: refusing to clear ${parent}`);
      await expect(source.toCsv(".", { overwrite: true })).resolves.toHaveLength(2); // empty: nothing to clear
      await expect(source.toCsv(".", { overwrite: true })).rejects.toThrow(`toCsv: refusing to clear ${child}`);
    } finally {
      process.chdir(cwd);
    }
    expect(readdirSync(parent).sort()).toEqual(["child", "keep-me.txt"]);
    const file = join(root, "a-file");
    writeFileSync(file, "x");
    await expect(source.toParquet(file)).rejects.toThrow(`toParquet: ${file} exists and is not a directory`);
  });

  test("bad options fail before anything is written", async () => {
    const df = fromArrow(awkward());
    const dir = dirOf("never-made");
    await expect(df.toParquet(dir, { compression: "lzma" as never })).rejects.toThrow('toParquet: unknown compression "lzma" (use one of snappy, zstd, gzip, brotli, lz4, none)');
    await expect(df.toParquet(dir, { rowGroupSize: 0 })).rejects.toThrow("rowGroupSize must be a positive integer");
    await expect(df.toCsv(dir, { delimiter: "::" })).rejects.toThrow('toCsv: delimiter must be one ASCII character other than a quote or line break, got "::"');
    await expect(df.toParquet(dir, { nameFunction: () => "same.parquet" })).resolves.toHaveLength(1);
    rmSync(dir, { recursive: true });
    const two = fromArrow(awkward(), { npartitions: 2 });
    await expect(two.toParquet(dir, { nameFunction: () => "same.parquet" })).rejects.toThrow('nameFunction returned "same.parquet" for two partitions');
    await expect(two.toParquet(dir, { nameFunction: (i) => `../${i}.parquet` })).rejects.toThrow("nameFunction must return a plain file name");
    const bin = fromArrow(new Table({ blob: makeVector(makeData({ type: new Binary(), length: 1, valueOffsets: Int32Array.of(0, 2), data: Uint8Array.of(1, 2) })) }));
    await expect(bin.toCsv(dir)).rejects.toThrow('toCsv: column "blob" is Binary, which CSV cannot hold');
    expect(existsSync(dir)).toBe(false);
  });

  test("the files are complete when the promise resolves", async () => {
    const dir = dirOf("sizes");
    const paths = await flights.select(["origin", "delay"]).toParquet(dir, { compression: "zstd" });
    for (const p of paths) expect(statSync(p).size).toBeGreaterThan(10_000);
    const [{ n }] = (await duck(`SELECT count(*) AS n FROM read_parquet([${paths.map((p) => `'${p}'`).join(", ")}])`)) as [{ n: number }];
    expect(n).toBe(3_000_000);
  });
});
