import {
  BlockwiseLayer,
  HighLevelGraph,
  MaterializedLayer,
  blockInput,
  blockwise,
  builtin,
  call,
  cull,
  fuseLinear,
  inline,
  list,
  lit,
  optimize,
  optimizeHighLevel,
  perBlock,
  ref,
  taskDependencies,
  toposort,
  type Graph,
  type Key,
  type TaskNode,
} from "@tessera/engine/internal";

/** A call fused into its reader, carrying its original key. */
const step = (key: string, node: TaskNode): TaskNode => ({ ...node, key }) as TaskNode;

// A tiny evaluator for checking what graphs compute; the schedulers have their own.
// It counts calls so tests can tell when work is repeated.
let calls = 0;
type Fn = (...args: never[]) => unknown;
const fns: Record<string, Fn> = {
  add: (a: number, b: number) => a + b,
  mul: (a: number, b: number) => a * b,
  inc: (a: number) => a + 1,
  neg: (a: number) => -a,
  getitem: (o: Record<string | number, unknown>, k: string | number) => o[k],
  pair: (a: unknown, b: unknown) => [a, b],
  sum: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
};

function evaluate(graph: Graph, keys: Key[]): unknown[] {
  const cache = new Map<Key, unknown>();
  // Iterative over keys (dependencies first) so long chains do not need deep recursion.
  const node = (n: TaskNode): unknown => {
    switch (n.t) {
      case "ref":
        if (!cache.has(n.key)) throw new Error(`missing key ${n.key}`);
        return cache.get(n.key);
      case "lit":
        return n.value;
      case "list":
        return n.items.map(node);
      case "dict":
        return Object.fromEntries(n.keys.map((k, i) => [k, node(n.values[i]!)]));
      case "call": {
        const f = fns[n.fn.name] as ((...args: unknown[]) => unknown) | undefined;
        if (!f) throw new Error(`unknown function ${n.fn.name}`);
        calls++;
        return f(...n.args.map(node));
      }
    }
  };
  for (const key of toposort(graph)) cache.set(key, node(graph.get(key)!));
  return keys.map((k) => cache.get(k));
}

const add = builtin("add");
const inc = builtin("inc");
const neg = builtin("neg");
const getitem = builtin("getitem");
const sum = builtin("sum");

/** A deterministic pseudo-random generator (LCG), so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A random DAG of arithmetic tasks with chains, fan-in, aliases, literals and getitems. */
function randomGraph(seed: number, n: number): Graph {
  const r = rng(seed);
  const g: Graph = new Map();
  const keys: Key[] = [];
  const pick = (): Key => keys[Math.floor(r() * keys.length)]!;
  for (let i = 0; i < n; i++) {
    const key = `k-${i}`;
    const kind = keys.length < 3 ? 0 : Math.floor(r() * 7);
    let task: TaskNode;
    switch (kind) {
      case 0:
        task = lit(Math.floor(r() * 10));
        break;
      case 1:
        task = ref(pick());
        break;
      case 2:
        task = call(add, ref(pick()), ref(pick()));
        break;
      case 3:
        task = call(getitem, call(builtin("pair"), ref(pick()), lit(2)), lit(0));
        break;
      case 4:
        task = call(getitem, list([ref(pick()), ref(pick())]), lit(1));
        break;
      default:
        // Mostly unary steps on the previous key, which make linear chains.
        task = call(r() < 0.5 ? inc : neg, ref(keys[keys.length - 1]!));
    }
    g.set(key, task);
    keys.push(key);
  }
  return g;
}

describe("cull", () => {
  test("keeps only what the keys need, in graph order", () => {
    const g: Graph = new Map([
      ["a", lit(1)],
      ["b", call(inc, ref("a"))],
      ["c", call(inc, ref("b"))],
      ["unused", call(inc, ref("a"))],
      ["d", call(add, ref("a"), ref("b"))],
    ]);
    expect([...cull(g, ["c"]).keys()]).toEqual(["a", "b", "c"]);
    expect([...cull(g, ["d", "c"]).keys()]).toEqual(["a", "b", "c", "d"]);
    expect(() => cull(g, ["zzz"])).toThrow(/zzz/);
  });
});

