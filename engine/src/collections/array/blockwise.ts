/**
 * `blockwise` (Dask's `da.blockwise`): a user function on the chunks of several arrays,
 * lined up by index letters, as in `einsum`.
 *
 *   da.blockwise(f, "ij", x, "ij", y, "ji", { dtype: "float64" })
 *
 * calls `f(xBlock, yBlock)` for every output block (i, j) with x's chunk (i, j) and y's chunk
 * (j, i). Arrays that share a letter must have the same length along it; their chunks are made
 * the same. A letter that is not in the output is contracted: the function then receives, for
 * that argument, the list of all chunks along it (nested, one level per such letter, in the
 * order of the argument's letters), or with `concatenate: true` those chunks joined into one.
 * An argument given with index `null` is passed to every call unchanged.
 */
import { blockIndices, HighLevelGraph, MaterializedLayer } from "../../graph/hlg.js";
import { builtin, type Graph, lit, list, makeKey, ref, type TaskNode } from "../../graph/task.js";
import { tokenize } from "../../graph/tokenize.js";
import { rememberFunction } from "../../scheduler/local-functions.js";
import { type AnyFunction, shipFunction } from "../../scheduler/ship.js";
import { ChunkedArray } from "./array.js";
import { chunkBoundaries, commonRefinement } from "./chunks.js";
import { checkDType } from "./dtype.js";
import type { MapBlocksOptions } from "./map-blocks.js";
import { rechunk } from "./structure.js";

export interface BlockwiseOptions extends MapBlocksOptions {
  /** Join the chunks along contracted letters into one NDArray per argument (default false: lists). */
  concatenate?: boolean;
}

const fmt = (shape: readonly number[]): string => `(${shape.join(", ")})`;

interface Argument {
  value: unknown;
  index: string | null;
}

/** `[x, "ij", y, "ji", …, options?]` into pairs and options. */
function parseArguments(rest: readonly unknown[]): { args: Argument[]; opts: BlockwiseOptions } {
  let items = rest;
  let opts: BlockwiseOptions = {};
  const last = rest[rest.length - 1];
  if (rest.length % 2 === 1 && last !== null && typeof last === "object" && Object.getPrototypeOf(last) === Object.prototype) {
    opts = last as BlockwiseOptions;
    items = rest.slice(0, -1);
  }
  if (items.length % 2 !== 0) throw new TypeError("blockwise: arguments come in pairs: an array and its index letters (or a value and null)");
  const args: Argument[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const value = items[i];
    const index = items[i + 1];
    if (index !== null && typeof index !== "string") throw new TypeError(`blockwise: argument ${i / 2} needs index letters (a string) or null, got ${typeof index}`);
    if (typeof index === "string") {
      if (!(value instanceof ChunkedArray)) throw new TypeError(`blockwise: argument ${i / 2} has index "${index}" but is not an array; give null as its index to pass it as it is`);
      if (index.length !== value.ndim) throw new Error(`blockwise: index "${index}" has ${index.length} letters for argument ${i / 2} of shape ${fmt(value.shape)}`);
      if (new Set(index).size !== index.length) throw new Error(`blockwise: index "${index}" repeats a letter (diagonals are not supported)`);
    }
    args.push({ value, index });
  }
  return { args, opts };
}

