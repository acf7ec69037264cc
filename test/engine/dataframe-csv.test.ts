/**
 * readCsv: byte-range partitions that never split a record (quoted newlines included), type
 * inference and overrides, errors naming file, line and column; results checked against
 * DuckDB's own CSV reader on generated files.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { Table } from "apache-arrow";
import { closeSharedScheduler, readCsv } from "@tessera/engine";
import { recordStarts } from "@tessera/engine/internal";

let dir: string;
let db: DuckDBConnection;

const num = (v: unknown): unknown => (typeof v === "bigint" ? Number(v) : v);
const col = (t: Table, name: string): unknown[] => [...t.getChild(name)!].map(num);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tessera-csv-"));
  db = await (await DuckDBInstance.create(":memory:")).connect();
});

afterAll(async () => {
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
  await closeSharedScheduler();
});

describe("splitting files into records", () => {
  test("boundaries skip newlines inside quoted fields", () => {
    // Every record holds a quoted newline right where a naive split would cut.
    const rows = Array.from({ length: 200 }, (_, i) => `${i},"line one\nline ""two"" ${i}",x`);
    const path = join(dir, "quoted.csv");
    writeFileSync(path, `id,text,tag\n${rows.join("\n")}\n`);
    const size = Buffer.byteLength(`id,text,tag\n${rows.join("\n")}\n`);
    const starts = recordStarts(path, size, 1024);
    expect(starts.length).toBeGreaterThan(3);
    const text = `id,text,tag\n${rows.join("\n")}\n`;
    for (const s of starts.slice(1)) expect(text.slice(s).match(/^\d+,"line one/)).not.toBeNull();
  });

  test("a file read in many ranges equals the file read whole", async () => {
    const path = join(dir, "quoted.csv");
    const parts = await readCsv(path, { blocksize: 1024 });
    const whole = await readCsv(path, { blocksize: null });
    expect(parts.npartitions).toBeGreaterThan(3);
    expect(whole.npartitions).toBe(1);
    const a = await parts.compute();
    const b = await whole.compute({ scheduler: "sync" });
    expect(a.numRows).toBe(200);
    expect(col(a, "id")).toEqual(col(b, "id"));
    expect(col(a, "text")).toEqual(col(b, "text"));
    expect(col(a, "text")[7]).toBe('line one\nline "two" 7');
  });
});

describe("types", () => {
  test("inference, nulls, CRLF, dtype and columns", async () => {
    const path = join(dir, "types.csv");
    writeFileSync(path, "i,f,b,s,t,e\r\n1,1.5,true,a,2024-01-02,\r\n-2,NA,False,\"b,c\",2024-01-03 04:05:06,\r\n,3e2,,NA,,\r\n");
    const df = await readCsv(path);
    expect(df.dtypes).toEqual({ i: "Int64", f: "Float64", b: "Bool", s: "Utf8", t: "Timestamp<MILLISECOND>", e: "Utf8" });
    const t = await df.compute({ scheduler: "sync" });
    expect(col(t, "i")).toEqual([1, -2, null]);
    expect(col(t, "f")).toEqual([1.5, null, 300]);
    expect(col(t, "b")).toEqual([true, false, null]);
    expect(col(t, "s")).toEqual(["a", "b,c", null]);
    expect(col(t, "t")).toEqual([Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3, 4, 5, 6), null]);
    const some = await readCsv(path, { columns: ["s", "i"], dtype: { i: "float64" } });
    expect(some.dtypes).toEqual({ s: "Utf8", i: "Float64" });
    expect(col(await some.compute(), "i")).toEqual([1, -2, null]);
  });

  test("no header, another delimiter", async () => {
    const path = join(dir, "plain.tsv.csv");
    writeFileSync(path, "1\tx\n2\ty\n");
    const df = await readCsv(path, { header: false, delimiter: "\t", names: ["n", "s"] });
    expect(df.columns).toEqual(["n", "s"]);
    expect(col(await df.compute(), "s")).toEqual(["x", "y"]);
  });
});

describe("errors name the file, line and column", () => {
  test("a value that does not fit the inferred type", async () => {
    const path = join(dir, "late-float.csv");
    // Inference sees only integers in its sample; row 5000 holds a fraction.
    const lines = ["a,b"];
    for (let i = 1; i <= 6000; i++) lines.push(`${i},${i === 5000 ? "2.5" : i}`);
    writeFileSync(path, lines.join("\n") + "\n");
    const df = await readCsv(path, { sample: 1000, blocksize: 8192 });
    expect(df.dtypes.b).toBe("Int64");
    await expect(df.compute()).rejects.toThrow(`late-float.csv line 5001, column "b": cannot parse "2.5" as int64 (pass dtype float64 for this column)`);
    const fixed = await readCsv(path, { sample: 1000, blocksize: 8192, dtype: { b: "float64" } });
    await expect(fixed.col("b").sum().compute()).resolves.toBe((6000 * 6001) / 2 - 5000 + 2.5);
  });

  test("a ragged row, and an unknown column", async () => {
    const path = join(dir, "ragged.csv");
    writeFileSync(path, "a,b,c\n1,2,3\n4,5\n6,7,8\n");
    const df = await readCsv(path);
    await expect(df.compute({ scheduler: "sync" })).rejects.toThrow(/ragged\.csv line 3: expected 3 fields, found 2/);
    await expect(readCsv(path, { columns: ["a", "zz"] })).rejects.toThrow(/no column "zz" .*columns are: a, b, c/);
    await expect(readCsv(join(dir, "nope-*.csv"))).rejects.toThrow(/no files match/);
  });
});

describe("against DuckDB's CSV reader", () => {
  test("a generated multi-file dataset: sums, counts, groups", async () => {
    for (let f = 0; f < 3; f++) {
      await db.run(`COPY (SELECT i, 'k' || (i % 7) AS k, CASE WHEN i % 11 = 0 THEN NULL ELSE round(i * 0.37, 3) END AS v,
          'say "hi", ' || i AS s FROM range(${f * 20000}, ${(f + 1) * 20000}) t(i))
          TO '${join(dir, `gen-${f}.csv`)}' (HEADER, DELIMITER ',')`);
    }
    const df = await readCsv(join(dir, "gen-*.csv"), { blocksize: 100_000 });
    expect(df.npartitions).toBeGreaterThan(6);
    expect(df.dtypes).toEqual({ i: "Int64", k: "Utf8", v: "Float64", s: "Utf8" });
    const ours = await df.groupby("k").agg({ v: ["sum", "count"], i: "max" }).compute();
    const reader = await db.runAndReadAll(
      `SELECT k, sum(v) AS v_sum, count(v) AS v_count, max(i) AS i FROM read_csv('${join(dir, "gen-*.csv")}') GROUP BY k`,
    );
    const want = new Map(reader.getRowObjects().map((r) => [r.k as string, r]));
    expect(ours.numRows).toBe(want.size);
    for (const r of ours.toArray()) {
      const o = r.toJSON() as Record<string, unknown>;
      const w = want.get(o.k as string)!;
      expect(num(o.v_count)).toBe(num(w.v_count));
      expect(num(o.i)).toBe(num(w.i));
      expect(Math.abs((o.v_sum as number) - (w.v_sum as number)) / (w.v_sum as number)).toBeLessThan(1e-9);
    }
    const s = await df.col("s").compute();
    expect(s.get(12345)).toBe('say "hi", 12345');
  });
});
