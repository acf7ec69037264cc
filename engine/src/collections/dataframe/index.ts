/**
 * The DataFrame collection: partitioned Arrow tables with the pandas/Dask API.
 * Importing it registers the Arrow table codec and the DataFrame kernels in this thread.
 */
import "../../kernels/dataframe.js";
export { DataFrame } from "./frame.js";
export { Series, type SeriesReduction } from "./series.js";
export { GroupBy, SeriesGroupBy, type AggRequest, type GroupByOptions } from "./groupby.js";
export { fromArrow, fromRecords, type FromOptions } from "./from.js";
export { readParquet, type ReadParquetOptions, type Filters, type FilterOp, type FilterValue, type Predicate } from "../../io/parquet.js";
export { readCsv, type ReadCsvOptions, type CsvType } from "../../io/csv.js";
export type { AggName } from "../../kernels/dataframe-groupby.js";
export type { Scalar } from "../../kernels/dataframe-expr.js";
export { StringMethods, DatetimeMethods } from "./accessors.js";
export type { ToParquetOptions, ToCsvOptions, WriteFilesOptions } from "../../io/write-files.js";
export type { ParquetCompression } from "../../io/parquet-write.js";
export type { CastType } from "../../kernels/dataframe-ops.js";
export type { FloorUnit } from "../../kernels/dataframe-datetime.js";