export function blockwise(fn: AnyFunction, outIndex: string, ...rest: unknown[]): ChunkedArray {
  const { args, opts } = parseArguments(rest);
  const arrays = args.filter((a): a is { value: ChunkedArray; index: string } => a.index !== null);
  if (arrays.length === 0) throw new Error("blockwise: at least one argument must be an array with index letters");
  if (new Set(outIndex).size !== outIndex.length) throw new Error(`blockwise: output index "${outIndex}" repeats a letter`);

  // Length and common chunks of every letter.
  const sizes = new Map<string, { n: number; where: string }>();
  const letterChunks = new Map<string, number[]>();
  for (const [k, a] of arrays.entries()) {
    [...a.index].forEach((letter, d) => {
      const n = a.value.shape[d]!;
      const known = sizes.get(letter);
      if (known && known.n !== n) {
        throw new Error(`blockwise: index "${letter}" is ${known.n} long in ${known.where} but ${n} in argument ${k} (shape ${fmt(a.value.shape)})`);
      }
      if (!known) sizes.set(letter, { n, where: `argument ${k} (shape ${fmt(a.value.shape)})` });
      const c = letterChunks.get(letter);
      letterChunks.set(letter, c === undefined ? [...a.value.chunks[d]!] : commonRefinement(c, a.value.chunks[d]!));
    });
  }
  for (const letter of outIndex) if (!sizes.has(letter)) throw new Error(`blockwise: output letter "${letter}" is not in any argument's index (new axes are not supported)`);
  const aligned = args.map((a) => (a.index === null ? a : { value: rechunk(a.value as ChunkedArray, [...a.index].map((l) => letterChunks.get(l)!)), index: a.index }));

  const dtype = opts.dtype === undefined ? arrays[0]!.value.dtype : checkDType(opts.dtype, "blockwise");
  const fnRef = shipFunction(fn, { ...(opts.captures ? { captures: opts.captures } : {}), ...(opts.name ? { name: opts.name } : {}) });
  rememberFunction(fnRef.id, fn);
  const chunks = [...outIndex].map((l) => letterChunks.get(l)!);
  const inputs = aligned.filter((a) => a.index !== null).map((a) => a.value as ChunkedArray);
  const name = `${fnRef.name.replace(/[[\]\s-]/g, "_") || "blockwise"}-${tokenize("blockwise", fnRef.id, outIndex, dtype, opts.concatenate ?? false, ...aligned.map((a) => (a.index === null ? a.value : [(a.value as ChunkedArray).name, a.index])))}`;

  /** The node for one argument at output block `out` (letter → block number). */
  const argumentNode = (a: Argument, at: Map<string, number>): TaskNode => {
    if (a.index === null) return lit(a.value);
    const x = a.value as ChunkedArray;
    const letters = [...a.index];
    const contracted = letters.filter((l) => !at.has(l));
    const keyAt = (choice: Map<string, number>): TaskNode => ref(makeKey(x.name, ...letters.map((l) => at.get(l) ?? choice.get(l)!)));
    if (contracted.length === 0) return keyAt(new Map());
    if (opts.concatenate) {
      // One block spanning the contracted letters: every chunk along them, placed at its offset.
      const shape = letters.map((l, d) => (at.has(l) ? x.chunks[d]![at.get(l)!]! : x.shape[d]!));
      const bounds = letters.map((_, d) => chunkBoundaries(x.chunks[d]!));
      const pieces = blockIndices(contracted.map((l) => letterChunks.get(l)!.length)).map((combo) => {
        const choice = new Map(contracted.map((l, i) => [l, combo[i]!]));
        const offset = letters.map((l, d) => (at.has(l) ? 0 : bounds[d]![choice.get(l)!]!));
        return list([keyAt(choice), lit(offset)]);
      });
      return { t: "call", fn: builtin("array.assemble"), args: [lit(shape), lit(x.dtype), list(pieces)] };
    }
    // Nested lists, one level per contracted letter.
    const nest = (level: number, choice: Map<string, number>): TaskNode => {
      if (level === contracted.length) return keyAt(choice);
      const letter = contracted[level]!;
      return list(letterChunks.get(letter)!.map((_, b) => nest(level + 1, new Map([...choice, [letter, b]]))));
    };
    return nest(0, new Map());
  };

  const graph: Graph = new Map();
  for (const out of blockIndices(chunks.map((c) => c.length))) {
    const at = new Map([...outIndex].map((l, d) => [l, out[d]!]));
    const shape = out.map((b, d) => chunks[d]![b]!);
    graph.set(makeKey(name, ...out), {
      t: "call",
      fn: builtin("array.blockwise"),
      args: [lit(fnRef), list(aligned.map((a) => argumentNode(a, at))), lit(out), lit(shape), lit(dtype)],
    });
  }
  const layer = new MaterializedLayer(name, graph);
  return new ChunkedArray(name, HighLevelGraph.fromLayer(layer, inputs.map((i) => i.graph)), chunks, dtype);
}
