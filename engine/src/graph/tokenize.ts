/**
 * Deterministic content tokens, in the spirit of Dask's `tokenize`.
 *
 * A collection's name is `operation-token`, where the token hashes everything the operation
 * depends on. Equal inputs give equal names, so the same computation built twice (even in
 * another process) shares keys, and different inputs never collide.
 *
 * Values are written into a streaming hash as a canonical, self-delimiting serialisation:
 * every value starts with a type tag and strings carry their length, so `1`, `"1"` and `1n`,
 * or `["a", "b"]` and `["ab"]`, can never produce the same byte stream. Binary data (typed
 * arrays, DataView, ArrayBuffer, SharedArrayBuffer) goes to the hash as a view over its own
 * memory: no copy, so tokenizing a large column costs one pass of the hash function.
 */
import { createHash, randomUUID, type Hash } from "node:crypto";

/** Objects that know their own token (collections do: their token is their name). */
export interface Tokenizable {
  __tesseraToken(): string;
}

/** Text is buffered and handed to the hash in large pieces: one `update` per value would dominate. */
const FLUSH_AT = 1 << 16;

/** A string that is not valid UTF-16 (a lone surrogate) would be mangled by UTF-8 encoding. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * sha1, truncated to 128 bits (32 hex chars): with the CPUs' SHA instructions it hashes large
 * buffers about twice as fast as md5, and the token only has to tell inputs apart, not resist
 * an attacker.
 */
function newHash(): Hash {
  return createHash("sha1");
}

class TokenWriter {
  private pending = "";
  private readonly hash = newHash();

  text(s: string): void {
    this.pending += s;
    if (this.pending.length > FLUSH_AT) this.flush();
  }

  bytes(view: ArrayBufferView): void {
    this.flush();
    this.hash.update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  }

  digest(): string {
    this.flush();
    return this.hash.digest("hex").slice(0, 32);
  }

  private flush(): void {
    if (this.pending.length > 0) {
      this.hash.update(this.pending, "utf8");
      this.pending = "";
    }
  }
}

/**
 * Values with no observable content (WeakMap, Promise, …) get a random token per object:
 * stable while the object lives in this process, never equal to another object's.
 */
const identityTokens = new WeakMap<object, string>();
function identityToken(value: object): string {
  let token = identityTokens.get(value);
  if (token === undefined) identityTokens.set(value, (token = randomUUID()));
  return token;
}

const toStringTag = (value: object): string => Object.prototype.toString.call(value);

/** Ancestors of the value being written, to turn cycles into back-references. */
interface Path {
  stack: object[];
  onStack: Set<object>;
}

function writeString(w: TokenWriter, tag: string, s: string): void {
  if (LONE_SURROGATE.test(s)) {
    // JSON.stringify escapes lone surrogates, which keeps the serialisation injective.
    const escaped = JSON.stringify(s);
    w.text(`${tag}!${escaped.length}:${escaped}`);
  } else {
    w.text(`${tag}${s.length}:${s}`);
  }
}

function writeValue(w: TokenWriter, value: unknown, path: Path): void {
  switch (typeof value) {
    case "string":
      return writeString(w, "s", value);
    case "number":
      // String(-0) is "0"; -0 and 0 are different inputs (1/x tells them apart).
      return w.text(Object.is(value, -0) ? "n-0;" : `n${value};`);
    case "bigint":
      return w.text(`g${value};`);
    case "boolean":
      return w.text(value ? "T" : "F");
    case "undefined":
      return w.text("U");
    case "symbol": {
      const registered = Symbol.keyFor(value);
      if (registered !== undefined) return writeString(w, "Y", registered);
      return writeString(w, "y", value.description ?? "");
    }
    case "function":
      return writeFunction(w, value as (...args: unknown[]) => unknown);
    case "object":
      if (value === null) return w.text("N");
      return writeObject(w, value, path);
  }
}

function writeFunction(w: TokenWriter, fn: (...args: unknown[]) => unknown): void {
  const source = fn.toString();
  // Native and bound functions all print as "[native code]": their name is all that tells them apart.
  if (source.endsWith("[native code] }")) writeString(w, "F", `${fn.name}:${source}`);
  else writeString(w, "f", source);
}

