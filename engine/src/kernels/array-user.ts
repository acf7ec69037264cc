/**
 * Calling a user's shipped function from inside a kernel (`mapBlocks`, the Bag's `map`,
 * `filter`, `foldby`…): the kernel receives the function's `FnRef` as an argument and calls
 * it on many values. In the thread that built the graph the original function is used (so a
 * debugger stops in the user's code); elsewhere it is compiled once per worker from its source.
 */
import type { FnRef } from "../graph/task.js";
import { compileFunction, type SourceFnRef } from "../scheduler/compile.js";
import { originalFunction } from "../scheduler/local-functions.js";

export type UserFunction = (...args: unknown[]) => unknown;

export function userFunction(ref: FnRef): UserFunction {
  if (ref.kind !== "source") throw new Error(`Expected a shipped user function, got built-in kernel ${ref.name}`);
  return (ref.captures ? undefined : originalFunction(ref.id)) ?? compileFunction(ref as SourceFnRef);
}