describe("inline", () => {
  test("inlines aliases, literals and cheap functions, but not requested keys", () => {
    const g: Graph = new Map([
      ["data", lit(5)],
      ["alias", ref("data")],
      ["alias2", ref("alias")],
      ["x", call(inc, ref("alias2"))],
      ["item", call(getitem, ref("x"), lit("length"))],
      ["y", call(add, ref("x"), ref("data"))],
    ]);
    const out = inline(g, ["y"], { fns: new Set(["getitem"]) });
    // "item" has no reader to go into; removing it is cull's job.
    expect([...out.keys()]).toEqual(["x", "item", "y"]);
    expect(out.get("x")).toEqual(call(inc, lit(5)));
    expect(out.get("y")).toEqual(call(add, ref("x"), lit(5)));

    const keepAlias = inline(g, ["alias", "y"]);
    expect(keepAlias.has("alias")).toBe(true);
    expect(keepAlias.get("x")).toEqual(call(inc, ref("alias")));
  });

  test("cheap functions are inlined into every reader", () => {
    const g: Graph = new Map([
      ["pairs", call(builtin("pair"), lit(10), lit(20))],
      ["first", call(getitem, ref("pairs"), lit(0))],
      ["a", call(inc, ref("first"))],
      ["b", call(neg, ref("first"))],
    ]);
    const out = inline(g, ["a", "b"], { fns: new Set(["getitem"]) });
    expect(out.has("first")).toBe(false);
    expect(out.get("a")).toEqual(call(inc, step("first", call(getitem, ref("pairs"), lit(0)))));
    expect(evaluate(out, ["a", "b"])).toEqual([11, -10]);
    // Without the name in `fns`, getitem stays a task.
    expect(inline(g, ["a", "b"]).has("first")).toBe(true);
  });

  test("large literals are not copied into several readers", () => {
    const big = new Float64Array(1000);
    const g: Graph = new Map([
      ["big", lit(big)],
      ["a", call(getitem, ref("big"), lit(0))],
      ["b", call(getitem, ref("big"), lit(1))],
      ["one", lit(big)],
      ["c", call(getitem, ref("one"), lit(2))],
    ]);
    const out = inline(g, ["a", "b", "c"]);
    expect(out.has("big")).toBe(true);
    // A literal with a single reader moves into it.
    expect(out.has("one")).toBe(false);
    expect(out.get("c")).toEqual(call(getitem, lit(big), lit(2)));

    // Nor through a cheap function that is itself inlined into several readers.
    const g2: Graph = new Map([
      ["pairs", lit([10, 20])],
      ["first", call(getitem, ref("pairs"), lit(0))],
      ["a", call(inc, ref("first"))],
      ["b", call(neg, ref("first"))],
    ]);
    const out2 = inline(g2, ["a", "b"], { fns: new Set(["getitem"]) });
    expect([...out2.keys()]).toEqual(["first", "a", "b"]);
    expect(out2.get("first")).toEqual(call(getitem, lit([10, 20]), lit(0)));
    expect(evaluate(out2, ["a", "b"])).toEqual([11, -10]);
  });
});

describe("fuseLinear", () => {
  test("fuses a chain into one task named after its last key", () => {
    const g: Graph = new Map([
      ["a", lit(1)],
      ["b", call(inc, ref("a"))],
      ["c", call(neg, ref("b"))],
      ["d", call(inc, ref("c"))],
    ]);
    const out = fuseLinear(g, ["d"]);
    expect([...out.keys()]).toEqual(["d"]);
    // Fused steps keep their own keys, so an error still names the step that threw.
    expect(out.get("d")).toEqual(call(inc, step("c", call(neg, step("b", call(inc, lit(1)))))));
    expect(evaluate(out, ["d"])).toEqual(evaluate(g, ["d"]));
  });

  test("never fuses away a requested key", () => {
    const g: Graph = new Map([
      ["a", lit(1)],
      ["b", call(inc, ref("a"))],
      ["c", call(neg, ref("b"))],
      ["d", call(inc, ref("c"))],
    ]);
    const out = fuseLinear(g, ["b", "d"]);
    expect([...out.keys()]).toEqual(["b", "d"]);
    expect(out.get("d")).toEqual(call(inc, step("c", call(neg, ref("b")))));
    expect(evaluate(out, ["b", "d"])).toEqual([2, -1]);
  });

  test("does not fuse across fan-out, fan-in or repeated reads", () => {
    const g: Graph = new Map([
      ["a", lit(1)],
      ["b", call(inc, ref("a"))],
      ["c1", call(inc, ref("b"))],
      ["c2", call(neg, ref("b"))],
      ["d", call(add, ref("c1"), ref("c2"))],
      ["e", call(add, ref("d"), ref("d"))],
    ]);
    const out = fuseLinear(g, ["e"]);
    // a→b fuses (b reads only a); b has two readers; d reads two keys; e reads d twice.
    expect([...out.keys()]).toEqual(["b", "c1", "c2", "d", "e"]);
    calls = 0;
    expect(evaluate(out, ["e"])).toEqual(evaluate(g, ["e"]));
  });

  test("long chains are cut to bound nesting depth", () => {
    const g: Graph = new Map([["k0", lit(0)]]);
    for (let i = 1; i < 1000; i++) g.set(`k${i}`, call(inc, ref(`k${i - 1}`)));
    const out = fuseLinear(g, ["k999"], { maxLength: 100 });
    expect(out.size).toBe(10);
    expect(out.has("k999")).toBe(true);
    expect(evaluate(out, ["k999"])).toEqual([999]);
  });
});