function writeObject(w: TokenWriter, value: object, path: Path): void {
  if (path.onStack.has(value)) {
    // A cycle: name the ancestor by its distance, which does not depend on visiting order.
    w.text(`^${path.stack.length - path.stack.lastIndexOf(value)};`);
    return;
  }
  const own = (value as Partial<Tokenizable>).__tesseraToken;
  if (typeof own === "function") return writeString(w, "K", own.call(value));

  if (ArrayBuffer.isView(value)) {
    // Typed arrays are hashed by element type and bytes: Float64Array([1]) ≠ Int32Array([1]).
    writeString(w, "A", toStringTag(value));
    w.text(`${value.byteLength};`);
    return w.bytes(value);
  }
  // Types are recognised by their tag, not `instanceof`: values made in another realm (a vm
  // context, structuredClone in a sandbox) must tokenize like local ones.
  const tag = toStringTag(value);
  switch (tag) {
    case "[object ArrayBuffer]":
    case "[object SharedArrayBuffer]": {
      const bytes = new Uint8Array(value as ArrayBufferLike);
      w.text(`B${bytes.byteLength};`);
      return w.bytes(bytes);
    }
    case "[object Date]":
      return w.text(`D${(value as Date).getTime()};`);
    case "[object RegExp]":
      return writeString(w, "R", `${(value as RegExp).flags}/${(value as RegExp).source}`);
    case "[object Number]":
    case "[object String]":
    case "[object Boolean]":
    case "[object BigInt]":
    case "[object Symbol]":
      // Boxed primitives.
      w.text("O");
      return writeValue(w, (value as { valueOf(): unknown }).valueOf(), path);
    case "[object WeakMap]":
    case "[object WeakSet]":
    case "[object WeakRef]":
    case "[object Promise]":
      return writeString(w, "I", identityToken(value));
  }

  path.stack.push(value);
  path.onStack.add(value);
  try {
    if (Array.isArray(value)) {
      w.text(`[${value.length};`);
      for (let i = 0; i < value.length; i++) writeValue(w, value[i], path);
      w.text("]");
    } else if (tag === "[object Map]") {
      const map = value as Map<unknown, unknown>;
      writeUnordered(w, "M", map.size, map.entries(), path);
    } else if (tag === "[object Set]") {
      const set = value as Set<unknown>;
      writeUnordered(w, "S", set.size, set.values(), path);
    } else {
      const proto = Object.getPrototypeOf(value) as object | null;
      // Plain objects have some realm's Object.prototype (whose own prototype is null) or none.
      if (proto !== null && Object.getPrototypeOf(proto) !== null) {
        // A class instance: its class matters as much as its fields.
        writeString(w, "C", (value.constructor as { name?: string } | undefined)?.name ?? "");
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      w.text(`{${keys.length};`);
      for (const key of keys) {
        writeString(w, "k", key);
        writeValue(w, record[key], path);
      }
      w.text("}");
    }
  } finally {
    path.stack.pop();
    path.onStack.delete(value);
  }
}

/**
 * Maps and Sets are compared by content, like Dask's sorted dict items: each entry is
 * tokenized on its own and the entry tokens are sorted, so insertion order does not matter.
 */
function writeUnordered(w: TokenWriter, tag: string, size: number, items: Iterable<unknown>, path: Path): void {
  const tokens: string[] = [];
  for (const item of items) {
    const sub = new TokenWriter();
    writeValue(sub, item, path);
    tokens.push(sub.digest());
  }
  tokens.sort();
  w.text(`${tag}${size};${tokens.join("")}`);
}

/**
 * A deterministic 32-hex-character token for any values.
 *
 * Same inputs give the same token in every call and every process; different inputs give
 * different tokens. Primitives are typed (`1`, `"1"`, `1n` differ; so do `0` and `-0`,
 * `undefined` and `null`); plain objects ignore key order; Maps and Sets ignore insertion
 * order; typed arrays, DataView, ArrayBuffer and SharedArrayBuffer are hashed by content (and
 * element type) without copying; functions by their source text; objects with a
 * `__tesseraToken()` method by what it returns; cycles are handled.
 *
 * @example tokenize("add", x.name, 1) // "9b1c…" (32 hex chars)
 */
export function tokenize(...values: unknown[]): string {
  const w = new TokenWriter();
  const path: Path = { stack: [], onStack: new Set() };
  w.text(`(${values.length};`);
  for (const value of values) writeValue(w, value, path);
  return w.digest();
}
