/**
 * Static task priorities, in the spirit of Dask's `order.py`.
 *
 * The scheduler runs ready tasks lowest priority first. A good order keeps memory small on
 * one worker and still gives many workers plenty to do:
 *
 * - **Finish one branch before starting another.** Outputs are computed one at a time by a
 *   depth-first walk down their dependencies, so a reduction consumes its inputs as soon as
 *   they exist instead of after every input of the whole graph has been made.
 * - **Inside a branch, largest subtree first.** Among a task's dependencies, the one whose
 *   computation needs the most results held at once goes first (the Sethi–Ullman rule for
 *   evaluating expression trees with the fewest registers); ties go to the longest path.
 * - **Free memory early.** When a task finishes, and every remaining reader of a result it
 *   touched can run now, those readers run next: the result is released instead of waiting
 *   for the walk to come back to them.
 * - **Deterministic.** Remaining ties are broken by key, with numbers compared as numbers
 *   (`x[2]` before `x[10]`).
 *
 * Everything runs on integer arrays with explicit stacks: O(E log E) for E edges, and a
 * chain of 100 000 tasks is as easy as 100 000 independent ones.
 */
import { type Graph, type Key, taskDependencies } from "./task.js";

/** Readers are run eagerly only when at most this many remain: few outputs for one release. */
const EAGER_READERS = 4;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Compare keys with runs of digits compared as numbers (`x[2]` before `x[10]`), without allocating. */
export function naturalCompare(a: Key, b: Key): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      // Skip leading zeros, then the longer run is the larger number.
      let si = i;
      let sj = j;
      while (si < a.length && a.charCodeAt(si) === 48) si++;
      while (sj < b.length && b.charCodeAt(sj) === 48) sj++;
      let ei = si;
      let ej = sj;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      if (ei - si !== ej - sj) return ei - si - (ej - sj);
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  return a.length - i - (b.length - j);
}

/** Compressed adjacency lists: node `i`'s neighbours are `list[start[i]]…list[start[i+1]-1]`. */
interface Adjacency {
  start: Int32Array;
  list: Int32Array;
}

/** The reverse of `adj`: for every edge i→j of `adj`, j→i. Built by counting, no per-node arrays. */
function reverse(adj: Adjacency, n: number): Adjacency {
  const start = new Int32Array(n + 1);
  for (let p = 0; p < adj.list.length; p++) start[adj.list[p]! + 1]++;
  for (let i = 0; i < n; i++) start[i + 1] += start[i]!;
  const fill = start.slice(0, n);
  const list = new Int32Array(adj.list.length);
  for (let i = 0; i < n; i++) {
    for (let p = adj.start[i]!; p < adj.start[i + 1]!; p++) list[fill[adj.list[p]!]!++] = i;
  }
  return { start, list };
}

/**
 * Priorities for every key of `graph`: 0 runs first, then 1, …; dependencies always come
 * before the tasks that read them. References to keys outside the graph are ignored.
 * Throws on a cycle.
 */
