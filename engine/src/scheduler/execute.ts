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

/** Property on a thrown error naming the fused step that threw (innermost wins). */
export const ORIGIN_KEY = "tesseraTaskKey";

function tagOrigin(err: unknown, key: Key): unknown {
  if (err !== null && typeof err === "object" && !(ORIGIN_KEY in err)) {
    try {
      (err as Record<string, unknown>)[ORIGIN_KEY] = key;
    } catch {
      // frozen error objects keep their own identity
    }
  }
  return err;
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
      if (node.key === undefined) {
        return settleAll(
          node.args.map((n) => evaluate(n, ctx)),
          (args) => fn(...args),
        );
      }
      // A step fused into a bigger task: errors keep naming the step that threw.
      const key = node.key;
      try {
        const out = settleAll(
          node.args.map((n) => evaluate(n, ctx)),
          (args) => fn(...args),
        );
        return isThenable(out) ? Promise.resolve(out).catch((err: unknown) => Promise.reject(tagOrigin(err, key))) : out;
      } catch (err) {
        throw tagOrigin(err, key);
      }
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
