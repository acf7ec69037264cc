/**
 * Low-level graph optimizations, in the spirit of Dask's `optimization.py`: cull what is not
 * needed, inline cheap tasks into their readers, fuse linear chains into single tasks.
 *
 * Every pass returns a new graph that computes the same values for the requested keys; none
 * of them ever removes or renames a requested key. Fewer tasks matter because each task costs
 * a scheduler round trip, however small its work.
 */
import { fuseBlockwise, type HighLevelGraph } from "./hlg.js";
import { rewriteBlockwiseTemplates } from "./rewrite.js";
import { type Graph, type Key, type Task, type TaskNode, asFusedStep, substituteRefs, taskDependencies } from "./task.js";

/** Options of `optimize` and `optimizeHighLevel`. */
export interface OptimizeOptions {
  /** Fuse linear chains (and blockwise layers, for high-level graphs). Default true. */
  fuse?: boolean;
  /** Inline literals, aliases and cheap functions. Default true. */
  inline?: boolean;
  /** Builtin function names cheap enough to recompute in every reader (e.g. `getitem`). */
  inlineFns?: Set<string>;
  /** Longest chain fused into one task (bounds the nesting depth of task trees). Default 256. */
  maxFuseLength?: number;
}

/** Keys of `graph`, every key after the keys it depends on. Throws on a cycle. */
export function toposort(graph: Graph): Key[] {
  const waiting = new Map<Key, number>();
  const dependents = new Map<Key, Key[]>();
  const ready: Key[] = [];
  for (const [key, task] of graph) {
    const deps = taskDependencies(task).filter((d) => graph.has(d));
    waiting.set(key, deps.length);
    if (deps.length === 0) ready.push(key);
    for (const d of deps) {
      let list = dependents.get(d);
      if (!list) dependents.set(d, (list = []));
      list.push(key);
    }
  }
  const order: Key[] = [];
  // A queue (not a stack) keeps the result close to the graph's own order.
  for (let i = 0; i < ready.length; i++) {
    const key = ready[i]!;
    order.push(key);
    for (const dependent of dependents.get(key) ?? []) {
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  if (order.length !== graph.size) {
    const stuck = [...waiting].find(([, n]) => n > 0)?.[0];
    throw new Error(`Task graph has a cycle (through ${stuck})`);
  }
  return order;
}

/** How many keys of the graph read each key. */
function dependentCounts(graph: Graph): Map<Key, number> {
  const counts = new Map<Key, number>();
  for (const task of graph.values()) {
    for (const d of taskDependencies(task)) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  return counts;
}

/** Only the tasks `keys` need, in the graph's order. Throws if a requested key is missing. */
export function cull(graph: Graph, keys: Key[]): Graph {
  const needed = new Set<Key>();
  const stack: Key[] = [];
  for (const key of keys) {
    if (!graph.has(key)) throw new Error(`Key ${key} is not in the graph`);
    stack.push(key);
  }
  while (stack.length > 0) {
    const key = stack.pop()!;
    if (needed.has(key)) continue;
    needed.add(key);
    for (const dep of taskDependencies(graph.get(key)!)) if (graph.has(dep) && !needed.has(dep)) stack.push(dep);
  }
  if (needed.size === graph.size) return graph;
  const out: Graph = new Map();
  for (const [key, task] of graph) if (needed.has(key)) out.set(key, task);
  return out;
}

/** Whether a task tree contains no `call`: a literal, an alias or a structure of those. */
function isData(node: TaskNode): boolean {
  switch (node.t) {
    case "ref":
    case "lit":
      return true;
    case "list":
      return node.items.every(isData);
    case "dict":
      return node.values.every(isData);
    case "call":
      return false;
  }
}

/** Whether every literal of a tree is a primitive, so copying it into several readers is free. */
function isSmall(node: TaskNode): boolean {
  switch (node.t) {
    case "ref":
      return true;
    case "lit":
      return node.value === null || typeof node.value !== "object";
    case "list":
      return node.items.every(isSmall);
    case "dict":
      return node.values.every(isSmall);
    case "call":
      return node.args.every(isSmall);
  }
}

/** Whether a tree calls only builtins from `fns` (and calls at least one). */
function callsOnly(node: TaskNode, fns: Set<string>): boolean {
  let calls = 0;
  const ok = (n: TaskNode): boolean => {
    switch (n.t) {
      case "ref":
      case "lit":
        return true;
      case "list":
        return n.items.every(ok);
      case "dict":
        return n.values.every(ok);
      case "call":
        calls++;
        return n.fn.kind === "builtin" && fns.has(n.fn.name) && n.args.every(ok);
    }
  };
  return ok(node) && calls > 0;
}

/**
 * Inline tasks into the tasks that read them, unless requested: literals, aliases (`ref`
 * tasks) and tasks that call only builtins named in `fns` (cheap functions such as `getitem`,
 * recomputed by each reader). A task holding non-primitive literals (an array, a column) is
 * inlined only into a single reader, so data is never copied into many tasks. Tasks nobody
 * reads are left alone (that is `cull`'s job).
 */
export function inline(graph: Graph, keys: Key[], opts: { fns?: Set<string> } = {}): Graph {
  const fns = opts.fns ?? new Set<string>();
  const requested = new Set(keys);
  const readers = dependentCounts(graph);
  // `original` decides what kind of task it is; `task` (after inlining its own inputs) whether
  // copying it into several readers would copy data.
  const inlinable = (key: Key, original: Task, task: Task): boolean => {
    const n = readers.get(key) ?? 0;
    if (requested.has(key) || n === 0) return false;
    if (!isData(original) && !callsOnly(original, fns)) return false;
    return n === 1 || isSmall(task);
  };

  // Dependencies first, so a chain of aliases collapses in one pass.
  const replacement = new Map<Key, TaskNode>();
  const rewritten = new Map<Key, Task>();
  for (const key of toposort(graph)) {
    const original = graph.get(key)!;
    const task = substituteRefs(original, (k) => replacement.get(k));
    if (inlinable(key, original, task)) replacement.set(key, asFusedStep(key, task));
    else rewritten.set(key, task);
  }
  const out: Graph = new Map();
  for (const key of graph.keys()) {
    const task = rewritten.get(key);
    if (task !== undefined) out.set(key, task);
  }
  return out;
}

/** How many times a tree reads `key`. */
function countRefs(node: TaskNode, key: Key): number {
  switch (node.t) {
    case "ref":
      return node.key === key ? 1 : 0;
    case "lit":
      return 0;
    case "list":
      return node.items.reduce((s, n) => s + countRefs(n, key), 0);
    case "dict":
      return node.values.reduce((s, n) => s + countRefs(n, key), 0);
    case "call":
      return node.args.reduce((s, n) => s + countRefs(n, key), 0);
  }
}

/**
 * Fuse linear chains into single tasks of nested `call` nodes: a task is folded into the next
 * when the next is its only reader, reads it exactly once and reads nothing else. The fused
 * task keeps the last key of the chain, so requested keys are never fused away (a requested
 * key ends a chain). Chains longer than `maxLength` are cut into several tasks.
 */
export function fuseLinear(graph: Graph, keys: Key[], opts: { maxLength?: number } = {}): Graph {
  const maxLength = Math.max(1, opts.maxLength ?? 256);
  const requested = new Set(keys);
  const deps = new Map<Key, Key[]>();
  const readers = new Map<Key, Key[]>();
  for (const [key, task] of graph) {
    const ds = taskDependencies(task);
    deps.set(key, ds);
    for (const d of ds) {
      let list = readers.get(d);
      if (!list) readers.set(d, (list = []));
      list.push(key);
    }
  }

  // next(a) = b when a can be folded into b.
  const next = new Map<Key, Key>();
  const hasPrev = new Set<Key>();
  for (const key of graph.keys()) {
    if (requested.has(key)) continue;
    const rs = readers.get(key);
    if (!rs || rs.length !== 1) continue;
    const reader = rs[0]!;
    const readerDeps = deps.get(reader)!;
    if (readerDeps.length !== 1 || countRefs(graph.get(reader)!, key) !== 1) continue;
    next.set(key, reader);
    hasPrev.add(reader);
  }

  const fused = new Map<Key, Task>();
  const absorbed = new Set<Key>();
  for (const head of graph.keys()) {
    if (hasPrev.has(head)) continue;
    let key = head;
    let task = graph.get(key)!;
    let length = 1;
    for (let to = next.get(key); to !== undefined; to = next.get(key)) {
      if (length === maxLength) {
        // Cut: emit what we have and start a new chain at `to`.
        fused.set(key, task);
        task = graph.get(to)!;
        length = 1;
      } else {
        absorbed.add(key);
        const inner = task;
        const from = key;
        task = substituteRefs(graph.get(to)!, (k) => (k === from ? asFusedStep(from, inner) : undefined));
        length++;
      }
      key = to;
    }
    fused.set(key, task);
  }

  const out: Graph = new Map();
  for (const key of graph.keys()) {
    if (absorbed.has(key)) continue;
    out.set(key, fused.get(key) ?? graph.get(key)!);
  }
  return out;
}

/**
 * Cull, then inline, then fuse linear chains (each on by default), for the given keys.
 * The result computes the same values for `keys` in fewer tasks.
 */
export function optimize(graph: Graph, keys: Key[], opts: OptimizeOptions = {}): Graph {
  let g = cull(graph, keys);
  if (opts.inline !== false) g = inline(g, keys, { fns: opts.inlineFns });
  if (opts.fuse !== false) g = fuseLinear(g, keys, { maxLength: opts.maxFuseLength });
  return g;
}

/**
 * Optimize a high-level graph for `keys`: cull whole layers and blocks, fuse blockwise
 * layers and apply the collections' template rewrites (before a single task exists),
 * materialize, then `optimize` the tasks.
 */
export function optimizeHighLevel(hlg: HighLevelGraph, keys: Key[], opts: OptimizeOptions = {}): Graph {
  const culled = hlg.cull(keys);
  let g = culled;
  if (opts.fuse !== false) {
    const owners = culled.keyOwners();
    const keep = new Set<string>();
    for (const key of keys) keep.add(owners.get(key)!);
    g = rewriteBlockwiseTemplates(fuseBlockwise(culled, keep));
  }
  return optimize(g.toGraph(), keys, opts);
}
