/**
 * Decoding Parquet row groups into Arrow tables, inside the workers.
 *
 * Decoder choice, measured on this machine (2 cores, Node 20) with `flights-3m.parquet`
 * (3 M rows, 11 row groups, 5 columns), decoding every row group to Arrow:
 *
 *   parquet-wasm 0.8 (Rust `parquet` crate → Arrow IPC):  ZSTD 250 ms, Snappy 160–190 ms,
 *                                                         uncompressed 180–200 ms
 *   hyparquet 1.31 (pure JS → JS arrays):                 ZSTD unsupported (needs a codec
 *                                                         package we do not have), Snappy
 *                                                         1 340–1 580 ms, uncompressed 1 360 ms
 *
 * parquet-wasm is 6–8× faster, reads ZSTD (flights-3m's codec, and the default of DuckDB and
 * Polars writers) and yields Arrow columns directly, whereas hyparquet yields JS arrays (strings
 * as JS strings, int64 as BigInt) that would still have to be re-encoded. So decoding uses
 * parquet-wasm; hyparquet, which parses a footer without loading WebAssembly, plans the read
 * on the calling thread (`parquet.ts`).
 *
 * parquet-wasm reads through a Blob from `fs.openAsBlob`, so only the footer and the column
 * chunks asked for are read from disk. Its Arrow IPC output is copied once into a
 * SharedArrayBuffer and wrapped by apache-arrow without another copy.
 */
import { openAsBlob } from "node:fs";
import { type Table, tableFromIPC } from "apache-arrow";
import { tableFromWire, type TableWire } from "../collections/dataframe/arrow-codec.js";
import { gatherData, normalizeTable, tableColumns, tableFromData } from "../kernels/dataframe-arrow.js";
import { columnLookup, evaluateMask, type Expr } from "../kernels/dataframe-expr.js";

/** What one partition reads: some row groups of one file. */
export interface ParquetPartSpec {
  path: string;
  rowGroups: number[];
  /** Columns of the result, in order. */
  columns: string[];
  /** Columns to decode: `columns` plus those the row filter reads. */
  read: string[];
  /** Row condition from `filters`, or null. */
  filter: Expr | null;
  /** The empty table of the result's schema (returned when every row group was skipped). */
  meta: TableWire;
}

type ParquetWasm = typeof import("parquet-wasm");
let wasm: Promise<ParquetWasm> | undefined;

/** parquet-wasm, loaded on first use: workers that never read Parquet never compile it. */
export function parquetWasm(): Promise<ParquetWasm> {
  return (wasm ??= import("parquet-wasm"));
}

/** Decode row groups of a file with parquet-wasm into a normalized (shared, single-chunk) table. */
export async function decodeRowGroups(path: string, rowGroups: number[], columns: string[], limit?: number): Promise<Table> {
  const pw = await parquetWasm();
  let blob: Blob;
  try {
    blob = await openAsBlob(path);
  } catch (err) {
    throw new Error(`readParquet: cannot open ${path}: ${(err as Error).message}`);
  }
  let file: Awaited<ReturnType<ParquetWasm["ParquetFile"]["fromFile"]>>;
  try {
    file = await pw.ParquetFile.fromFile(blob);
  } catch (err) {
    throw new Error(`readParquet: ${path} is not a readable Parquet file (truncated or corrupt?): ${String((err as Error).message ?? err)}`);
  }
  try {
    const rows = rowGroups.reduce((s, g) => s + Number(file.metadata().rowGroup(g).numRows()), 0);
    const out = await file.read({
      rowGroups,
      columns,
      // One batch per row group instead of parquet's default of 1024 rows per batch.
      batchSize: Math.max(1, rows),
      ...(limit !== undefined ? { limit } : {}),
    });
    const ipc = out.intoIPCStream();
    const shared = new Uint8Array(new SharedArrayBuffer(Math.max(8, ipc.byteLength)), 0, ipc.byteLength);
    shared.set(ipc);
    return normalizeTable(tableFromIPC(shared));
  } catch (err) {
    throw new Error(`readParquet: failed to decode row groups [${rowGroups.join(", ")}] of ${path}: ${String((err as Error).message ?? err)}`);
  } finally {
    file.free();
  }
}

/** The `dataframe.readParquet` kernel: decode, filter rows, keep the requested columns. */
export async function readParquetPart(spec: ParquetPartSpec): Promise<Table> {
  if (spec.rowGroups.length === 0) return tableFromWire(spec.meta);
  const table = await decodeRowGroups(spec.path, spec.rowGroups, spec.read);
  const cols = tableColumns(table);
  if (spec.filter) {
    const keep = evaluateMask(spec.filter, columnLookup(table, cols), table.numRows);
    let n = 0;
    for (let i = 0; i < keep.length; i++) n += keep[i]!;
    if (n < table.numRows) {
      const idx = new Int32Array(n);
      for (let i = 0, k = 0; i < keep.length; i++) if (keep[i]) idx[k++] = i;
      // Only the result's columns are gathered; filter-only columns are dropped here.
      return tableFromData(spec.columns.map((c) => [c, gatherData(cols.get(c)!, idx)]), n);
    }
  }
  return tableFromData(spec.columns.map((c) => [c, cols.get(c)!]), table.numRows);
}
