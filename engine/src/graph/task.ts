/**
 * Keys and tasks: the vocabulary every other part of Tessera speaks.
 *
 * A task graph maps keys to tasks. A task is a tree of plain, structured-cloneable
 * nodes, so the same object can run in this thread (sync scheduler) or be posted to
 * a worker thread or another host unchanged. Like Dask's tuple tasks, a `call` node
 * may appear inside another task's arguments: that is how fusion and inlining work.
 */

/** A task's name in a graph. Collections use `name-token` or `name-token[i,j]`. */
export type Key = string;

/**
 * How a task names its function. Tasks run in other threads, so they cannot hold a
 * closure: a built-in kernel is looked up by name in the registry every worker loads,
 * and a user function travels as source and is compiled (once) in the worker.
 */
export type FnRef =
  | { kind: "builtin"; name: string }
  | {
      kind: "source";
      /** Content hash of source + captures; workers cache compiled functions by it. */
      id: string;
      /** Display name (the function's own name or "lambda"). */
      name: string;
      source: string;
      /** Values the function closes over, passed in by the user; structured-cloneable. */
      captures?: Record<string, unknown>;
    };

/** A node of a task tree. */
export type TaskNode =
  | { t: "ref"; key: Key }
  | { t: "lit"; value: unknown }
  | { t: "list"; items: TaskNode[] }
  | { t: "dict"; keys: string[]; values: TaskNode[] }
  /** `key`: the original key of a task fused into this one, so its errors still name it. */
  | { t: "call"; fn: FnRef; args: TaskNode[]; key?: Key };

/** A task is a node: usually a call, sometimes a literal (scattered data) or an alias. */
export type Task = TaskNode;

/** A low-level task graph. */
export type Graph = Map<Key, Task>;

export const ref = (key: Key): TaskNode => ({ t: "ref", key });
export const lit = (value: unknown): TaskNode => ({ t: "lit", value });
export const list = (items: TaskNode[]): TaskNode => ({ t: "list", items });
export const call = (fn: FnRef, ...args: TaskNode[]): TaskNode => ({ t: "call", fn, args });
export const builtin = (name: string): FnRef => ({ kind: "builtin", name });

/** The keys a task reads, in first-seen order, each once. */
export function taskDependencies(task: Task): Key[] {
  // Fast path for the common flat call whose arguments are literals and refs.
  if (task.t === "call") {
    let flat = true;
    let refs = 0;
    for (const a of task.args) {
      if (a.t === "ref") refs++;
      else if (a.t !== "lit") flat = false;
    }
    if (flat && refs <= 16) {
      if (refs === 0) return [];
      const out: Key[] = [];
      for (const a of task.args) if (a.t === "ref" && !out.includes(a.key)) out.push(a.key);
      return out;
    }
  }
  const seen = new Set<Key>();
  walkTask(task, (node) => {
    if (node.t === "ref") seen.add(node.key);
  });
  return [...seen];
}

/** Visit every node of a task tree, parents before children, arguments in order. */
export function walkTask(task: TaskNode, visit: (node: TaskNode) => void): void {
  const stack: TaskNode[] = [task];
  while (stack.length > 0) {
    const node = stack.pop()!;
    visit(node);
    const children = node.t === "call" ? node.args : node.t === "list" ? node.items : node.t === "dict" ? node.values : null;
    if (children) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

/** Replace refs in a task tree; `replace` returns the node to put instead (or undefined to keep). */
export function substituteRefs(task: Task, replace: (key: Key) => TaskNode | undefined): Task {
  switch (task.t) {
    case "ref":
      return replace(task.key) ?? task;
    case "lit":
      return task;
    case "list":
      return { t: "list", items: task.items.map((n) => substituteRefs(n, replace)) };
    case "dict":
      return { t: "dict", keys: task.keys, values: task.values.map((n) => substituteRefs(n, replace)) };
    case "call": {
      const args = task.args.map((n) => substituteRefs(n, replace));
      return task.key === undefined ? { t: "call", fn: task.fn, args } : { t: "call", fn: task.fn, args, key: task.key };
    }
  }
}

/** The task to put in place of a reference to `key` when fusing it into a reader. */
export function asFusedStep(key: Key, task: Task): TaskNode {
  return task.t === "call" && task.key === undefined ? { ...task, key } : task;
}

/** Dependencies of every key of a graph (only keys inside the graph or given as external). */
export function graphDependencies(graph: Graph): Map<Key, Key[]> {
  const deps = new Map<Key, Key[]>();
  for (const [key, task] of graph) deps.set(key, taskDependencies(task));
  return deps;
}

/** Reverse of `graphDependencies`: who reads each key. */
export function reverseDependencies(deps: Map<Key, Key[]>): Map<Key, Key[]> {
  const dependents = new Map<Key, Key[]>();
  for (const key of deps.keys()) dependents.set(key, []);
  for (const [key, ds] of deps) {
    for (const d of ds) {
      let list = dependents.get(d);
      if (!list) dependents.set(d, (list = []));
      list.push(key);
    }
  }
  return dependents;
}

/** `name-token[i,j]` for chunk keys, `name-token` for single ones. */
export function makeKey(name: string, ...index: number[]): Key {
  return index.length === 0 ? name : `${name}[${index.join(",")}]`;
}

/**
 * The operation a key belongs to, for progress bars and the task stream:
 * `inc-3f2a…` → `inc`, `sum-9c1d…[0,1]` → `sum`. Like Dask's `key_split`.
 */
export function keyPrefix(key: Key): string {
  // A character scan from the end, not split/regex: this runs for every event of every task.
  const bracket = key.indexOf("[");
  let end = bracket >= 0 ? bracket : key.length;
  for (;;) {
    const dash = key.lastIndexOf("-", end - 1);
    if (dash <= 0 || end - dash - 1 < 8) break;
    let hex = true;
    for (let i = dash + 1; i < end && hex; i++) {
      const c = key.charCodeAt(i);
      hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
    }
    if (!hex) break;
    end = dash;
  }
  return end === key.length ? key : key.slice(0, end);
}

/** Human label of a function reference. */
export function fnName(fn: FnRef): string {
  return fn.name;
}
