/**
 * `readCsv`: a DataFrame of CSV files, like `dask.dataframe.read_csv`.
 *
 * Planning, on the calling thread: the files (a path, directory, glob or list), the header,
 * the column types (inferred from a sample of the first file, overridden by `dtype`) and the
 * byte ranges. A file larger than `blocksize` is cut into ranges that each start at a record
 * boundary: a boundary is the first newline at or after `k * blocksize` that is not inside a
 * quoted field (RFC 4180 lets quoted fields hold newlines). Quote parity is found with
 * `Buffer.indexOf` over the file, which runs at memory speed, so planning never splits a
 * record, unlike a plain newline search.
 *
 * Parsing, in the workers (`csv-parse.ts`): each task reads its byte range and parses it
 * straight into shared-memory Arrow columns.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { Table } from "apache-arrow";
import { DataFrame } from "../collections/dataframe/frame.js";
import { BlockwiseLayer, HighLevelGraph, perBlock } from "../graph/hlg.js";
import { builtin, lit } from "../graph/task.js";
import { tokenize } from "../graph/tokenize.js";
import { emptyData, tableFromData } from "../kernels/dataframe-arrow.js";
import {
  arrowTypeOf,
  CSV_TYPES,
  type CsvDialect,
  type CsvType,
  DEFAULT_NA,
  inferCsvType,
  type CsvPartSpec,
  splitRecords,
} from "./csv-parse.js";
import { expandPaths } from "./paths.js";

export type { CsvType } from "./csv-parse.js";

export interface ReadCsvOptions {
  /**
   * Bytes per partition (default 64 MiB, as Dask): files larger than this are split into
   * ranges that each start at a record boundary. `null` reads each file as one partition.
   */
  blocksize?: number | null;
  /** Columns to keep (default all), in the order wanted. Others are skipped while parsing. */
  columns?: string[];
  /**
   * Types by column name, overriding inference: `"int64"`, `"float64"`, `"bool"`, `"string"`,
   * `"timestamp"` (ISO 8601, UTC unless a zone is given; stored as milliseconds).
   */
  dtype?: Record<string, CsvType>;
  /** Whether the first line names the columns (default true). */
  header?: boolean;
  /** Column names when there is no header (default `"0"`, `"1"`, …). */
  names?: string[];
  /** One-byte field separator (default `,`). */
  delimiter?: string;
  /** Field texts read as null (default: empty, NA, N/A, NaN, nan, null, NULL, None, #N/A). */
  naValues?: string[];
  /** Bytes of the first file read to infer types (default 256 KiB, as Dask). */
  sample?: number;
}

const DEFAULT_BLOCKSIZE = 64 * 1024 * 1024;
const LF = 0x0a;
const QUOTE = 0x22;

