/**
 * Arrow tables across threads. A table is posted as its schema (a few hundred bytes of Arrow
 * IPC) plus, for every column chunk, its buffers as SharedArrayBuffer-backed typed arrays:
 * the receiving thread wraps the same memory in a new `Table`, so no column is copied and no
 * row is ever turned into an object. Buffers not yet in shared memory are copied there once.
 *
 * The same wire form lets a table travel inside a task as a literal (`fromArrow`), decoded by
 * the `dataframe.fromWire` kernel.
 */
import {
  Data,
  type DataType,
  Field,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  Type,
  Vector,
} from "apache-arrow";
import { registerCodec, toShared } from "../../scheduler/share.js";
import { numberDictionaries } from "../../kernels/dataframe-arrow.js";

/** One column chunk: its buffers by Arrow's BufferType (offsets, data, validity, type ids). */
export interface DataWire {
  offset: number;
  length: number;
  nullCount: number;
  buffers: (ArrayBufferView | undefined)[];
  children: DataWire[];
  dictionary?: DataWire[];
}

export interface TableWire {
  /** The schema as an Arrow IPC stream of zero batches. */
  schema: Uint8Array;
  numRows: number;
  /** Per batch, per column. */
  batches: { length: number; columns: DataWire[] }[];
}

const schemaCache = new WeakMap<Schema, Uint8Array>();

function schemaBytes(schema: Schema): Uint8Array {
  let bytes = schemaCache.get(schema);
  if (!bytes) {
    bytes = toShared(tableToIPC(new Table(schema), "stream"));
    schemaCache.set(schema, bytes);
  }
  return bytes;
}

function encodeData(data: Data): DataWire {
  const raw = [data.valueOffsets, data.values, data.nullBitmap, data.typeIds] as (ArrayBufferView | undefined)[];
  const buffers = raw.map((b) => (b && b.byteLength > 0 ? toShared(b) : undefined));
  const wire: DataWire = {
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    buffers,
    children: data.children.map(encodeData),
  };
  if (data.dictionary) wire.dictionary = data.dictionary.data.map(encodeData);
  return wire;
}

function decodeData(type: DataType, wire: DataWire): Data {
  const children = wire.children.map((c, i) => decodeData((type.children?.[i] as Field).type, c));
  const dictType = (type as unknown as { dictionary?: DataType }).dictionary;
  const dictionary =
    wire.dictionary && dictType ? new Vector(wire.dictionary.map((d) => decodeData(dictType, d))) : undefined;
  const buffers = wire.buffers.map((b) => b ?? undefined) as (ArrayBufferView | undefined)[];
  // Empty buffers are not sent, but kernels expect a (zero-length) values array for zero-row
  // columns and for strings that are all empty or null.
  const ArrayType = (type as unknown as { ArrayType?: new (n: number) => ArrayBufferView }).ArrayType;
  if (!buffers[1] && ArrayType && type.typeId !== Type.Null && !type.children?.length) buffers[1] = new ArrayType(0);
  return new Data(type, wire.offset, wire.length, wire.nullCount, buffers as never, children, dictionary);
}

/** The wire form of a table (buffers moved to shared memory where they were not). */
export function tableToWire(input: Table): TableWire {
  // The schema travels as IPC, whose reader would give two columns sharing a dictionary id one type.
  const table = numberDictionaries(input);
  return {
    schema: schemaBytes(table.schema),
    numRows: table.numRows,
    batches: table.batches.map((b) => ({ length: b.numRows, columns: b.data.children.map(encodeData) })),
  };
}

/** A table over the buffers of `wire`, sharing their memory. */
export function tableFromWire(wire: TableWire): Table {
  const schema = tableFromIPC(wire.schema).schema;
  if (wire.batches.length === 0) return new Table(schema);
  const batches = wire.batches.map((b) => {
    const children = b.columns.map((c, i) => decodeData(schema.fields[i]!.type, c));
    const struct = makeData({ type: new Struct(schema.fields), length: b.length, nullCount: 0, children });
    return new RecordBatch(schema, struct);
  });
  return new Table(schema, batches);
}

/** Approximate bytes held by a table's buffers (for the workers' memory accounting). */
export function tableNbytes(table: Table): number {
  let total = 0;
  const visit = (d: Data): void => {
    for (const b of [d.valueOffsets, d.values, d.nullBitmap, d.typeIds] as (ArrayBufferView | undefined)[]) total += b?.byteLength ?? 0;
    d.children.forEach(visit);
    d.dictionary?.data.forEach(visit);
  };
  for (const batch of table.batches) batch.data.children.forEach(visit);
  return total;
}

registerCodec<Table, TableWire>({
  name: "arrow.Table",
  test: (value): value is Table => value instanceof Table,
  encode: tableToWire,
  decode: tableFromWire,
});

// `sizeof` asks objects for `__tesseraNbytes`; without it a table would be sized by sampling its
// JavaScript fields, which says nothing about its column buffers.
if (!Object.prototype.hasOwnProperty.call(Table.prototype, "__tesseraNbytes")) {
  Object.defineProperty(Table.prototype, "__tesseraNbytes", {
    value: function (this: Table) {
      return tableNbytes(this);
    },
    enumerable: false,
  });
}