describe("optimize", () => {
  test("random graphs compute the same results, in fewer tasks, without repeating work", () => {
    let before = 0;
    let after = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const g = randomGraph(seed, 80);
      const keys = [...g.keys()].filter((_, i) => i % 17 === 16);
      calls = 0;
      const expected = evaluate(g, keys);
      const plainCalls = calls;
      const opt = optimize(g, keys, { inlineFns: new Set(["getitem", "pair"]) });
      calls = 0;
      expect(evaluate(opt, keys)).toEqual(expected);
      // Fusion never repeats work; only the cheap inlined functions may run more than once.
      const noCheap = optimize(g, keys, { inline: true });
      calls = 0;
      expect(evaluate(noCheap, keys)).toEqual(expected);
      expect(calls).toBeLessThanOrEqual(plainCalls);
      expect(opt.size).toBeLessThanOrEqual(cull(g, keys).size);
      for (const key of keys) expect(opt.has(key)).toBe(true);
      before += cull(g, keys).size;
      after += opt.size;
    }
    expect(after).toBeLessThan(before / 2);
  });

  test("each pass can be turned off", () => {
    const g: Graph = new Map([
      ["a", lit(1)],
      ["b", call(inc, ref("a"))],
      ["c", call(neg, ref("b"))],
      ["unused", lit(0)],
    ]);
    expect([...optimize(g, ["c"], { fuse: false, inline: false }).keys()]).toEqual(["a", "b", "c"]);
    expect([...optimize(g, ["c"], { fuse: false }).keys()]).toEqual(["b", "c"]);
    expect([...optimize(g, ["c"]).keys()]).toEqual(["c"]);
  });
});

describe("optimizeHighLevel", () => {
  /** read → inc → neg over 8 partitions, then a tree sum (a materialized layer). */
  function pipeline(): { hlg: HighLevelGraph; total: Key } {
    const n = 8;
    const read = HighLevelGraph.fromLayer(new BlockwiseLayer("read", [n], perBlock(([i]) => lit(i! * 10))));
    const a = HighLevelGraph.fromLayer(blockwise("a", [n], inc, blockInput("read")), [read]);
    const b = HighLevelGraph.fromLayer(blockwise("b", [n], neg, blockInput("a")), [a]);
    const tree: Graph = new Map();
    let level = Array.from({ length: n }, (_, i) => `b[${i}]`);
    let depth = 0;
    while (level.length > 1) {
      const next: Key[] = [];
      for (let i = 0; i < level.length; i += 2) {
        const key = `sum-${depth}-${i / 2}`;
        tree.set(key, call(sum, list([ref(level[i]!), ref(level[i + 1]!)])));
        next.push(key);
      }
      level = next;
      depth++;
    }
    const hlg = HighLevelGraph.fromLayer(new MaterializedLayer("sum", tree), [b]);
    return { hlg, total: level[0]! };
  }

  test("computes the same as the unoptimized graph, with blockwise chains fused", () => {
    const { hlg, total } = pipeline();
    const plain = hlg.toGraph();
    const opt = optimizeHighLevel(hlg, [total]);
    expect(evaluate(opt, [total])).toEqual(evaluate(plain, [total]));
    expect(evaluate(opt, [total])).toEqual([-(0 + 10 + 20 + 30 + 40 + 50 + 60 + 70 + 8)]);
    // 8 fused block tasks + 7 tree nodes, then the tree's linear steps are already minimal.
    expect(plain.size).toBe(8 * 3 + 7);
    expect(opt.size).toBe(8 + 7);
    for (const task of opt.values()) {
      for (const dep of taskDependencies(task)) expect(opt.has(dep)).toBe(true);
    }
  });

  test("requested intermediate keys survive and unrelated blocks are culled", () => {
    const { hlg } = pipeline();
    const opt = optimizeHighLevel(hlg, ["a[3]", "b[3]"]);
    expect([...opt.keys()].sort()).toEqual(["a[3]", "b[3]"]);
    expect(evaluate(opt, ["a[3]", "b[3]"])).toEqual([31, -31]);
  });
});
