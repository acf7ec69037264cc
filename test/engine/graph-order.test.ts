import {
  builtin,
  call,
  lit,
  order,
  ref,
  taskDependencies,
  tokenize,
  type Graph,
  type Key,
  type TaskNode,
} from "@tessera/engine/internal";

// Tests by shape, as Dask's test_order.py does: run the graph on one simulated worker in
// priority order and watch how many results it has to hold.

const f = builtin("f");
const task = (...deps: Key[]): TaskNode => ({ t: "call", fn: f, args: deps.map(ref) });
const leaf = () => call(f, lit(0));

interface Run {
  /** Keys in the order they ran. */
  sequence: Key[];
  /** Most intermediate results (not outputs) held at once, counted while a task runs (inputs and result). */
  maxHeld: number;
  /** Most results of keys matching `watch` held at once. */
  maxWatched: number;
}

/**
 * Run every task in priority order, checking dependencies ran first. A result is held until its
 * last reader has run; outputs (keys nobody reads) are handed back at once and not counted.
 */
function simulate(graph: Graph, priorities: Map<Key, number>, watch: (key: Key) => boolean = () => false): Run {
  expect(priorities.size).toBe(graph.size);
  const sequence = [...graph.keys()].sort((a, b) => priorities.get(a)! - priorities.get(b)!);
  expect(new Set(priorities.values()).size).toBe(graph.size);
  const readersLeft = new Map<Key, number>();
  for (const t of graph.values()) for (const d of taskDependencies(t)) readersLeft.set(d, (readersLeft.get(d) ?? 0) + 1);
  const ran = new Set<Key>();
  const held = new Set<Key>();
  let maxHeld = 0;
  let maxWatched = 0;
  let watched = 0;
  for (const key of sequence) {
    for (const d of taskDependencies(graph.get(key)!)) {
      if (!ran.has(d)) throw new Error(`${key} ran before its dependency ${d}`);
    }
    ran.add(key);
    if ((readersLeft.get(key) ?? 0) > 0) {
      held.add(key);
      if (watch(key)) watched++;
    }
    maxHeld = Math.max(maxHeld, held.size);
    maxWatched = Math.max(maxWatched, watched);
    for (const d of taskDependencies(graph.get(key)!)) {
      const left = readersLeft.get(d)! - 1;
      readersLeft.set(d, left);
      if (left === 0) {
        held.delete(d);
        if (watch(d)) watched--;
      }
    }
  }
  return { sequence, maxHeld, maxWatched };
}

/** A binary tree reduction over `leaves`, returning the root key. */
function treeReduce(graph: Graph, leaves: Key[], name: (level: number, i: number) => Key): Key {
  let level = leaves;
  for (let depth = 0; level.length > 1; depth++) {
    const next: Key[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const key = name(depth, i / 2);
      graph.set(key, i + 1 < level.length ? task(level[i]!, level[i + 1]!) : task(level[i]!));
      next.push(key);
    }
    level = next;
  }
  return level[0]!;
}

