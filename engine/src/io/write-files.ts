/**
 * `toParquet` and `toCsv`: one file per partition in a directory, like Dask's `to_parquet`
 * and `to_csv(name_function=…)`. Each partition is written by the worker that computed it,
 * as the last step of the partition's fused task; the promise resolves with the files'
 * paths once every file is written.
 *
 * The directory is prepared here, on the calling thread, before anything runs: created when
 * missing; a directory that already holds files is refused unless `overwrite: true`, which
 * clears it first (as Dask's `overwrite=True` does), except when it is this process's working
 * directory or one of its parents, the home directory, or a directory the DataFrame itself
 * reads from.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { parse, resolve, sep, join } from "node:path";
import type { DataFrame } from "../collections/dataframe/frame.js";
import type { PersistedKeys, TesseraCollection } from "../collections/collection.js";
import { compute, type ComputeOptions } from "../collections/compute.js";
import { blockInput, BlockwiseLayer, HighLevelGraph, perBlock } from "../graph/hlg.js";
import { builtin, type Key, lit, makeKey, walkTask } from "../graph/task.js";
import { tokenize } from "../graph/tokenize.js";
import { type CsvWriteSpec, formatCsv } from "./csv-write.js";
import { PARQUET_COMPRESSIONS, type ParquetCompression, type ParquetWriteSpec } from "./parquet-write.js";

export interface WriteFilesOptions extends ComputeOptions {
  /** Replace the files of a non-empty directory (default false: refuse, naming it). */
  overwrite?: boolean;
  /** File name of partition `i` (default `part-00000.parquet`, …), like Dask's `name_function`. */
  nameFunction?: (i: number) => string;
}

export interface ToParquetOptions extends WriteFilesOptions {
  /** Codec of the column chunks (default `"snappy"`, as Dask and pandas). */
  compression?: ParquetCompression;
  /** Rows per row group (default: one row group per partition, so reading back gives the same partitions). */
  rowGroupSize?: number;
}

export interface ToCsvOptions extends WriteFilesOptions {
  /** Write the column names as the first line of every file (default true). */
  header?: boolean;
  /** One ASCII character between fields (default `,`). */
  delimiter?: string;
}

/** Files that the reader layers of `graph` read (`readParquet`/`readCsv` specs carry their path). */
function filesRead(graph: HighLevelGraph): string[] {
  const out = new Set<string>();
  for (const [name, layer] of graph.layers) {
    if (!/^read-(parquet|csv)-/.test(name)) continue;
    for (const task of layer.materialize().values()) {
      walkTask(task, (node) => {
        if (node.t !== "lit" || node.value === null || typeof node.value !== "object") return;
        const path = (node.value as { path?: unknown }).path;
        if (typeof path === "string") out.add(resolve(path));
      });
    }
  }
  return [...out];
}

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** Create `dir`, or check it may be written to (clearing it for `overwrite`). */
function prepareDirectory(op: string, dir: string, overwrite: boolean, graph: HighLevelGraph): void {
  const abs = resolve(dir);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    mkdirSync(abs, { recursive: true });
    return;
  }
  if (!isDir) throw new Error(`${op}: ${abs} exists and is not a directory`);
  const entries = readdirSync(abs);
  if (entries.length === 0) return;
  if (!overwrite) {
    throw new Error(`${op}: directory ${abs} is not empty (${entries.length} entr${entries.length === 1 ? "y" : "ies"}); pass { overwrite: true } to replace its contents`);
  }
  if (abs === parse(abs).root || inside(process.cwd(), abs) || abs === resolve(homedir())) {
    throw new Error(`${op}: refusing to clear ${abs} (the working directory, one of its parents, or the home directory); write to a directory of its own`);
  }
  const reads = filesRead(graph).filter((p) => inside(p, abs));
  if (reads.length > 0) {
    throw new Error(`${op}: cannot overwrite ${abs}: this DataFrame reads ${reads[0]} from it; write to another directory`);
  }
  for (const e of entries) rmSync(join(abs, e), { recursive: true, force: true });
}

/** Paths of the files, checked to be distinct plain names. */
function fileNames(op: string, dir: string, n: number, ext: string, nameFunction?: (i: number) => string): string[] {
  const names = Array.from({ length: n }, (_, i) => (nameFunction ? nameFunction(i) : `part-${String(i).padStart(5, "0")}.${ext}`));
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== "string" || name === "" || name.includes("/") || name.includes(sep) || name === "." || name === "..") {
      throw new Error(`${op}: nameFunction must return a plain file name, got ${JSON.stringify(name)}`);
    }
    if (seen.has(name)) throw new Error(`${op}: nameFunction returned "${name}" for two partitions`);
    seen.add(name);
  }
  return names.map((name) => join(dir, name));
}