function readHead(path: string, bytes: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(bytes);
    const got = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * Offsets where partitions of a file start: 0, then for every multiple of `blocksize` the
 * byte after the first unquoted newline at or after it.
 */
export function recordStarts(path: string, size: number, blocksize: number): number[] {
  const starts = [0];
  if (size <= blocksize) return starts;
  const fd = openSync(path, "r");
  const CHUNK = Math.min(8 << 20, Math.max(1 << 16, blocksize));
  const buf = Buffer.allocUnsafe(CHUNK);
  let parity = 0;
  let target = blocksize;
  try {
    for (let base = 0; base < size && target < size; base += CHUNK) {
      const got = readSync(fd, buf, 0, Math.min(CHUNK, size - base), base);
      const view = buf.subarray(0, got);
      let cur = 0;
      const quotesUpTo = (to: number): void => {
        for (let q = view.indexOf(QUOTE, cur); q >= 0 && q < to; q = view.indexOf(QUOTE, q + 1)) parity ^= 1;
        cur = Math.max(cur, to);
      };
      for (;;) {
        if (target - 1 >= base + got || target >= size) {
          quotesUpTo(got);
          break;
        }
        let p = Math.max(cur, target - 1 - base);
        quotesUpTo(p);
        let found = -1;
        for (;;) {
          const nl = view.indexOf(LF, p);
          if (nl < 0) break;
          quotesUpTo(nl);
          if (parity === 0) {
            found = nl;
            break;
          }
          p = nl + 1;
        }
        if (found < 0) {
          // No record ends in the rest of this chunk: keep looking in the next one.
          quotesUpTo(got);
          break;
        }
        const start = base + found + 1;
        if (start < size && start > starts[starts.length - 1]!) starts.push(start);
        while (target <= start) target += blocksize;
      }
    }
  } finally {
    closeSync(fd);
  }
  return starts;
}

/**
 * Read CSV files as a DataFrame. `path` is a file, a directory (its `.csv` files), a glob or
 * a list of those; every file must have the same columns.
 *
 * Types are inferred from the first `sample` bytes of the first file: a column is `Int64` if
 * every value there is an integer, else `Float64` if every value is a number, else `Bool`
 * (true/false), else `Timestamp` (ISO dates), else `Utf8`. A later value that does not fit
 * fails with its file, line and column, and suggests `dtype`; so does a row with the wrong
 * number of fields. Empty fields and the `naValues` are nulls.
 *
 *   const df = await readCsv("data/*.csv", { blocksize: 16e6, dtype: { id: "string" } });
 */
export async function readCsv(path: string | string[], opts: ReadCsvOptions = {}): Promise<DataFrame> {
  const files = expandPaths(path, "readCsv", ".csv");
  const delimiter = opts.delimiter ?? ",";
  if (delimiter.length !== 1 || delimiter.charCodeAt(0) > 127) throw new Error(`readCsv: delimiter must be one ASCII character, got ${JSON.stringify(delimiter)}`);
  const dialect: CsvDialect = { delimiter, naValues: opts.naValues ?? DEFAULT_NA };
  const header = opts.header ?? true;
  const blocksize = opts.blocksize === null ? Infinity : Math.max(1024, opts.blocksize ?? DEFAULT_BLOCKSIZE);

  const first = files[0]!;
  const sample = readHead(first, opts.sample ?? 256 * 1024);
  let records = splitRecords(sample, delimiter);
  if (records.length === 0) {
    // A sample that ends inside the first record: read the whole first record.
    records = splitRecords(readHead(first, Math.min(statSync(first).size, 64 << 20)), delimiter, 1000);
  }
  if (records.length === 0) throw new Error(`readCsv: ${first} is empty`);
  let names: string[];
  if (header) {
    names = records[0]!;
    records = records.slice(1);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw new Error(`readCsv: ${first} names column "${dup}" twice`);
  } else names = opts.names ?? records[0]!.map((_, i) => String(i));
  if (!header && opts.names && opts.names.length !== records[0]!.length) {
    throw new Error(`readCsv: ${opts.names.length} names given, but ${first} has ${records[0]!.length} fields per row`);
  }
  for (const f of files.slice(1)) {
    if (!header) break;
    const h = splitRecords(readHead(f, 1 << 16), delimiter, 1)[0];
    if (!h || h.join("\0") !== names.join("\0")) {
      throw new Error(`readCsv: files have different columns: ${first} has ${names.join(", ")}; ${f} has ${(h ?? []).join(", ")}`);
    }
  }

  const columns = opts.columns ?? names;
  const missing = [...columns, ...Object.keys(opts.dtype ?? {})].filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw new Error(`readCsv: no column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} in ${first}; columns are: ${names.join(", ")}`);
  }
  for (const [c, t] of Object.entries(opts.dtype ?? {})) {
    if (!CSV_TYPES.includes(t)) throw new Error(`readCsv: unknown dtype "${t}" for column "${c}" (use one of ${CSV_TYPES.join(", ")})`);
  }
  const keep = new Set(columns);
  const types: (CsvType | null)[] = names.map((name, c) => {
    if (!keep.has(name)) return null;
    return opts.dtype?.[name] ?? inferCsvType(records.map((r) => r[c] ?? null), dialect.naValues);
  });

  const meta: Table = tableFromData(columns.map((c) => [c, emptyData(arrowTypeOf(types[names.indexOf(c)]!))]), 0);
  const specs: CsvPartSpec[] = [];
  const versions: unknown[] = [];
  for (const f of files) {
    const st = statSync(f);
    versions.push([f, st.size, st.mtimeMs]);
    const starts = recordStarts(f, st.size, blocksize);
    starts.forEach((start, k) => {
      const end = starts[k + 1] ?? st.size;
      specs.push({ path: f, start, end, header: header && start === 0, names, types, columns, dialect });
    });
  }
  const name = `read-csv-${tokenize(versions, columns, types, dialect, header, blocksize === Infinity ? 0 : blocksize)}`;
  const layer = new BlockwiseLayer(name, [specs.length], {
    t: "call",
    fn: builtin("dataframe.readCsv"),
    args: [perBlock(([i]) => lit(specs[i!]))],
  });
  return new DataFrame(name, HighLevelGraph.fromLayer(layer), meta, specs.length);
}