describe("order", () => {
  test("a binary tree reduction over 1024 leaves runs depth-first", () => {
    const g: Graph = new Map();
    const leaves = Array.from({ length: 1024 }, (_, i) => `leaf-${i}`);
    for (const k of leaves) g.set(k, leaf());
    treeReduce(g, leaves, (d, i) => `sum-${d}-${i}`);
    const run = simulate(g, order(g));
    expect(run.maxHeld).toBeLessThanOrEqual(Math.log2(1024) + 2);
  });

  test("depth-first follows the structure, not key names", () => {
    // Keys are unrelated hashes, inserted in a shuffled order: only the shape can guide the order.
    const g: Graph = new Map();
    const name = (s: string) => `t-${tokenize(s)}`;
    const leaves = Array.from({ length: 512 }, (_, i) => name(`leaf${i}`));
    const tmp: Graph = new Map();
    for (const k of leaves) tmp.set(k, leaf());
    treeReduce(tmp, leaves, (d, i) => name(`sum${d}-${i}`));
    const entries = [...tmp];
    for (let i = entries.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    for (const [k, t] of entries) g.set(k, t);
    expect(simulate(g, order(g)).maxHeld).toBeLessThanOrEqual(Math.log2(512) + 2);
  });

  test("1000 maps feeding a tree reduction never hold all maps", () => {
    const g: Graph = new Map();
    const maps: Key[] = [];
    for (let i = 0; i < 1000; i++) {
      g.set(`load-${i}`, leaf());
      g.set(`map-${i}`, task(`load-${i}`));
      maps.push(`map-${i}`);
    }
    treeReduce(g, maps, (d, i) => `reduce-${d}-${i}`);
    const run = simulate(g, order(g), (k) => k.startsWith("map-"));
    expect(run.maxWatched).toBeLessThanOrEqual(12);
    expect(run.maxHeld).toBeLessThanOrEqual(14);
  });

  test("maps feeding per-group sums run group by group", () => {
    const g: Graph = new Map();
    const groups = 100;
    const perGroup = 10;
    const sums: Key[] = [];
    for (let grp = 0; grp < groups; grp++) {
      const parts: Key[] = [];
      for (let i = 0; i < perGroup; i++) {
        const n = grp * perGroup + i;
        g.set(`load-${n}`, leaf());
        g.set(`map-${n}`, task(`load-${n}`));
        parts.push(`map-${n}`);
      }
      g.set(`sum-${grp}`, task(...parts));
      sums.push(`sum-${grp}`);
    }
    g.set("total", task(...sums));
    const run = simulate(g, order(g), (k) => k.startsWith("map-"));
    // One group's maps at a time (the final total must hold every group sum, whatever the order).
    expect(run.maxWatched).toBeLessThanOrEqual(perGroup);
    expect(run.maxHeld).toBeLessThanOrEqual(groups + perGroup + 1);
  });

  test("a result read by two outputs is released right after the first one", () => {
    // load-i feeds a-i and b-i; going through outputs by name (a-0, a-1, …, then b-0, …)
    // would hold every load until the b's.
    const g: Graph = new Map();
    for (let i = 0; i < 100; i++) {
      g.set(`load-${i}`, leaf());
      g.set(`a-${i}`, task(`load-${i}`));
      g.set(`b-${i}`, task(`load-${i}`));
    }
    expect(simulate(g, order(g)).maxHeld).toBe(1);
  });

  test("a mean (two reductions reading the same maps) keeps both trees moving together", () => {
    // x.mean() = sum(x) / count(x): each map feeds a sum tree and a count tree. Finishing the
    // sum tree first would hold all 256 maps for the count tree.
    const g: Graph = new Map();
    const sums: Key[] = [];
    const counts: Key[] = [];
    for (let i = 0; i < 256; i++) {
      g.set(`load-${i}`, leaf());
      g.set(`map-${i}`, task(`load-${i}`));
      g.set(`s-${i}`, task(`map-${i}`));
      g.set(`c-${i}`, task(`map-${i}`));
      sums.push(`s-${i}`);
      counts.push(`c-${i}`);
    }
    const s = treeReduce(g, sums, (d, i) => `sum-${d}-${i}`);
    const c = treeReduce(g, counts, (d, i) => `count-${d}-${i}`);
    g.set("mean", task(s, c));
    const run = simulate(g, order(g), (k) => k.startsWith("map-"));
    expect(run.maxWatched).toBeLessThanOrEqual(2);
    expect(run.maxHeld).toBeLessThanOrEqual(2 * Math.log2(256) + 6);
  });

  test("independent chains run one after another", () => {
    const g: Graph = new Map();
    const chains = 10;
    const length = 50;
    for (let c = 0; c < chains; c++) {
      g.set(`c${c}-0`, leaf());
      for (let i = 1; i < length; i++) g.set(`c${c}-${i}`, task(`c${c}-${i - 1}`));
    }
    const run = simulate(g, order(g));
    // A step holds its input and its result: one chain at a time.
    expect(run.maxHeld).toBe(2);
    for (let c = 0; c < chains; c++) {
      const positions = run.sequence.flatMap((k, p) => (k.startsWith(`c${c}-`) ? [p] : []));
      expect(positions[positions.length - 1]! - positions[0]!).toBe(length - 1);
    }
    // Ties between equal chains go by key, with numbers compared as numbers.
    expect(run.sequence.slice(0, 2)).toEqual(["c0-0", "c0-1"]);
  });

  test("the longest path starts first", () => {
    const g: Graph = new Map([
      ["a-short", leaf()],
      ["b-0", leaf()],
      ["b-1", task("b-0")],
      ["b-2", task("b-1")],
    ]);
    expect(simulate(g, order(g)).sequence).toEqual(["b-0", "b-1", "b-2", "a-short"]);
  });

  test("numbers in keys compare as numbers", () => {
    const g: Graph = new Map();
    for (const i of [10, 2, 1, 33, 3]) g.set(`x[${i}]`, leaf());
    expect(simulate(g, order(g)).sequence).toEqual(["x[1]", "x[2]", "x[3]", "x[10]", "x[33]"]);
  });

  test("is deterministic and independent of insertion order", () => {
    const g: Graph = new Map();
    for (let i = 0; i < 200; i++) {
      g.set(`in-${i}`, leaf());
      g.set(`mid-${i}`, task(`in-${i}`, `in-${(i * 31) % 200}`));
    }
    for (let i = 0; i < 200; i += 5) g.set(`out-${i}`, task(`mid-${i}`, `mid-${(i * 17) % 200}`, `mid-${(i + 1) % 200}`));
    const first = order(g);
    const reversed: Graph = new Map([...g].reverse());
    expect(order(g)).toEqual(first);
    expect(order(reversed)).toEqual(first);
  });

  test("references outside the graph are ignored; cycles are errors; empty is fine", () => {
    const g: Graph = new Map([["a", task("outside")], ["b", task("a")]]);
    expect([...order(g)]).toEqual([
      ["a", 0],
      ["b", 1],
    ]);
    expect(order(new Map()).size).toBe(0);
    expect(() => order(new Map([["a", task("b")], ["b", task("a")]]))).toThrow(/cycle/);
    expect(() => order(new Map([["a", task("a")]]))).toThrow(/cycle/);
  });

  test("a 100k chain and 100k independent tasks are ordered without overflowing the stack", () => {
    const n = 100_000;
    const chain: Graph = new Map([["k0", leaf()]]);
    for (let i = 1; i < n; i++) chain.set(`k${i}`, task(`k${i - 1}`));
    const pc = order(chain);
    expect(pc.get("k0")).toBe(0);
    expect(pc.get(`k${n - 1}`)).toBe(n - 1);
    for (let i = 1; i < n; i += 997) expect(pc.get(`k${i}`)).toBe(i);

    const independent: Graph = new Map();
    for (let i = 0; i < n; i++) independent.set(`x[${i}]`, leaf());
    const pi = order(independent);
    expect(pi.size).toBe(n);
    expect(pi.get("x[0]")).toBe(0);
    expect(pi.get(`x[${n - 1}]`)).toBe(n - 1);
  });

  test("a 100k-leaf reduction into one task and a wide fan-out are handled", () => {
    const n = 100_000;
    const g: Graph = new Map();
    const leaves: Key[] = [];
    for (let i = 0; i < n; i++) {
      g.set(`l${i}`, leaf());
      leaves.push(`l${i}`);
    }
    g.set("all", task(...leaves));
    for (let i = 0; i < n; i++) g.set(`use${i}`, task("all"));
    const run = simulate(g, order(g));
    expect(run.sequence[n]).toBe("all");
  });
});
