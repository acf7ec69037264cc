/**
 * DataFrame kernels, registered by name so every worker resolves them (DESIGN idea 1).
 * Importing this module also registers the Arrow table codec in the thread.
 *
 * Every partition kernel takes the partition (an Arrow table) first and returns a table whose
 * columns are single chunks in shared memory. Collections compute their metadata by running
 * the same kernel on an empty table, as Dask runs operations on `_meta`.
 */
import type { Data, Table } from "apache-arrow";
import { tableFromWire, type TableWire } from "../collections/dataframe/arrow-codec.js";
import { readParquetPart, type ParquetPartSpec } from "../io/parquet-decode.js";
import { readCsvPart, type CsvPartSpec } from "../io/csv-parse.js";
import { writeCsvPart } from "../io/csv-write.js";
import { writeParquetPart } from "../io/parquet-write.js";
import { concatTables, gatherData, tableColumns, tableFromData } from "./dataframe-arrow.js";
import { columnLookup, evaluateExpr, evaluateMask, type Expr } from "./dataframe-expr.js";
import {
  type AggSpec,
  groupbyAggregate,
  groupbyCombine,
  groupbyPartial,
  reduceCombine,
  reduceFinalize,
  reduceFinalizeSpread,
  reducePartial,
  type ReductionPartial,
} from "./dataframe-groupby.js";
import { castColumns, distinctRows, dropNullRows, fillNulls, groupMedian, groupTop, sortTable, tailRows, topRows } from "./dataframe-ops.js";
import { hashSplit, joinTables, rangeSplit, shuffleCollect, slicePart, sortCollect, sortDivisions, sortSample } from "./dataframe-shuffle.js";
import { describeCombine, describeFinal, describePartial, mergeSketches, quantileFinal, quantilePartial } from "./dataframe-stats.js";
import { normalizeTable } from "./dataframe-arrow.js";
import { Table as ArrowTable } from "apache-arrow";
import { registerKernel } from "./registry.js";

/** Which table an expression reads: 0 is the partition itself, k > 0 is `others[k - 1]`. */
function sourceTable(table: Table, source: number, others: Table[]): Table {
  const t = source === 0 ? table : others[source - 1];
  if (!t) throw new Error(`Internal: expression source ${source} is missing`);
  if (t.numRows !== table.numRows) {
    throw new Error(
      `Cannot align a Series of ${t.numRows} rows with a partition of ${table.numRows} rows: ` +
        `the Series must come from a DataFrame partitioned the same way`,
    );
  }
  return t;
}

function lookup(table: Table): (name: string) => Data {
  return columnLookup(table, tableColumns(table));
}

/** Keep columns `names`, in that order. */
export function selectColumns(table: Table, names: string[]): Table {
  const cols = lookup(table);
  return tableFromData(names.map((n) => [n, cols(n)]), table.numRows);
}

/** Rename columns by `mapping` (old → new); others keep their names. */
export function renameColumns(table: Table, mapping: Record<string, string>): Table {
  const cols = tableColumns(table);
  return tableFromData([...cols].map(([n, d]) => [mapping[n] ?? n, d]), table.numRows);
}

/** Add or replace columns `names` with the values of `exprs` (pandas `assign`). */
export function assignColumns(table: Table, names: string[], exprs: Expr[], sources: number[], ...others: Table[]): Table {
  const cols = tableColumns(table);
  const n = table.numRows;
  const computed = exprs.map((e, i) => evaluateExpr(e, lookup(sourceTable(table, sources[i]!, others)), n));
  const out = new Map(cols);
  names.forEach((name, i) => out.set(name, computed[i]!));
  return tableFromData([...out], n);
}

/** Rows where `expr` is true. */
export function filterRows(table: Table, expr: Expr, source: number, ...others: Table[]): Table {
  const n = table.numRows;
  const keep = evaluateMask(expr, lookup(sourceTable(table, source, others)), n);
  let count = 0;
  for (let i = 0; i < n; i++) count += keep[i]!;
  if (count === n) return table;
  const idx = new Int32Array(count);
  for (let i = 0, k = 0; i < n; i++) if (keep[i]) idx[k++] = i;
  return tableFromData([...tableColumns(table)].map(([name, d]) => [name, gatherData(d, idx)]), count);
}

/** The first `n` rows. */
export function headRows(table: Table, n: number): Table {
  return table.numRows <= n ? table : table.slice(0, n);
}

