import {
  BlockwiseLayer,
  HighLevelGraph,
  MaterializedLayer,
  blockIndices,
  blockInput,
  blockwise,
  builtin,
  call,
  fuseBlockwise,
  lit,
  makeKey,
  perBlock,
  ref,
  taskDependencies,
  type Graph,
  type Key,
  type Layer,
  type TaskNode,
} from "@tessera/engine/internal";

// A tiny evaluator for checking what graphs compute; the schedulers have their own.
type Fn = (...args: never[]) => unknown;
const fns: Record<string, Fn> = {
  add: (a: number, b: number) => a + b,
  mul: (a: number, b: number) => a * b,
  inc: (a: number) => a + 1,
  neg: (a: number) => -a,
  range: (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i),
  sumList: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
  sum: (...xs: number[]) => xs.reduce((a, b) => a + b, 0),
};

function evaluate(graph: Graph, keys: Key[]): unknown[] {
  const cache = new Map<Key, unknown>();
  const get = (key: Key): unknown => {
    if (cache.has(key)) return cache.get(key);
    const task = graph.get(key);
    if (task === undefined) throw new Error(`missing key ${key}`);
    const value = node(task);
    cache.set(key, value);
    return value;
  };
  const node = (n: TaskNode): unknown => {
    switch (n.t) {
      case "ref":
        return get(n.key);
      case "lit":
        return n.value;
      case "list":
        return n.items.map(node);
      case "dict":
        return Object.fromEntries(n.keys.map((k, i) => [k, node(n.values[i]!)]));
      case "call": {
        const f = fns[n.fn.name] as ((...args: unknown[]) => unknown) | undefined;
        if (!f) throw new Error(`unknown function ${n.fn.name}`);
        return f(...n.args.map(node));
      }
    }
  };
  return keys.map(get);
}

const add = builtin("add");
const inc = builtin("inc");
const neg = builtin("neg");

/** A 1-d "collection" of n partitions, each a literal number. */
function source(name: string, values: number[]): HighLevelGraph {
  return HighLevelGraph.fromLayer(
    new BlockwiseLayer(name, [values.length], perBlock(([i]) => lit(values[i!]))),
  );
}

/** Apply a unary builtin to every partition. */
function mapBlocks(name: string, fn: string, input: HighLevelGraph, inputName: string, n: number): HighLevelGraph {
  return HighLevelGraph.fromLayer(blockwise(name, [n], builtin(fn), blockInput(inputName)), [input]);
}

