/**
 * Evaluating a task tree: the one place where tasks turn into function calls, shared by
 * the sync scheduler (calling thread) and the worker runtime (worker threads).
 */
import type { FnRef, Key, TaskNode } from "../graph/task.js";
import { getKernel } from "../kernels/index.js";
import { compileFunction } from "./compile.js";

type Fn = (...args: unknown[]) => unknown;

export interface ExecutionContext {
  /** The value of a dependency; throws if it is not available. */
  get(key: Key): unknown;
  /** Optional override to resolve a source function (the sync scheduler uses the original). */
  resolveSource?(fn: FnRef & { kind: "source" }): Fn | undefined;
}

export function resolveFunction(fn: FnRef, ctx: ExecutionContext): Fn {
  if (fn.kind === "builtin") return getKernel(fn.name) as Fn;
  return ctx.resolveSource?.(fn) ?? compileFunction(fn);
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";

/**
 * Evaluate a node. Synchronous unless a function returns a promise, in which case the
 * result is a promise and callers await it (async user functions work as in Dask's
 * `delayed` of a coroutine-free function: the worker awaits before the next task).
 */
export function evaluate(node: TaskNode, ctx: ExecutionContext): unknown {
  switch (node.t) {
    case "ref":
      return ctx.get(node.key);
    case "lit":
      return node.value;
    case "list":
      return settleAll(
        node.items.map((n) => evaluate(n, ctx)),
        (xs) => xs,
      );
    case "dict":
      return settleAll(
        node.values.map((n) => evaluate(n, ctx)),
        (vs) => Object.fromEntries(node.keys.map((k, i) => [k, vs[i]])),
      );
    case "call": {
      const fn = resolveFunction(node.fn, ctx);
      return settleAll(
        node.args.map((n) => evaluate(n, ctx)),
        (args) => fn(...args),
      );
    }
  }
}

function settleAll<T>(values: unknown[], then: (xs: unknown[]) => T): T | Promise<T> {
  for (const v of values) {
    if (isThenable(v)) return Promise.all(values).then(then);
  }
  return then(values);
}

export { isThenable };
