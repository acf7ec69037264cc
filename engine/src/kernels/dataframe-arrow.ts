/**
 * Low-level helpers on Arrow columns for the DataFrame kernels: typed-array access, gathers,
 * concatenation, and building tables whose buffers live in shared memory.
 *
 * Arrow's JavaScript library has no compute kernels, so these are the few we need, written
 * against raw buffers (no per-row objects). Conventions of arrow-js `Data` they rely on:
 * fixed-width `values` are already sliced to the data's first row, variable-width
 * `valueOffsets` are sliced (the `values` bytes are not), and bitmaps (validity, booleans)
 * keep the whole buffer and are read at bit `offset + i`.
 *
 * Every buffer allocated here is backed by a SharedArrayBuffer, so handing the result to
 * another thread passes a handle, never the bytes (DESIGN idea 2).
 */
import {
  Bool,
  Data,
  DataType,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Type,
  Utf8,
  makeVector,
} from "apache-arrow";

// ---------------------------------------------------------------------------------------------
// Shared allocation

type TypedCtor<T> = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T; BYTES_PER_ELEMENT: number };

/** A zeroed typed array of `length` elements in shared memory. */
export function sharedArray<T>(Ctor: TypedCtor<T>, length: number): T {
  // Round up to 8 bytes: Arrow IPC and 64-bit views want aligned buffers.
  const bytes = Math.max(8, Math.ceil((length * Ctor.BYTES_PER_ELEMENT) / 8) * 8);
  return new Ctor(new SharedArrayBuffer(bytes), 0, length);
}

// ---------------------------------------------------------------------------------------------
// Type predicates

export const isIntegerType = (t: DataType): boolean => t.typeId === Type.Int;
export const isFloatType = (t: DataType): boolean => t.typeId === Type.Float;
/** Types whose values we read as numbers: ints, floats, timestamps, dates, durations. */
export const isNumericLike = (t: DataType): boolean =>
  t.typeId === Type.Int ||
  t.typeId === Type.Float ||
  t.typeId === Type.Timestamp ||
  t.typeId === Type.Date ||
  t.typeId === Type.Duration ||
  t.typeId === Type.Time;
export const isStringType = (t: DataType): boolean => t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8;
export const isBoolType = (t: DataType): boolean => t.typeId === Type.Bool;
export const isDictionaryType = (t: DataType): t is Dictionary => t.typeId === Type.Dictionary;
/** Dictionary-encoded strings (pandas' categorical strings, Parquet files written from them). */
export const isDictStringType = (t: DataType): t is Dictionary => isDictionaryType(t) && isStringType(t.dictionary);

/** Short dtype names for `DataFrame.dtypes` (Arrow's own type strings). */
export function dtypeName(t: DataType): string {
  return String(t);
}

// ---------------------------------------------------------------------------------------------
// Reading columns

/** Whether row `i` of `data` is valid (not null). */
export function isValidAt(data: Data, i: number): boolean {
  const bm = data.nullBitmap;
  if (data.nullCount === 0 || !bm || bm.length === 0) return true;
  const bit = data.offset + i;
  return ((bm[bit >> 3]! >> (bit & 7)) & 1) === 1;
}

/**
 * Validity of every row as bytes (1 valid, 0 null), or null when there are no nulls.
 * Bytes are cheaper to combine and index than bits in the kernels that follow.
 */
