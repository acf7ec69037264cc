/**
 * DataFrames from data already in this thread: an Arrow table (`fromArrow`) or an array of
 * plain objects (`fromRecords`). The rows are split into contiguous partitions; each one
 * travels inside its task in the table codec's wire form (shared buffers, no row objects).
 */
import { Bool, DataType, Float64, Int64, type Table, TimestampMillisecond, Utf8 } from "apache-arrow";
import { BlockwiseLayer, HighLevelGraph, perBlock } from "../../graph/hlg.js";
import { builtin, lit } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import {
  boolData,
  emptyTable,
  fixedData,
  normalizeTable,
  numericDataAs,
  sharedArray,
  tableFromData,
  utf8Data,
} from "../../kernels/dataframe-arrow.js";
import type { Data } from "apache-arrow";
import { tableToWire } from "./arrow-codec.js";
import { DataFrame } from "./frame.js";

export interface FromOptions {
  /** Number of partitions (default 1; at most one per row, at least one). */
  npartitions?: number;
  /** Name prefix of the keys (default `from-arrow` / `from-records`). */
  name?: string;
}

/**
 * A DataFrame of `table`'s rows in `npartitions` contiguous partitions.
 * Columns are stored as single chunks in shared memory; large strings become Utf8;
 * dictionary-encoded columns stay encoded.
 */
export function fromArrow(table: Table, opts: FromOptions = {}): DataFrame {
  const rows = table.numRows;
  const n = Math.max(1, Math.min(opts.npartitions ?? 1, Math.max(1, rows)));
  const whole = normalizeTable(table);
  const wires = Array.from({ length: n }, (_, i) => {
    const start = Math.floor((i * rows) / n);
    const stop = Math.floor(((i + 1) * rows) / n);
    return tableToWire(normalizeTable(whole.slice(start, stop)));
  });
  const name = `${opts.name ?? "from-arrow"}-${tokenize(wires.map((w) => w.batches), wires[0]!.schema)}`;
  // The literal is per block: one wire per partition.
  const layer = new BlockwiseLayer(name, [n], {
    t: "call",
    fn: builtin("dataframe.fromWire"),
    args: [perBlock(([i]) => lit(wires[i!]))],
  });
  return new DataFrame(name, HighLevelGraph.fromLayer(layer), emptyTable(whole.schema), n);
}

/** Arrow type for the values of one field of the records. */
function inferType(values: unknown[], field: string): DataType {
  let kind: string | undefined;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k = v instanceof Date ? "date" : typeof v;
    if (kind === undefined) kind = k;
    else if (kind !== k) throw new Error(`fromRecords: field "${field}" mixes ${kind} and ${k} values`);
  }
  switch (kind) {
    case undefined:
    case "number":
      return new Float64();
    case "bigint":
      return new Int64();
    case "string":
      return new Utf8();
    case "boolean":
      return new Bool();
    case "date":
      return new TimestampMillisecond();
    default:
      throw new Error(`fromRecords: field "${field}" holds ${kind} values, which have no column type`);
  }
}

function columnFromValues(values: unknown[], type: DataType): Data {
  const n = values.length;
  let valid: Uint8Array | null = null;
  const markNull = (i: number): void => {
    valid ??= new Uint8Array(n).fill(1);
    valid[i] = 0;
  };
  if (type instanceof Utf8) {
    const enc = new TextEncoder();
    const parts: Uint8Array[] = new Array(n);
    const offsets = sharedArray(Int32Array, n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        markNull(i);
        parts[i] = new Uint8Array(0);
      } else parts[i] = enc.encode(v as string);
      total += parts[i]!.length;
      offsets[i + 1] = total;
    }
    const bytes = sharedArray(Uint8Array, total);
    for (let i = 0; i < n; i++) bytes.set(parts[i]!, offsets[i]!);
    return utf8Data(offsets, bytes, valid);
  }
  if (type instanceof Bool) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) markNull(i);
      else b[i] = v ? 1 : 0;
    }
    return boolData(b, valid);
  }
  if (type instanceof Int64) {
    const out = sharedArray(BigInt64Array, n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) markNull(i);
      else out[i] = v as bigint;
    }
    return fixedData(type, out, n, valid);
  }
  const nums = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) markNull(i);
    else nums[i] = v instanceof Date ? v.getTime() : (v as number);
  }
  return numericDataAs(type, nums, valid);
}

/**
 * A DataFrame of plain objects' fields. Column types follow JavaScript's: numbers → Float64,
 * bigints → Int64, strings → Utf8, booleans → Bool, Dates → Timestamp (ms); null and
 * undefined are nulls. Columns are the union of the objects' keys, in first-seen order.
 */
export function fromRecords(records: readonly Record<string, unknown>[], opts: FromOptions = {}): DataFrame {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  const columns: [string, Data][] = names.map((name) => {
    const values = records.map((r) => r[name]);
    return [name, columnFromValues(values, inferType(values, name))];
  });
  const table = tableFromData(columns, records.length);
  return fromArrow(table, { ...opts, name: opts.name ?? "from-records" });
}