describe("BlockwiseLayer", () => {
  test("materializes one task per block with keys from makeKey", () => {
    const layer = blockwise("inc-1", [3], inc, blockInput("x"));
    expect(layer.outputKeys()).toEqual(["inc-1[0]", "inc-1[1]", "inc-1[2]"]);
    expect(layer.taskCount).toBe(3);
    expect(layer.materialize().get("inc-1[2]")).toEqual(call(inc, ref("x[2]")));
    expect([...layer.inputKeys()].sort()).toEqual(["x[0]", "x[1]", "x[2]"]);
  });

  test("n-d grids read transposed and broadcast blocks", () => {
    expect(blockIndices([2, 3])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    // x + x.T over a 2×2 grid: block [i,j] reads x[i,j] and x[j,i].
    const xt = blockwise("add-xt", [2, 2], add, blockInput("x"), blockInput("x", [1, 0]));
    expect(xt.materialize().get("add-xt[0,1]")).toEqual(call(add, ref("x[0,1]"), ref("x[1,0]")));
    // A row vector with one block along axis 0 broadcast over a 2×3 grid, plus a constant.
    const bc = blockwise("add-row", [2, 3], add, blockInput("row", [{ fixed: 0 }, 1]), lit(10));
    expect(bc.materialize().get("add-row[1,2]")).toEqual(call(add, ref("row[0,2]"), lit(10)));
  });

  test("cull keeps only requested blocks", () => {
    const layer = blockwise("inc-1", [4], inc, blockInput("x"));
    const culled = layer.cull(new Set(["inc-1[1]", "inc-1[3]"]));
    expect(culled.outputKeys()).toEqual(["inc-1[1]", "inc-1[3]"]);
    expect([...culled.inputKeys()]).toEqual(["x[1]", "x[3]"]);
  });
});

describe("MaterializedLayer", () => {
  test("cull follows dependencies inside the layer", () => {
    const g: Graph = new Map([
      ["s-1", call(add, ref("x[0]"), ref("x[1]"))],
      ["s-2", call(add, ref("x[2]"), ref("x[3]"))],
      ["total", call(add, ref("s-1"), ref("s-2"))],
      ["other", call(inc, ref("x[0]"))],
    ]);
    const layer = new MaterializedLayer("total", g);
    const culled = layer.cull(new Set(["total"]));
    expect(culled.outputKeys()).toEqual(["s-1", "s-2", "total"]);
  });
});

describe("HighLevelGraph", () => {
  test("fromLayer records dependencies on the input graphs' output layers", () => {
    const x = source("x", [1, 2, 3]);
    const y = mapBlocks("y", "inc", x, "x", 3);
    const z = HighLevelGraph.fromLayer(blockwise("z", [3], add, blockInput("x"), blockInput("y")), [x, y]);
    expect([...z.layers.keys()].sort()).toEqual(["x", "y", "z"]);
    expect([...z.dependencies.get("z")!].sort()).toEqual(["x", "y"]);
    expect([...z.dependencies.get("y")!]).toEqual(["x"]);
    expect(z.outputLayers()).toEqual(["z"]);
    expect(z.layerOrder().indexOf("x")).toBeLessThan(z.layerOrder().indexOf("y"));
    expect(z.size).toBe(9);
    expect(evaluate(z.toGraph(), ["z[0]", "z[1]", "z[2]"])).toEqual([3, 5, 7]);
  });

  test("merge unions layers", () => {
    const a = source("a", [1]);
    const b = source("b", [2, 3]);
    const m = HighLevelGraph.merge(a, b);
    expect([...m.layers.keys()].sort()).toEqual(["a", "b"]);
    expect(m.size).toBe(3);
  });

  test("size does not materialize blockwise layers", () => {
    let materialized = 0;
    class CountingLayer extends BlockwiseLayer {
      override materialize(): Graph {
        materialized++;
        return super.materialize();
      }
    }
    const big = HighLevelGraph.fromLayer(new CountingLayer("big", [1000, 1000], lit(0)));
    expect(big.size).toBe(1_000_000);
    expect(materialized).toBe(0);
  });

  test("cull keeps only the layers and blocks the keys need", () => {
    const x = source("x", [1, 2, 3, 4]);
    const y = mapBlocks("y", "inc", x, "x", 4);
    const unrelated = source("u", [9, 9]);
    const z = HighLevelGraph.fromLayer(blockwise("z", [4], neg, blockInput("y")), [y]);
    const all = HighLevelGraph.merge(z, unrelated);
    const culled = all.cull(["z[2]"]);
    expect([...culled.layers.keys()].sort()).toEqual(["x", "y", "z"]);
    expect(culled.size).toBe(3);
    expect([...culled.toGraph().keys()].sort()).toEqual(["x[2]", "y[2]", "z[2]"]);
    expect(evaluate(culled.toGraph(), ["z[2]"])).toEqual([-4]);
    expect(() => all.cull(["nope"])).toThrow(/nope/);
  });

  test("cull follows transposed reads across layers", () => {
    const x = HighLevelGraph.fromLayer(
      new BlockwiseLayer("x", [2, 2], perBlock(([i, j]) => lit(10 * i! + j!))),
    );
    const s = HighLevelGraph.fromLayer(blockwise("s", [2, 2], add, blockInput("x"), blockInput("x", [1, 0])), [x]);
    const culled = s.cull(["s[0,1]"]);
    expect([...culled.toGraph().keys()].sort()).toEqual(["s[0,1]", "x[0,1]", "x[1,0]"]);
    expect(evaluate(culled.toGraph(), ["s[0,1]"])).toEqual([11]);
  });

  test("cull works for layers that only implement the required methods", () => {
    // A minimal Layer: no cull, no inputKeys; the graph must keep it whole and find its inputs.
    const custom: Layer = {
      name: "custom",
      outputKeys: () => ["c-a", "c-b"],
      materialize: () =>
        new Map<Key, TaskNode>([
          ["c-a", call(inc, ref("x[0]"))],
          ["c-b", call(inc, ref("x[1]"))],
        ]),
    };
    const x = source("x", [1, 2, 3]);
    const g = HighLevelGraph.fromLayer(custom, [x]);
    const culled = g.cull(["c-a"]);
    expect([...culled.toGraph().keys()].sort()).toEqual(["c-a", "c-b", "x[0]", "x[1]"]);
  });
});

describe("fuseBlockwise", () => {
  const chain = () => {
    const x = source("x", [1, 2, 3, 4]);
    const a = mapBlocks("a", "inc", x, "x", 4);
    const b = mapBlocks("b", "neg", a, "a", 4);
    return mapBlocks("c", "inc", b, "b", 4);
  };

  test("a chain of blockwise layers becomes one layer with one task per block", () => {
    const c = chain();
    const fused = fuseBlockwise(c, new Set(["c"]));
    expect([...fused.layers.keys()]).toEqual(["c"]);
    const g = fused.toGraph();
    expect([...g.keys()]).toEqual(["c[0]", "c[1]", "c[2]", "c[3]"]);
    expect(g.get("c[0]")).toEqual(call(inc, call(neg, call(inc, lit(1)))));
    expect(g.get("c[0]")!.t).toBe("call");
    const keys = ["c[0]", "c[1]", "c[2]", "c[3]"];
    expect(evaluate(g, keys)).toEqual(evaluate(c.toGraph(), keys));
    expect(fused.dependencies.get("c")!.size).toBe(0);
  });

  test("kept layers are not fused away", () => {
    const fused = fuseBlockwise(chain(), new Set(["c", "a"]));
    expect([...fused.layers.keys()].sort()).toEqual(["a", "c"]);
    expect(fused.toGraph().get("c[1]")).toEqual(call(inc, call(neg, ref("a[1]"))));
    expect([...fused.dependencies.get("c")!]).toEqual(["a"]);
  });

  test("a layer read by two layers is not fused", () => {
    const x = source("x", [1, 2]);
    const a = mapBlocks("a", "inc", x, "x", 2);
    const b = mapBlocks("b", "neg", a, "a", 2);
    const c = mapBlocks("c", "inc", a, "a", 2);
    const d = HighLevelGraph.fromLayer(blockwise("d", [2], add, blockInput("b"), blockInput("c")), [b, c]);
    const fused = fuseBlockwise(d, new Set(["d"]));
    expect([...fused.layers.keys()].sort()).toEqual(["a", "d"]);
    const keys = ["d[0]", "d[1]"];
    expect(evaluate(fused.toGraph(), keys)).toEqual(evaluate(d.toGraph(), keys));
    expect(evaluate(fused.toGraph(), keys)).toEqual([1, 1]);
  });

  test("transposed or repeated reads are not fused (they would repeat work)", () => {
    const x = HighLevelGraph.fromLayer(new BlockwiseLayer("x", [2, 2], perBlock(([i, j]) => lit(10 * i! + j!))));
    const y = HighLevelGraph.fromLayer(blockwise("y", [2, 2], inc, blockInput("x")), [x]);
    const t = HighLevelGraph.fromLayer(blockwise("t", [2, 2], add, blockInput("y"), blockInput("y", [1, 0])), [y]);
    const fusedT = fuseBlockwise(t, new Set(["t"]));
    expect(fusedT.layers.has("y")).toBe(true);
    // y itself absorbed x (same grid, identity read).
    expect(fusedT.layers.has("x")).toBe(false);
    const keysT = blockIndices([2, 2]).map((i) => makeKey("t", ...i));
    expect(evaluate(fusedT.toGraph(), keysT)).toEqual(evaluate(t.toGraph(), keysT));

    const twice = HighLevelGraph.fromLayer(blockwise("tw", [2, 2], add, blockInput("y"), blockInput("y")), [y]);
    expect(fuseBlockwise(twice, new Set(["tw"])).layers.has("y")).toBe(true);
  });

  test("different grids are not fused", () => {
    const x = source("x", [1, 2, 3]);
    const one = HighLevelGraph.fromLayer(blockwise("one", [1], inc, blockInput("x", [{ fixed: 2 }])), [x]);
    expect(fuseBlockwise(one, new Set(["one"])).layers.has("x")).toBe(true);
  });

  test("fusion after culling keeps only the culled blocks", () => {
    const c = chain().cull(["c[3]"]);
    const fused = fuseBlockwise(c, new Set(["c"]));
    const g = fused.toGraph();
    expect([...g.keys()]).toEqual(["c[3]"]);
    expect(evaluate(g, ["c[3]"])).toEqual([-4]);
    expect(taskDependencies(g.get("c[3]")!)).toEqual([]);
  });
});