export function order(graph: Graph): Map<Key, number> {
  const keys = [...graph.keys()];
  const n = keys.length;
  const index = new Map<Key, number>();
  keys.forEach((k, i) => index.set(k, i));

  // Dependencies and readers, as integer adjacency lists (no per-node arrays: 100k+ tasks).
  const depStart = new Int32Array(n + 1);
  const depFlat: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const d of taskDependencies(graph.get(keys[i]!)!)) {
      const j = index.get(d);
      if (j === i) throw new Error(`Task graph has a cycle (through ${keys[i]})`);
      if (j !== undefined) depFlat.push(j);
    }
    depStart[i + 1] = depFlat.length;
  }
  const deps: Adjacency = { start: depStart, list: Int32Array.from(depFlat) };
  const readers = reverse(deps, n);

  // Tie-breaking rank of every key. Collections insert keys in index order, so the common
  // case is a graph already in natural order: one linear check instead of a sort.
  const rank = new Int32Array(n);
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = naturalCompare(keys[i - 1]!, keys[i]!) <= 0;
  if (sorted) {
    for (let i = 0; i < n; i++) rank[i] = i;
  } else {
    const byKey = Array.from({ length: n }, (_, i) => i).sort((a, b) => naturalCompare(keys[a]!, keys[b]!));
    byKey.forEach((node, r) => (rank[node] = r));
  }

  // Topological order (Kahn), which also detects cycles.
  const topo = new Int32Array(n);
  {
    const waiting = new Int32Array(n);
    let tail = 0;
    for (let i = 0; i < n; i++) if ((waiting[i] = deps.start[i + 1]! - deps.start[i]!) === 0) topo[tail++] = i;
    for (let head = 0; head < tail; head++) {
      const v = topo[head]!;
      for (let p = readers.start[v]!; p < readers.start[v + 1]!; p++) {
        const r = readers.list[p]!;
        if (--waiting[r] === 0) topo[tail++] = r;
      }
    }
    if (tail !== n) {
      const stuck = waiting.findIndex((w) => w > 0);
      throw new Error(`Task graph has a cycle (through ${keys[stuck]})`);
    }
  }

  // Longest path down to an input (critical path), and results held to compute each task
  // (Sethi–Ullman); each task's dependencies are sorted, in place, into the order the walk
  // will visit them.
  const height = new Int32Array(n);
  const need = new Int32Array(n);
  const preferred = (a: number, b: number): number =>
    need[b]! - need[a]! || height[b]! - height[a]! || rank[a]! - rank[b]!;
  for (const v of topo) {
    const from = deps.start[v]!;
    const to = deps.start[v + 1]!;
    if (to - from > 1) deps.list.subarray(from, to).sort(preferred);
    let h = 0;
    let m = to - from + 1;
    for (let p = from; p < to; p++) {
      const d = deps.list[p]!;
      if (height[d]! + 1 > h) h = height[d]! + 1;
      if (need[d]! + (p - from) > m) m = need[d]! + (p - from);
    }
    height[v] = h;
    need[v] = m;
  }

  // Outputs (tasks nobody reads), longest critical path first, then by key.
  const outputs: number[] = [];
  for (let i = 0; i < n; i++) if (readers.start[i + 1] === readers.start[i]) outputs.push(i);
  const byPathThenKey = (a: number, b: number): number => height[b]! - height[a]! || rank[a]! - rank[b]!;
  // Many independent outputs usually arrive in order already: check before sorting.
  let outputsSorted = true;
  for (let i = 1; i < outputs.length && outputsSorted; i++) outputsSorted = byPathThenKey(outputs[i - 1]!, outputs[i]!) <= 0;
  if (!outputsSorted) outputs.sort(byPathThenKey);

  const done = new Uint8Array(n);
  const waiting = new Int32Array(n); // dependencies not yet run
  const unread = new Int32Array(n); // readers not yet run
  const cursor = new Int32Array(n); // next dependency of each task the walk has not visited
  for (let i = 0; i < n; i++) {
    waiting[i] = deps.start[i + 1]! - deps.start[i]!;
    unread[i] = readers.start[i + 1]! - readers.start[i]!;
    cursor[i] = deps.start[i]!;
  }
  const priority = new Int32Array(n);
  let ran = 0;
  const stack: number[] = [];
  const eager: number[] = [];

  /** Push the remaining readers of `q` when all of them can run now (releasing `q`). */
  const pushReleasingReaders = (q: number): void => {
    const left = unread[q]!;
    if (left === 0 || left > EAGER_READERS) return;
    eager.length = 0;
    for (let p = readers.start[q]!; p < readers.start[q + 1]!; p++) {
      const r = readers.list[p]!;
      if (done[r]) continue;
      if (waiting[r] !== 0) return;
      eager.push(r);
    }
    // Lowest rank on top of the stack, so it runs first.
    eager.sort((a, b) => rank[b]! - rank[a]!);
    for (const r of eager) stack.push(r);
  };

  const run = (v: number): void => {
    done[v] = 1;
    priority[v] = ran++;
    for (let p = readers.start[v]!; p < readers.start[v + 1]!; p++) waiting[readers.list[p]!]--;
    for (let p = deps.start[v]!; p < deps.start[v + 1]!; p++) unread[deps.list[p]!]--;
    pushReleasingReaders(v);
    for (let p = deps.start[v]!; p < deps.start[v + 1]!; p++) pushReleasingReaders(deps.list[p]!);
  };

  let nextOutput = 0;
  while (ran < n) {
    if (stack.length === 0) {
      while (done[outputs[nextOutput]!]) nextOutput++;
      stack.push(outputs[nextOutput]!);
    }
    const v = stack[stack.length - 1]!;
    if (done[v]) {
      stack.pop();
      continue;
    }
    if (waiting[v]! > 0) {
      // Descend into the next dependency not yet run. Everything pushed above `v` runs before
      // `v` is on top again, so the cursor never needs to look back.
      let c = cursor[v]!;
      while (done[deps.list[c]!]) c++;
      cursor[v] = c + 1;
      stack.push(deps.list[c]!);
      continue;
    }
    stack.pop();
    run(v);
  }

  const result = new Map<Key, number>();
  for (let i = 0; i < n; i++) result.set(keys[i]!, priority[i]!);
  return result;
}