/** A one-column table of `expr`'s values (a Series partition). */
export function seriesPartition(table: Table, expr: Expr, name: string): Table {
  return tableFromData([[name, evaluateExpr(expr, lookup(table), table.numRows)]], table.numRows);
}

registerKernel("dataframe.fromWire", (wire: TableWire) => tableFromWire(wire));
registerKernel("dataframe.readParquet", (spec: ParquetPartSpec) => readParquetPart(spec));
registerKernel("dataframe.readCsv", (spec: CsvPartSpec) => readCsvPart(spec));
registerKernel("dataframe.select", selectColumns);
registerKernel("dataframe.rename", renameColumns);
registerKernel("dataframe.assign", assignColumns);
registerKernel("dataframe.filter", filterRows);
registerKernel("dataframe.head", headRows);
registerKernel("dataframe.len", (table: Table) => table.numRows);
registerKernel("dataframe.series", seriesPartition);
registerKernel("dataframe.concat", (...tables: Table[]) => concatTables(tables));
registerKernel("dataframe.headConcat", (n: number, ...tables: Table[]) => headRows(concatTables(tables), n));
registerKernel("dataframe.reducePartial", (table: Table, expr: Expr): ReductionPartial =>
  reducePartial(evaluateExpr(expr, lookup(table), table.numRows)),
);
registerKernel("dataframe.reduceCombine", reduceCombine);
registerKernel("dataframe.reduceFinalize", reduceFinalize);
registerKernel("dataframe.reduceFinalizeSpread", reduceFinalizeSpread);
/** Named scalars as one object (`DataFrame.nunique`). */
registerKernel("dataframe.zipObject", (names: string[], ...values: unknown[]) => Object.fromEntries(names.map((n, i) => [n, values[i]])));
registerKernel("dataframe.writeParquet", writeParquetPart);
registerKernel("dataframe.writeCsv", writeCsvPart);
registerKernel("dataframe.groupbyPartial", (table: Table, keys: string[], aggs: AggSpec[]) => groupbyPartial(table, keys, aggs));
registerKernel("dataframe.groupbyCombine", groupbyCombine);
registerKernel("dataframe.groupbyAggregate", groupbyAggregate);

registerKernel("dataframe.fillna", fillNulls);
registerKernel("dataframe.groupMedian", groupMedian);
registerKernel("dataframe.groupTop", groupTop);
registerKernel("dataframe.dropna", dropNullRows);
registerKernel("dataframe.tail", tailRows);
registerKernel("dataframe.tailConcat", (n: number, ...tables: Table[]) => tailRows(concatTables(tables), n));
registerKernel("dataframe.astype", castColumns);
registerKernel("dataframe.sort", sortTable);
registerKernel("dataframe.top", topRows);
registerKernel("dataframe.topConcat", (n: number, by: string[], largest: boolean, ...tables: Table[]) => topRows(concatTables(tables), n, by, largest));
registerKernel("dataframe.distinct", distinctRows);
registerKernel("dataframe.distinctConcat", (subset: string[] | null, keep: "first" | "last", ...tables: Table[]) => distinctRows(concatTables(tables), subset, keep));
registerKernel("dataframe.distinctCount", (subset: string[] | null, ...tables: Table[]) => distinctRows(concatTables(tables), subset).numRows);
registerKernel("dataframe.hashSplit", hashSplit);
registerKernel("dataframe.shuffleCollect", shuffleCollect);
registerKernel("dataframe.sortSample", sortSample);
registerKernel("dataframe.sortDivisions", sortDivisions);
registerKernel("dataframe.rangeSplit", rangeSplit);
registerKernel("dataframe.sortCollect", sortCollect);
registerKernel("dataframe.slice", slicePart);
registerKernel("dataframe.join", joinTables);
registerKernel("dataframe.quantilePartial", quantilePartial);
registerKernel("dataframe.sketchCombine", mergeSketches);
registerKernel("dataframe.quantileFinal", quantileFinal);
registerKernel("dataframe.describePartial", describePartial);
registerKernel("dataframe.describeCombine", describeCombine);
registerKernel("dataframe.describeFinal", describeFinal);
/** What a user's `mapPartitions` function returned, checked and moved to shared memory. */
registerKernel("dataframe.checkPartition", (name: string, value: unknown) => {
  if (!(value instanceof ArrowTable)) {
    throw new Error(`mapPartitions: ${name} must return an Arrow Table, got ${value === null ? "null" : typeof value === "object" ? (value.constructor?.name ?? "an object") : typeof value}`);
  }
  return normalizeTable(value);
});