export function validityBytes(data: Data): Uint8Array | null {
  const bm = data.nullBitmap;
  if (data.nullCount === 0 || !bm || bm.length === 0) return null;
  const n = data.length;
  const out = new Uint8Array(n);
  const off = data.offset;
  for (let i = 0; i < n; i++) {
    const bit = off + i;
    out[i] = (bm[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

/** Indexable numbers of a numeric-like column (64-bit integers become float64: exact below 2^53). */
export type NumArray = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array;

export function numericValues(data: Data): NumArray {
  const v = data.values as unknown;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    // Read the two 32-bit halves instead of materializing a BigInt per row (≈10× faster);
    // exact for |x| < 2^53, like any float64 (little-endian, as every platform Node runs on).
    const words = new Int32Array(v.buffer, v.byteOffset, 2 * data.length);
    const out = new Float64Array(data.length);
    const unsigned = v instanceof BigUint64Array;
    for (let i = 0; i < out.length; i++) {
      const hi = words[2 * i + 1]!;
      out[i] = (unsigned ? hi >>> 0 : hi) * 4294967296 + (words[2 * i]! >>> 0);
    }
    return out;
  }
  if (data.type.typeId === Type.Float && (data.type as Float64).precision === 0) {
    // Half floats are stored as uint16 bit patterns.
    throw new Error("float16 columns are not supported yet");
  }
  return (v as NumArray).subarray(0, data.length) as NumArray;
}

/** Booleans of a Bool column as bytes (0/1). */
export function boolBytes(data: Data): Uint8Array {
  const bits = data.values as Uint8Array;
  const n = data.length;
  const out = new Uint8Array(n);
  const off = data.offset;
  for (let i = 0; i < n; i++) {
    const bit = off + i;
    out[i] = (bits[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

/** Offsets (as numbers, relative to `bytes`) and UTF-8 bytes of a string column. */
export function stringParts(data: Data): { offsets: Int32Array | Float64Array; bytes: Uint8Array } {
  const vo = data.valueOffsets as Int32Array | BigInt64Array;
  const bytes = data.values as Uint8Array;
  if (vo instanceof BigInt64Array) {
    const out = new Float64Array(data.length + 1);
    for (let i = 0; i <= data.length; i++) out[i] = Number(vo[i]!);
    return { offsets: out, bytes };
  }
  return { offsets: vo, bytes };
}

/** The values of a dictionary column's dictionary, as one chunk. */
export function dictionaryValues(data: Data): Data {
  const type = (data.type as Dictionary).dictionary;
  return singleChunk(data.dictionary ? data.dictionary.data : [], type);
}

/** The indices of a dictionary column (already sliced to its rows). */
export function dictionaryIndices(data: Data): NumArray {
  return (data.values as unknown as NumArray).subarray(0, data.length) as NumArray;
}

/**
 * A dictionary column with its values looked up: the plain column (Utf8 for strings) that
 * kernels without a dictionary path work on. Rows that are null keep whatever index they
 * hold in the file, so they are looked up as entry 0 and stay null.
 */
export function decodeDictionary(data: Data): Data {
  const dict = dictionaryValues(data);
  const n = data.length;
  const idx = dictionaryIndices(data);
  const valid = validityBytes(data);
  if (dict.length === 0) return nullColumn(dict.type, n);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = valid && !valid[i] ? 0 : idx[i]!;
  const out = gatherData(dict, rows);
  if (!valid) return out;
  const outValid = validityBytes(out);
  const v = new Uint8Array(n);
  for (let i = 0; i < n; i++) v[i] = valid[i]! & (outValid ? outValid[i]! : 1);
  return withValidity(out, v);
}

/** The column itself, or its values looked up when it is dictionary-encoded. */
export function plainColumn(data: Data): Data {
  return isDictionaryType(data.type) ? decodeDictionary(data) : data;
}

/** `data` with other validity bytes (same buffers otherwise). */
export function withValidity(data: Data, valid: Uint8Array | null): Data {
  const { bitmap, nullCount } = bitmapFromBytes(valid, data.length);
  if (data.offset !== 0) data = gatherData(data, iota(data.length));
  return new Data(data.type, 0, data.length, nullCount, [data.valueOffsets, data.values, bitmap, data.typeIds] as never, data.children, data.dictionary);
}

/** `n` nulls of a string, boolean or fixed-width type. */
function nullColumn(type: DataType, n: number): Data {
  const valid = new Uint8Array(n);
  if (isStringType(type)) return utf8Data(sharedArray(Int32Array, n + 1), sharedArray(Uint8Array, 0), valid);
  if (isBoolType(type)) return boolData(new Uint8Array(n), valid);
  const Storage = (type as unknown as { ArrayType: TypedCtor<ArrayBufferView> }).ArrayType;
  return fixedData(type, sharedArray(Storage, n), n, valid);
}

/** A dictionary column of `type` over `indices` and a dictionary, with validity bytes. */
export function dictionaryData(type: Dictionary, indices: ArrayBufferView, dictionary: Data, valid: Uint8Array | null): Data {
  const n = (indices as unknown as { length: number }).length;
  const { bitmap, nullCount } = bitmapFromBytes(valid, n);
  return makeData({ type, length: n, nullCount, nullBitmap: bitmap, data: toSharedView(indices), dictionary: makeVector(dictionary) } as never);
}

/** The single `Data` chunk of a column (concatenating chunks when there are several). */
export function singleChunk(chunks: readonly Data[], type: DataType): Data {
  if (chunks.length === 1) return chunks[0]!;
  if (chunks.length === 0) return emptyData(type);
  return concatData(chunks, type);
}

/** The columns of `table` as single chunks, by name. */
export function tableColumns(table: Table): Map<string, Data> {
  const out = new Map<string, Data>();
  for (const field of table.schema.fields) {
    const vec = table.getChild(field.name);
    out.set(field.name, singleChunk(vec ? vec.data : [], field.type));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Building columns

/** A validity bitmap (shared) from validity bytes; null when every row is valid. */
export function bitmapFromBytes(valid: Uint8Array | null, n: number): { bitmap: Uint8Array | undefined; nullCount: number } {
  if (!valid) return { bitmap: undefined, nullCount: 0 };
  const bitmap = sharedArray(Uint8Array, (n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i]) bitmap[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return nulls === 0 ? { bitmap: undefined, nullCount: 0 } : { bitmap, nullCount: nulls };
}

/** A fixed-width column of `type` over `values` (already in the type's storage array). */
export function fixedData(type: DataType, values: ArrayBufferView, n: number, valid: Uint8Array | null): Data {
  const { bitmap, nullCount } = bitmapFromBytes(valid, n);
  return makeData({ type, length: n, nullCount, nullBitmap: bitmap, data: toSharedView(values) } as never);
}

/** A Float64 column from numbers. */
export function float64Data(values: Float64Array, valid: Uint8Array | null): Data {
  return fixedData(new Float64(), values, values.length, valid);
}

/** A column of `type` (numeric-like) from float64 numbers, converting to its storage array. */
export function numericDataAs(type: DataType, values: Float64Array, valid: Uint8Array | null): Data {
  const n = values.length;
  const Storage = (type as unknown as { ArrayType: TypedCtor<ArrayBufferView> }).ArrayType;
  if (Storage === Float64Array) return fixedData(type, values, n, valid);
  const out = sharedArray(Storage, n) as unknown as ArrayLike<number | bigint> & Record<number, number | bigint>;
  if (Storage === (BigInt64Array as unknown) || Storage === (BigUint64Array as unknown)) {
    // Written as two 32-bit words instead of a BigInt per row (≈10× faster); exact for
    // integers below 2^53, like any float64. Non-finite values become 0.
    const words = new Int32Array((out as unknown as BigInt64Array).buffer, (out as unknown as BigInt64Array).byteOffset, 2 * n);
    for (let i = 0; i < n; i++) {
      const x = Math.trunc(values[i]!);
      if (x >= -2147483648 && x <= 2147483647) {
        words[2 * i] = x;
        words[2 * i + 1] = x < 0 ? -1 : 0;
      } else if (x === x && x !== Infinity && x !== -Infinity) {
        const hi = Math.floor(x / 4294967296);
        words[2 * i] = (x - hi * 4294967296) | 0;
        words[2 * i + 1] = hi | 0;
      }
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = values[i]!;
  }
  return fixedData(type, out as unknown as ArrayBufferView, n, valid);
}

/** A Bool column from bytes (0/1). */
export function boolData(values: Uint8Array, valid: Uint8Array | null): Data {
  const n = values.length;
  const bits = sharedArray(Uint8Array, (n + 7) >> 3);
  for (let i = 0; i < n; i++) if (values[i]) bits[i >> 3]! |= 1 << (i & 7);
  const { bitmap, nullCount } = bitmapFromBytes(valid, n);
  return makeData({ type: new Bool(), length: n, nullCount, nullBitmap: bitmap, data: bits });
}

/** A Utf8 column from offsets (starting at 0) and bytes. */
export function utf8Data(offsets: Int32Array, bytes: Uint8Array, valid: Uint8Array | null): Data {
  const n = offsets.length - 1;
  const { bitmap, nullCount } = bitmapFromBytes(valid, n);
  return makeData({
    type: new Utf8(),
    length: n,
    nullCount,
    nullBitmap: bitmap,
    valueOffsets: toSharedView(offsets),
    data: toSharedView(bytes),
  });
}

/** An Int64 column from float64 numbers (exact integers below 2^53). */
export function int64Data(values: Float64Array, valid: Uint8Array | null): Data {
  return numericDataAs(new Int64(), values, valid);
}

/** A zero-row column of `type`. */
export function emptyData(type: DataType): Data {
  if (isDictionaryType(type)) {
    const Indices = (type.indices as unknown as { ArrayType: TypedCtor<ArrayBufferView> }).ArrayType;
    return dictionaryData(type, sharedArray(Indices, 0), emptyData(type.dictionary), null);
  }
  return gatherData(makeData({ type, length: 0, nullCount: 0 } as never) as Data, new Int32Array(0));
}

/** A table from named single-chunk columns of equal length. */
export function tableFromData(columns: [string, Data][], nRows?: number): Table {
  const fields = columns.map(([name, d]) => new Field(name, d.type, true));
  const schema = new Schema(fields);
  const length = nRows ?? (columns[0]?.[1].length ?? 0);
  const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children: columns.map(([, d]) => d) });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

/** An empty table with `schema`. */
export function emptyTable(schema: Schema): Table {
  return tableFromData(schema.fields.map((f) => [f.name, emptyData(f.type)]), 0);
}

/** `view` itself when it is in shared memory, else a shared copy. */
export function toSharedView<T extends ArrayBufferView>(view: T): T {
  if (view.buffer instanceof SharedArrayBuffer) return view;
  const shared = new SharedArrayBuffer(Math.max(8, Math.ceil(view.byteLength / 8) * 8));
  new Uint8Array(shared).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  const Ctor = view.constructor as unknown as TypedCtor<T>;
  return new Ctor(shared, 0, view.byteLength / Ctor.BYTES_PER_ELEMENT);
}

// ---------------------------------------------------------------------------------------------
// Gather (take) and concatenation

function gatherValidity(data: Data, indices: Int32Array): Uint8Array | null {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return null;
  const out = new Uint8Array(indices.length);
  const bm = data.nullBitmap;
  const off = data.offset;
  for (let k = 0; k < indices.length; k++) {
    const bit = off + indices[k]!;
    out[k] = (bm[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

/** Rows `indices` of a column, as a new single chunk (Dask/pandas `take`). */
export function gatherData(data: Data, indices: Int32Array): Data {
  const type = data.type;
  const n = indices.length;
  const valid = gatherValidity(data, indices);
  switch (type.typeId) {
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      const bytes = new Uint8Array(n);
      const off = data.offset;
      for (let k = 0; k < n; k++) {
        const bit = off + indices[k]!;
        bytes[k] = (bits[bit >> 3]! >> (bit & 7)) & 1;
      }
      return boolData(bytes, valid);
    }
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Binary:
    case Type.LargeBinary: {
      const { offsets, bytes } = data.length === 0 && !data.valueOffsets ? { offsets: new Int32Array(1), bytes: new Uint8Array(0) } : stringParts(data);
      let total = 0;
      for (let k = 0; k < n; k++) {
        const i = indices[k]!;
        total += offsets[i + 1]! - offsets[i]!;
      }
      if (total > 0x7fffffff) throw new Error("A string column partition exceeds 2 GiB; use more partitions.");
      const outOffsets = sharedArray(Int32Array, n + 1);
      const outBytes = sharedArray(Uint8Array, total);
      let pos = 0;
      for (let k = 0; k < n; k++) {
        const i = indices[k]!;
        const a = offsets[i]!;
        const b = offsets[i + 1]!;
        if (b - a < 16) for (let j = a; j < b; j++) outBytes[pos++] = bytes[j]!;
        else {
          outBytes.set(bytes.subarray(a, b), pos);
          pos += b - a;
        }
        outOffsets[k + 1] = pos;
      }
      // Binary stays binary; both string widths become Utf8 (32-bit offsets).
      const outType = type.typeId === Type.LargeBinary || type.typeId === Type.Binary ? type : new Utf8();
      const { bitmap, nullCount } = bitmapFromBytes(valid, n);
      return makeData({ type: outType, length: n, nullCount, nullBitmap: bitmap, valueOffsets: outOffsets, data: outBytes } as never);
    }
    case Type.Null:
      return makeData({ type, length: n, nullCount: n } as never);
    case Type.Dictionary: {
      // The indices are gathered; the dictionary is shared as it is.
      const dict = type as Dictionary;
      const Indices = (dict.indices as unknown as { ArrayType: TypedCtor<ArrayBufferView> }).ArrayType;
      const src = dictionaryIndices(data);
      const out = sharedArray(Indices, n) as unknown as Record<number, number>;
      for (let k = 0; k < n; k++) out[k] = src[indices[k]!]!;
      const dictionary = data.dictionary ? singleChunk(data.dictionary.data, dict.dictionary) : emptyData(dict.dictionary);
      return dictionaryData(dict, out as unknown as ArrayBufferView, dictionary, valid);
    }
    default: {
      if (data.children.length > 0 || data.dictionary) {
        throw new Error(`Column type ${String(type)} is not supported by DataFrame kernels yet`);
      }
      const Storage = (type as unknown as { ArrayType: TypedCtor<ArrayBufferView> }).ArrayType;
      const stride = data.stride || 1;
      const src = data.values as unknown as Record<number, number | bigint>;
      const out = sharedArray(Storage, n * stride) as unknown as Record<number, number | bigint>;
      if (data.length === 0 && n === 0) return fixedData(type, out as unknown as ArrayBufferView, 0, null);
      if (stride === 1) for (let k = 0; k < n; k++) out[k] = src[indices[k]!]!;
      else
        for (let k = 0; k < n; k++) {
          const i = indices[k]! * stride;
          for (let s = 0; s < stride; s++) out[k * stride + s] = src[i + s]!;
        }
      return fixedData(type, out as unknown as ArrayBufferView, n, valid);
    }
  }
}

/** Several chunks of one type as one chunk. */
export function concatData(chunks: readonly Data[], type: DataType): Data {
  const total = chunks.reduce((s, d) => s + d.length, 0);
  // A gather per chunk would allocate twice; for the rare multi-chunk case clarity wins:
  // gather each chunk fully, then splice the (contiguous, offset-0) results.
  const parts = chunks.map((d) => (d.offset === 0 && d.type.typeId !== Type.LargeUtf8 ? d : gatherData(d, iota(d.length))));
  const anyNulls = parts.some((d) => d.nullCount > 0);
  let valid: Uint8Array | null = null;
  if (anyNulls) {
    valid = new Uint8Array(total);
    let pos = 0;
    for (const d of parts) {
      const v = validityBytes(d);
      if (v) valid.set(v, pos);
      else valid.fill(1, pos, pos + d.length);
      pos += d.length;
    }
  }
  const outType = type.typeId === Type.LargeUtf8 ? new Utf8() : type;
  if (isDictionaryType(outType)) return concatDictionaries(parts, outType, valid, total);
  switch (outType.typeId) {
    case Type.Bool: {
      const bytes = new Uint8Array(total);
      let pos = 0;
      for (const d of parts) {
        bytes.set(boolBytes(d), pos);
        pos += d.length;
      }
      return boolData(bytes, valid);
    }
    case Type.Utf8:
    case Type.Binary: {
      let nbytes = 0;
      for (const d of parts) {
        const o = d.valueOffsets as Int32Array;
        nbytes += o[d.length]! - o[0]!;
      }
      const offsets = sharedArray(Int32Array, total + 1);
      const bytes = sharedArray(Uint8Array, nbytes);
      let row = 0;
      let pos = 0;
      for (const d of parts) {
        const o = d.valueOffsets as Int32Array;
        const base = o[0]!;
        bytes.set((d.values as Uint8Array).subarray(base, o[d.length]!), pos);
        for (let i = 1; i <= d.length; i++) offsets[row + i] = pos + o[i]! - base;
        pos += o[d.length]! - base;
        row += d.length;
      }
      const { bitmap, nullCount } = bitmapFromBytes(valid, total);
      return makeData({ type: outType, length: total, nullCount, nullBitmap: bitmap, valueOffsets: offsets, data: bytes } as never);
    }
    default: {
      if (parts.some((d) => d.children.length > 0 || d.dictionary)) {
        throw new Error(`Column type ${String(type)} is not supported by DataFrame kernels yet`);
      }
      const Storage = (outType as unknown as { ArrayType: TypedCtor<ArrayBufferView> }).ArrayType;
      const stride = parts[0]!.stride || 1;
      const out = sharedArray(Storage, total * stride) as unknown as { set(a: ArrayLike<unknown>, o: number): void };
      let pos = 0;
      for (const d of parts) {
        out.set((d.values as unknown as { subarray(a: number, b: number): ArrayLike<unknown> }).subarray(0, d.length * stride), pos * stride);
        pos += d.length;
      }
      return fixedData(outType, out as unknown as ArrayBufferView, total, valid);
    }
  }
}

/**
 * Dictionary chunks as one: chunks that share their dictionary keep it; otherwise the
 * dictionaries are unified (string entries deduplicated by their bytes, as pyarrow's
 * `unify_dictionaries`) and every chunk's indices are mapped into the unified one.
 */
function concatDictionaries(parts: readonly Data[], type: Dictionary, valid: Uint8Array | null, total: number): Data {
  const dicts = parts.map(dictionaryValues);
  const sameDictionary = parts.every((d) => d.dictionary === parts[0]!.dictionary) || dicts.every((d) => d === dicts[0]);
  const out = new Int32Array(total);
  let dictionary: Data;
  if (sameDictionary) {
    let pos = 0;
    for (const d of parts) {
      out.set(dictionaryIndices(d), pos);
      pos += d.length;
    }
    dictionary = dicts[0]!;
  } else if (isStringType(type.dictionary)) {
    const ids = new Map<string, number>();
    const offsets: number[] = [0];
    const chunks: Uint8Array[] = [];
    let size = 0;
    let pos = 0;
    parts.forEach((d, p) => {
      const { offsets: o, bytes } = stringParts(dicts[p]!);
      const remap = new Int32Array(dicts[p]!.length);
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let e = 0; e < remap.length; e++) {
        // latin1 maps bytes to code units one to one: a cheap exact key for UTF-8 bytes.
        const key = buf.toString("latin1", o[e]!, o[e + 1]!);
        let id = ids.get(key);
        if (id === undefined) {
          id = ids.size;
          ids.set(key, id);
          chunks.push(bytes.subarray(o[e]!, o[e + 1]!));
          size += o[e + 1]! - o[e]!;
          offsets.push(size);
        }
        remap[e] = id;
      }
      const idx = dictionaryIndices(d);
      for (let i = 0; i < d.length; i++) out[pos + i] = remap[idx[i]!] ?? 0;
      pos += d.length;
    });
    const bytes = sharedArray(Uint8Array, size);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    dictionary = utf8Data(Int32Array.from(offsets), bytes, null);
  } else {
    // Other value types: dictionaries appended, indices shifted.
    let pos = 0;
    let base = 0;
    parts.forEach((d, p) => {
      const idx = dictionaryIndices(d);
      for (let i = 0; i < d.length; i++) out[pos + i] = base + idx[i]!;
      pos += d.length;
      base += dicts[p]!.length;
    });
    dictionary = concatData(dicts, type.dictionary);
  }
  // Unified dictionaries may outgrow narrow index types: widen to Int32 when they do.
  const width = type.indices.bitWidth;
  const limit = width >= 32 ? Infinity : 2 ** (type.indices.isSigned ? width - 1 : width) - 1;
  const outType = dictionary.length - 1 <= limit ? type : new Dictionary(type.dictionary, new Int32(), type.id, type.isOrdered);
  const Indices = (outType.indices as unknown as { ArrayType: TypedCtor<ArrayBufferView> }).ArrayType;
  const indices = sharedArray(Indices, total) as unknown as Record<number, number>;
  for (let i = 0; i < total; i++) indices[i] = out[i]!;
  return dictionaryData(outType, indices as unknown as ArrayBufferView, dictionary, valid);
}

/** 0, 1, …, n-1. */
export function iota(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * A LargeUtf8 column as Utf8: 64-bit offsets narrowed to 32 bits (their low words), the bytes
 * shared as they are. Falls back to a copy when the bytes exceed 2 GiB or are not shared.
 */
function largeToUtf8(d: Data): Data {
  const vo = d.valueOffsets as unknown as BigInt64Array;
  const bytes = d.values as Uint8Array;
  if (bytes.byteLength > 0x7fffffff || !(bytes.buffer instanceof SharedArrayBuffer)) return concatData([d], d.type);
  const words = new Int32Array(vo.buffer, vo.byteOffset, 2 * (d.length + 1));
  const offsets = sharedArray(Int32Array, d.length + 1);
  for (let i = 0; i <= d.length; i++) offsets[i] = words[2 * i]!;
  return makeData({
    type: new Utf8(),
    offset: d.offset,
    length: d.length,
    nullCount: d.nullCount,
    nullBitmap: d.nullBitmap,
    valueOffsets: offsets,
    data: bytes,
  });
}

/** `table` with every column as one chunk, large strings as Utf8, and buffers in shared memory. */
export function normalizeTable(table: Table): Table {
  const cols: [string, Data][] = [];
  for (const field of table.schema.fields) {
    const vec = table.getChild(field.name);
    let d = singleChunk(vec ? vec.data : [], field.type);
    if (d.type.typeId === Type.LargeUtf8) d = largeToUtf8(d);
    cols.push([field.name, d]);
  }
  return tableFromData(cols, table.numRows);
}

/**
 * `table` with the dictionary type of column `i` numbered `i`. Dictionary types made in
 * different threads (or read from different files) get different ids, which Arrow counts as
 * different types and IPC writers key dictionaries by: numbering them by position makes
 * partitions of one schema equal and keeps two columns of a table from sharing an id.
 */
export function numberDictionaries(table: Table): Table {
  const fields = table.schema.fields;
  const numbered = (t: DataType, i: number): boolean => !isDictionaryType(t) || t.id === i;
  const done = fields.every((f, i) => numbered(f.type, i)) && table.batches.every((b) => b.data.children.every((d, i) => numbered(d.type, i)));
  if (done) return table;
  const types = fields.map((f, i) => (isDictionaryType(f.type) ? new Dictionary(f.type.dictionary, f.type.indices, i, f.type.isOrdered) : f.type));
  const schema = new Schema(fields.map((f, i) => new Field(f.name, types[i]!, f.nullable, f.metadata)), table.schema.metadata);
  const batches = table.batches.map((b) => {
    const children = b.data.children.map((d, i) =>
      isDictionaryType(d.type) ? new Data(types[i]!, d.offset, d.length, d.nullCount, [d.valueOffsets, d.values, d.nullBitmap, d.typeIds] as never, d.children, d.dictionary) : d,
    );
    return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: b.numRows, nullCount: 0, children }));
  });
  return new Table(schema, batches);
}

/** Rows `indices` of every column of a table. */
export function gatherTable(table: Table, indices: Int32Array): Table {
  const cols: [string, Data][] = [];
  for (const [name, d] of tableColumns(table)) cols.push([name, gatherData(d, indices)]);
  return tableFromData(cols, indices.length);
}

/** Tables of the same columns, concatenated into one single-chunk table. */
export function concatTables(tables: readonly Table[]): Table {
  if (tables.length === 1) return tables[0]!;
  const first = tables[0]!;
  const cols: [string, Data][] = [];
  for (const field of first.schema.fields) {
    const chunks: Data[] = [];
    for (const t of tables) {
      const vec = t.getChild(field.name);
      if (!vec) throw new Error(`Cannot concatenate partitions: column ${field.name} is missing from one of them`);
      chunks.push(...vec.data);
    }
    cols.push([field.name, singleChunk(chunks, field.type)]);
  }
  return tableFromData(cols, tables.reduce((s, t) => s + t.numRows, 0));
}

