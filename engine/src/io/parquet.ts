/**
 * `readParquet`: a DataFrame with one partition per row group (or per run of row groups near
 * `blocksize` bytes), like `dask.dataframe.read_parquet`.
 *
 * Planning happens here, on the calling thread, from the files' footers only (hyparquet parses
 * them without loading WebAssembly): which files, which row groups survive the `filters`
 * given their min/max statistics, which columns. Decoding happens in the workers
 * (`parquet-decode.ts`), each reading only its row groups and only the requested columns.
 */
import { statSync } from "node:fs";
import type { Table } from "apache-arrow";
import { asyncBufferFromFile, type FileMetaData, parquetMetadataAsync, parquetSchema } from "hyparquet";
import { tableToWire } from "../collections/dataframe/arrow-codec.js";
import { DataFrame } from "../collections/dataframe/frame.js";
import { BlockwiseLayer, HighLevelGraph, perBlock } from "../graph/hlg.js";
import { builtin, lit } from "../graph/task.js";
import { tokenize } from "../graph/tokenize.js";
import { emptyTable, tableColumns, tableFromData } from "../kernels/dataframe-arrow.js";
import { decodeRowGroups, type ParquetPartSpec } from "./parquet-decode.js";
import {
  type ColumnStats,
  filterColumns,
  type Filters,
  filtersToExpr,
  normalizeFilters,
  rowGroupMayMatch,
} from "./parquet-filters.js";
import { expandPaths } from "./paths.js";

export type { Filters, FilterOp, FilterValue, Predicate } from "./parquet-filters.js";

export interface ReadParquetOptions {
  /** Columns to read (default all), in the order wanted. Others are never decoded. */
  columns?: string[];
  /**
   * Row filters, `[["delay", ">", 15], ["origin", "in", ["SFO", "LAX"]]]` (all must hold), or a
   * list of such lists (any must hold). Row groups whose statistics exclude every match are not
   * read at all; the rows of the others are filtered after decoding. Operators: `==`, `!=`,
   * `<`, `<=`, `>`, `>=`, `in`, `not in`. Values are numbers, bigints, strings or booleans.
   */
  filters?: Filters;
  /**
   * Target uncompressed bytes (of the requested columns) per partition: consecutive row groups
   * of a file are grouped until they reach it. Default: one partition per row group.
   */
  blocksize?: number;
}

interface FileInfo {
  path: string;
  metadata: FileMetaData;
  columns: string[];
}

async function readFooter(path: string): Promise<FileInfo> {
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") throw new Error(`readParquet: no such file: ${path}`);
    throw new Error(`readParquet: ${path} is not a valid Parquet file (truncated or corrupt?): ${e.message}`);
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  return { path, metadata, columns };
}

function rowGroupStats(metadata: FileMetaData, g: number): Map<string, ColumnStats> {
  const stats = new Map<string, ColumnStats>();
  for (const chunk of metadata.row_groups[g]!.columns) {
    const md = chunk.meta_data;
    if (!md || md.path_in_schema.length !== 1) continue;
    const s = md.statistics;
    if (!s) continue;
    const min = s.min_value ?? s.min;
    const max = s.max_value ?? s.max;
    if (min === undefined || max === undefined) continue;
    stats.set(md.path_in_schema[0]!, { min, max });
  }
  return stats;
}

function rowGroupBytes(metadata: FileMetaData, g: number, columns: Set<string>): number {
  let total = 0;
  for (const chunk of metadata.row_groups[g]!.columns) {
    const md = chunk.meta_data;
    if (md && columns.has(md.path_in_schema[0]!)) total += Number(md.total_uncompressed_size);
  }
  return total;
}

/**
 * Read Parquet files as a DataFrame. `path` is a file, a directory (its `.parquet` files,
 * recursively), a glob (`data/*.parquet`, `data/**\/part-*.parquet`) or a list of those.
 *
 * Errors name the problem before any task runs: a missing path, a file that is not Parquet
 * (or is truncated), a column that does not exist (listing those that do), files whose columns
 * differ.
 *
 * Column types are what Arrow's Parquet reader produces, except that strings are always
 * `Utf8` (32-bit offsets per partition) and every column of a partition is one chunk.
 */
export async function readParquet(path: string | string[], opts: ReadParquetOptions = {}): Promise<DataFrame> {
  const files = expandPaths(path, "readParquet", ".parquet");
  const infos = await Promise.all(files.map(readFooter));
  const first = infos[0]!;
  for (const info of infos.slice(1)) {
    if (info.columns.join("\0") !== first.columns.join("\0")) {
      throw new Error(
        `readParquet: files have different columns: ${first.path} has ${first.columns.join(", ")}; ` +
          `${info.path} has ${info.columns.join(", ")}`,
      );
    }
  }
  const columns = opts.columns ?? first.columns;
  const dnf = normalizeFilters(opts.filters);
  const wanted = [...columns, ...filterColumns(dnf)];
  const missing = wanted.filter((c) => !first.columns.includes(c));
  if (missing.length > 0) {
    throw new Error(
      `readParquet: no column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} in ${first.path}; ` +
        `columns are: ${first.columns.join(", ")}`,
    );
  }
  const read = [...new Set(wanted)];

  // The result's schema, from the reader the workers use, on zero rows.
  const sample = await decodeRowGroups(first.path, first.metadata.row_groups.length > 0 ? [0] : [], read, 0);
  const cols = tableColumns(sample);
  const meta: Table = emptyTable(tableFromData(columns.map((c) => [c, cols.get(c)!]), 0).schema);
  const metaWire = tableToWire(meta);
  const filter = filtersToExpr(dnf);

  const readSet = new Set(read);
  const specs: ParquetPartSpec[] = [];
  for (const info of infos) {
    let current: number[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (current.length === 0) return;
      specs.push({ path: info.path, rowGroups: current, columns, read, filter, meta: metaWire });
      current = [];
      bytes = 0;
    };
    info.metadata.row_groups.forEach((_, g) => {
      if (!rowGroupMayMatch(dnf, rowGroupStats(info.metadata, g))) return;
      const size = rowGroupBytes(info.metadata, g, readSet);
      if (opts.blocksize === undefined) {
        current.push(g);
        flush();
        return;
      }
      if (current.length > 0 && bytes + size > opts.blocksize) flush();
      current.push(g);
      bytes += size;
    });
    flush();
  }
  // Every row group was skipped: one empty partition keeps the DataFrame well formed.
  if (specs.length === 0) specs.push({ path: first.path, rowGroups: [], columns, read, filter, meta: metaWire });

  const versions = infos.map((i) => {
    const st = statSync(i.path);
    return [i.path, st.size, st.mtimeMs];
  });
  const name = `read-parquet-${tokenize(versions, columns, JSON.stringify(opts.filters ?? [], (_k, v) => (typeof v === "bigint" ? `${v}n` : v)), opts.blocksize ?? 0)}`;
  const layer = new BlockwiseLayer(name, [specs.length], {
    t: "call",
    fn: builtin("dataframe.readParquet"),
    args: [perBlock(([i]) => lit(specs[i!]))],
  });
  return new DataFrame(name, HighLevelGraph.fromLayer(layer), meta, specs.length);
}
