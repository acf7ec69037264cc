/**
 * NumPy's `.npy` format: a magic string, a version, a Python-literal header
 * (`{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`) padded so the data starts
 * on a 64-byte boundary, then the raw elements. Versions 1.0 (2-byte header length) and 2.0
 * (4-byte) are read and written, 3.0 (utf-8 header) is read; data must be little-endian.
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { type DType, itemsize, type TypedArray } from "./dtype.js";
import { NDArray, shapeSize } from "./ndarray.js";
import { transpose } from "../../kernels/array-structure.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR: Record<DType, string> = { float64: "<f8", float32: "<f4", int32: "<i4", int64: "<i8", uint8: "|u1", bool: "|b1" };
const FROM_DESCR: Record<string, DType> = {
  "<f8": "float64", "<f4": "float32", "<i4": "int32", "<i8": "int64",
  "|u1": "uint8", "<u1": "uint8", "u1": "uint8", "|b1": "bool", "<b1": "bool", "b1": "bool",
};

export interface NpyHeader {
  dtype: DType;
  shape: number[];
  fortranOrder: boolean;
  /** Byte offset of the first element. */
  dataOffset: number;
}

/** Parse the header at the start of a `.npy` file; `what` names the file in errors. */
export function parseNpyHeader(bytes: Uint8Array, what: string): NpyHeader {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new Error(`${what} is not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    start = 12;
  } else throw new Error(`${what}: .npy format version ${major}.${bytes[7]} is not supported (1.0, 2.0 and 3.0 are)`);
  if (bytes.length < start + headerLen) throw new Error(`${what}: the .npy header is cut short`);
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`${what}: cannot read the .npy header ${JSON.stringify(text.trim())}`);
  const dtype = FROM_DESCR[descr];
  if (!dtype) {
    const hint = descr.startsWith(">") ? " (big-endian data is not supported: save it little-endian)" : "";
    throw new Error(`${what}: dtype '${descr}' is not supported${hint}; supported: ${Object.values(DESCR).join(", ")}`);
  }
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${what}: bad shape (${shapeText}) in the .npy header`);
  return { dtype, shape, fortranOrder: fortran === "True", dataOffset: start + headerLen };
}

/** The header bytes for an array of `dtype` and `shape` (version 1.0 unless the header is too long). */
export function npyHeaderBytes(dtype: DType, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  for (const [version, prefix] of [[1, 10], [2, 12]] as const) {
    const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
    const headerLen = total - prefix;
    if (version === 1 && headerLen > 0xffff) continue;
    const out = new Uint8Array(total);
    out.set(MAGIC, 0);
    out[6] = version;
    out[7] = 0;
    const view = new DataView(out.buffer);
    if (version === 1) view.setUint16(8, headerLen, true);
    else view.setUint32(8, headerLen, true);
    const text = dict.padEnd(headerLen - 1, " ") + "\n";
    for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
    return out;
  }
  throw new Error("unreachable");
}

/** A typed array of `dtype` over `bytes` (copied to an aligned buffer when misaligned). */
export function typedArrayFromBytes(bytes: Uint8Array, dtype: DType): TypedArray {
  const size = itemsize(dtype);
  let b = bytes;
  if (b.byteOffset % size !== 0) {
    b = new Uint8Array(bytes.length);
    b.set(bytes);
  }
  const n = b.length / size;
  switch (dtype) {
    case "float64":
      return new Float64Array(b.buffer, b.byteOffset, n);
    case "float32":
      return new Float32Array(b.buffer, b.byteOffset, n);
    case "int32":
      return new Int32Array(b.buffer, b.byteOffset, n);
    case "int64":
      return new BigInt64Array(b.buffer, b.byteOffset, n);
    default:
      return new Uint8Array(b.buffer, b.byteOffset, n);
  }
}

/** Read the header of the `.npy` file at `path`. */
export function readNpyHeader(path: string): NpyHeader {
  const fd = openSync(path, "r");
  try {
    const head = new Uint8Array(12);
    readSync(fd, head, 0, 12, 0);
    const major = head[6];
    const len = major === 1 ? head[8]! | (head[9]! << 8) : new DataView(head.buffer).getUint32(8, true);
    const prefix = major === 1 ? 10 : 12;
    const all = new Uint8Array(prefix + (Number.isFinite(len) ? len : 0));
    readSync(fd, all, 0, all.length, 0);
    return parseNpyHeader(all, path);
  } finally {
    closeSync(fd);
  }
}

/** Write `nd` to `path` as a `.npy` file NumPy's `np.load` reads. */
export function writeNpy(path: string, nd: NDArray): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, npyHeaderBytes(nd.dtype, nd.shape));
    const bytes = new Uint8Array(nd.data.buffer, nd.data.byteOffset, nd.data.byteLength);
    // Big arrays are written in pieces: writeSync may write less than asked.
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 26));
  } finally {
    closeSync(fd);
  }
}

/** Read a whole `.npy` file into an NDArray (Fortran-ordered files are transposed into row-major). */
export function readNpy(path: string): NDArray {
  const header = readNpyHeader(path);
  const n = shapeSize(header.shape);
  const bytes = new Uint8Array(new SharedArrayBuffer(n * itemsize(header.dtype)));
  const fd = openSync(path, "r");
  try {
    for (let done = 0; done < bytes.length; ) {
      const got = readSync(fd, bytes, done, bytes.length - done, header.dataOffset + done);
      if (got === 0) throw new Error(`${path}: the file ends before the ${n} elements its header announces`);
      done += got;
    }
  } finally {
    closeSync(fd);
  }
  const data = typedArrayFromBytes(bytes, header.dtype);
  if (!header.fortranOrder || header.shape.length < 2) return new NDArray(data, header.shape, header.dtype);
  // Column-major data is the row-major data of the reversed shape, transposed.
  const reversed = [...header.shape].reverse();
  return fortranToC(new NDArray(data, reversed, header.dtype));
}

/** A Fortran-order array (read with its shape reversed) in C order: reverse its axes. */
function fortranToC(x: NDArray): NDArray {
  const ndim = x.shape.length;
  return transpose(x, Array.from({ length: ndim }, (_, d) => ndim - 1 - d));
}
