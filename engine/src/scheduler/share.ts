/**
 * Preparing values to cross threads (DESIGN idea 2). Typed arrays move as
 * SharedArrayBuffer handles: a result made on an ordinary ArrayBuffer is copied into shared
 * memory once, the worker keeps the shared version, and every later transfer or gather
 * passes a handle instead of bytes. Everything else moves by structured clone.
 *
 * Classes with their own representation (Arrow tables, NDArrays) register a codec, so they
 * keep their type on the other side instead of arriving as plain objects.
 */

export interface Codec<T = unknown, W = unknown> {
  /** Stable name carried with the encoded value. */
  name: string;
  test(value: unknown): value is T;
  encode(value: T): W;
  decode(wire: W): T;
}

const codecs = new Map<string, Codec>();
const CODEC_TAG = "__tesseraCodec";

export function registerCodec<T, W>(codec: Codec<T, W>): void {
  codecs.set(codec.name, codec as unknown as Codec);
}

type Typed = Exclude<ArrayBufferView, DataView>;

/** A copy of `view` in shared memory (the same view if it already is). */
export function toShared<T extends ArrayBufferView>(view: T): T {
  if (view.buffer instanceof SharedArrayBuffer) return view;
  const shared = new SharedArrayBuffer(view.byteLength);
  new Uint8Array(shared).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  if (view instanceof DataView) return new DataView(shared) as unknown as T;
  const Ctor = (view as unknown as Typed).constructor as unknown as new (b: SharedArrayBuffer) => T;
  return new Ctor(shared);
}

/**
 * The form of `value` to post to another thread. Returns the same object when nothing
 * needed changing, so callers can cheaply keep the shared version for next time.
 */
export function encodeValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object") return value;
  if (ArrayBuffer.isView(value)) return toShared(value);
  for (const codec of codecs.values()) {
    if (codec.test(value)) return { [CODEC_TAG]: codec.name, wire: codec.encode(value) };
  }
  if (depth > 16) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (v === null || typeof v !== "object") continue;
      const e = encodeValue(v, depth + 1);
      if (e !== v) (out ??= value.slice())[i] = e;
    }
    return out ?? value;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    let out: Record<string, unknown> | null = null;
    for (const [k, v] of Object.entries(value)) {
      if (v === null || typeof v !== "object") continue;
      const e = encodeValue(v, depth + 1);
      if (e !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = e;
    }
    return out ?? value;
  }
  return value;
}

/** Undo `encodeValue` on the receiving side (restores codec-encoded classes). */
export function decodeValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  if (codecs.size === 0 || depth > 16) return value;
  const tag = (value as Record<string, unknown>)[CODEC_TAG];
  if (typeof tag === "string") {
    const codec = codecs.get(tag);
    if (!codec) throw new Error(`No codec "${tag}" is registered in this thread to decode a value.`);
    return codec.decode((value as { wire: unknown }).wire);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decodeValue(value[i], depth + 1);
    return value;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) obj[k] = decodeValue(obj[k], depth + 1);
  }
  return value;
}
