/**
 * `mapBlocks`: a user function applied to every chunk in worker threads. The function is
 * shipped as source (like `delayed`), so it may only read its parameters, worker globals and
 * the values given in `captures`.
 */
import { blockInput, perBlock } from "../../graph/hlg.js";
import { builtin, lit } from "../../graph/task.js";
import { rememberFunction } from "../../scheduler/local-functions.js";
import { type AnyFunction, shipFunction } from "../../scheduler/ship.js";
import { ChunkedArray } from "./array.js";
import { checkDType, type DType } from "./dtype.js";

export interface MapBlocksOptions {
  /** dtype of the chunks `fn` returns (default: the input's). */
  dtype?: DType;
  /** Values `fn` reads by name; they travel with it. */
  captures?: Record<string, unknown>;
  /** Name shown in graphs and progress bars (default: the function's name). */
  name?: string;
}

export function mapBlocks(x: ChunkedArray, fn: AnyFunction, opts: MapBlocksOptions): ChunkedArray {
  const dtype = opts.dtype === undefined ? x.dtype : checkDType(opts.dtype, "mapBlocks");
  const fnRef = shipFunction(fn, { ...(opts.captures ? { captures: opts.captures } : {}), ...(opts.name ? { name: opts.name } : {}) });
  rememberFunction(fnRef.id, fn);
  const template = {
    t: "call" as const,
    fn: builtin("array.mapBlocks"),
    args: [lit(fnRef), blockInput(x.name), perBlock((index) => lit([...index])), perBlock((index) => lit(x.blockShape(index))), lit(dtype)],
  };
  const prefix = fnRef.name.replace(/[[\]\s-]/g, "_") || "mapBlocks";
  return ChunkedArray.blockwise(prefix, x.numblocks, x.chunks.map((c) => [...c]), dtype, template, [x], [fnRef.id, dtype]);
}