/** The written files' paths as a collection: one write task per partition. */
class WrittenFiles implements TesseraCollection<string[]> {
  constructor(
    private readonly name: string,
    private readonly graph: HighLevelGraph,
    private readonly n: number,
  ) {}
  __tesseraGraph(): HighLevelGraph {
    return this.graph;
  }
  __tesseraKeys(): Key[] {
    return Array.from({ length: this.n }, (_, i) => makeKey(this.name, i));
  }
  __tesseraPostcompute(values: unknown[]): string[] {
    return values as string[];
  }
  __tesseraPostpersist(_held: PersistedKeys): TesseraCollection<string[]> {
    return this;
  }
  __tesseraToken(): string {
    return this.name;
  }
}

async function writeFiles(df: DataFrame, op: string, dir: string, ext: string, kernel: string, spec: unknown, opts: WriteFilesOptions): Promise<string[]> {
  if (typeof dir !== "string" || dir === "") throw new Error(`${op}: give the directory to write to`);
  const { overwrite, nameFunction, ...rest } = opts;
  const computeOpts: ComputeOptions = {};
  if (rest.scheduler !== undefined) computeOpts.scheduler = rest.scheduler;
  if (rest.optimizeGraph !== undefined) computeOpts.optimizeGraph = rest.optimizeGraph;
  if (rest.signal !== undefined) computeOpts.signal = rest.signal;
  if (rest.progress !== undefined) computeOpts.progress = rest.progress;
  // Names are checked before the directory is touched.
  const paths = fileNames(op, resolve(dir), df.npartitions, ext, nameFunction);
  prepareDirectory(op, dir, overwrite ?? false, df.graph);
  const name = `${op === "toParquet" ? "to-parquet" : "to-csv"}-${tokenize(df.name, kernel, paths, spec)}`;
  const layer = new BlockwiseLayer(name, [df.npartitions], {
    t: "call",
    fn: builtin(kernel),
    args: [blockInput(df.name), perBlock(([i]) => lit(paths[i!])), lit(spec)],
  });
  const files = new WrittenFiles(name, HighLevelGraph.fromLayer(layer, [df.graph]), df.npartitions);
  const [written] = await compute(files, computeOpts);
  return written as string[];
}

/** `df.toParquet(dir)`: see `DataFrame.toParquet`. */
export function toParquet(df: DataFrame, dir: string, opts: ToParquetOptions = {}): Promise<string[]> {
  const { compression = "snappy", rowGroupSize, ...rest } = opts;
  if (!PARQUET_COMPRESSIONS.includes(compression)) {
    return Promise.reject(new Error(`toParquet: unknown compression "${String(compression)}" (use one of ${PARQUET_COMPRESSIONS.join(", ")})`));
  }
  if (rowGroupSize !== undefined && !(Number.isInteger(rowGroupSize) && rowGroupSize > 0)) {
    return Promise.reject(new Error(`toParquet: rowGroupSize must be a positive integer, got ${String(rowGroupSize)}`));
  }
  const spec: ParquetWriteSpec = { compression, rowGroupSize: rowGroupSize ?? null };
  return writeFiles(df, "toParquet", dir, "parquet", "dataframe.writeParquet", spec, rest);
}

/** `df.toCsv(dir)`: see `DataFrame.toCsv`. */
export function toCsv(df: DataFrame, dir: string, opts: ToCsvOptions = {}): Promise<string[]> {
  const { header = true, delimiter = ",", ...rest } = opts;
  if (typeof delimiter !== "string" || delimiter.length !== 1 || delimiter.charCodeAt(0) > 127 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") {
    return Promise.reject(new Error(`toCsv: delimiter must be one ASCII character other than a quote or line break, got ${JSON.stringify(delimiter)}`));
  }
  const spec: CsvWriteSpec = { header, delimiter };
  try {
    // Every column must have a CSV form: checked on the empty meta before anything is written.
    formatCsv(df.meta, spec, () => undefined);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return writeFiles(df, "toCsv", dir, "csv", "dataframe.writeCsv", spec, rest);
}
