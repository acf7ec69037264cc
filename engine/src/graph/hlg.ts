/**
 * High-level graphs: one layer per collection operation, in the spirit of Dask's
 * `HighLevelGraph`.
 *
 * A DataFrame of 10 000 partitions that goes through five operations is five layers, not
 * 50 000 tasks. Layers expand to tasks only when asked (`materialize`), can shrink to what a
 * computation needs (`cull`) and, when they are blockwise, can be fused with their neighbours
 * before a single task exists.
 */
import {
  type FnRef,
  type Graph,
  type Key,
  type TaskNode,
  makeKey,
  taskDependencies,
} from "./task.js";

/** One operation of a collection, expanding to tasks on demand. */
export interface Layer {
  /** Unique within a graph, usually the collection's `name-token`. */
  readonly name: string;
  /** Keys this layer defines. */
  outputKeys(): Key[];
  /** This layer's low-level tasks; they may reference keys of other layers. */
  materialize(): Graph;
  /** A smaller layer defining only what `keys` (a subset of `outputKeys()`) need. */
  cull?(keys: Set<Key>): Layer;
  /** Keys of other layers this layer reads, when cheaper to find than by materializing. */
  inputKeys?(): Set<Key>;
  /** Number of tasks, when known without listing keys. */
  readonly taskCount?: number;
}

/** Keys outside `layer` that its tasks read. */
export function layerInputKeys(layer: Layer): Set<Key> {
  if (layer.inputKeys) return layer.inputKeys();
  const graph = layer.materialize();
  const inputs = new Set<Key>();
  for (const task of graph.values()) {
    for (const dep of taskDependencies(task)) if (!graph.has(dep)) inputs.add(dep);
  }
  return inputs;
}

// ---------------------------------------------------------------------------------------------
// Materialized layers

/** A layer that is already a low-level graph: scattered data, delayed calls, tree reductions. */
export class MaterializedLayer implements Layer {
  constructor(
    readonly name: string,
    readonly graph: Graph,
  ) {}

  get taskCount(): number {
    return this.graph.size;
  }

  outputKeys(): Key[] {
    return [...this.graph.keys()];
  }

  materialize(): Graph {
    return this.graph;
  }

  /** Keeps the requested keys and everything they read inside this layer (tree reductions). */
  cull(keys: Set<Key>): MaterializedLayer {
    const kept: Graph = new Map();
    const stack = [...keys].filter((k) => this.graph.has(k));
    while (stack.length > 0) {
      const key = stack.pop()!;
      if (kept.has(key)) continue;
      const task = this.graph.get(key)!;
      kept.set(key, task);
      for (const dep of taskDependencies(task)) if (this.graph.has(dep) && !kept.has(dep)) stack.push(dep);
    }
    if (kept.size === this.graph.size) return this;
    // Keep the layer's own key order: it is the order collections listed their tasks in.
    const ordered: Graph = new Map();
    for (const [key, task] of this.graph) if (kept.has(key)) ordered.set(key, task);
    return new MaterializedLayer(this.name, ordered);
  }
}

// ---------------------------------------------------------------------------------------------
// Blockwise layers

/**
 * How one dimension of an input's block index follows from the output block index:
 * a number `d` takes the output's index along dimension `d`; `{ fixed: k }` always reads
 * block `k` (broadcasting an input with a single block along that dimension).
 */
export type BlockAxis = number | { fixed: number };

/**
 * The task of every block of a blockwise layer, written once with placeholders:
 * a `TaskNode` tree that may also contain
 * - `block`: block of input collection `name` at the index given by `axes`
 *   (omitted: the same index as the output block), and
 * - `perBlock`: a node computed from the output block index (a file path, slice bounds).
 *   It must not reference blocks of blockwise inputs: use `block` for those, so fusion sees them.
 */
export type BlockTemplate =
  | { t: "ref"; key: Key }
  | { t: "lit"; value: unknown }
  | { t: "list"; items: BlockTemplate[] }
  | { t: "dict"; keys: string[]; values: BlockTemplate[] }
  | { t: "call"; fn: FnRef; args: BlockTemplate[] }
  | { t: "block"; name: string; axes?: BlockAxis[] }
  | { t: "perBlock"; make: (index: readonly number[]) => TaskNode };

/** Placeholder for a block of input collection `name`; `axes` maps the output index to its index. */
export const blockInput = (name: string, axes?: BlockAxis[]): BlockTemplate =>
  axes === undefined ? { t: "block", name } : { t: "block", name, axes };

/** Placeholder computed from the output block index. */
export const perBlock = (make: (index: readonly number[]) => TaskNode): BlockTemplate => ({ t: "perBlock", make });

/** Every index of a grid of `shape` blocks, row-major (`[0,0], [0,1], …`). */
export function blockIndices(shape: readonly number[]): number[][] {
  const total = shape.reduce((a, b) => a * b, 1);
  const out: number[][] = new Array(total);
  const index = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < total; n++) {
    out[n] = index.slice();
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

function inputIndex(out: readonly number[], axes: BlockAxis[] | undefined): number[] {
  if (axes === undefined) return out.slice();
  return axes.map((a) => (typeof a === "number" ? out[a]! : a.fixed));
}

/** Instantiate a template for one output block. */
function instantiate(template: BlockTemplate, index: readonly number[]): TaskNode {
  switch (template.t) {
    case "ref":
    case "lit":
      return template;
    case "list":
      return { t: "list", items: template.items.map((n) => instantiate(n, index)) };
    case "dict":
      return { t: "dict", keys: template.keys, values: template.values.map((n) => instantiate(n, index)) };
    case "call":
      return { t: "call", fn: template.fn, args: template.args.map((n) => instantiate(n, index)) };
    case "block":
      return { t: "ref", key: makeKey(template.name, ...inputIndex(index, template.axes)) };
    case "perBlock":
      return template.make(index);
  }
}

/** Visit every node of a template. */
function walkTemplate(template: BlockTemplate, visit: (node: BlockTemplate) => void): void {
  visit(template);
  switch (template.t) {
    case "list":
      template.items.forEach((n) => walkTemplate(n, visit));
      return;
    case "dict":
      template.values.forEach((n) => walkTemplate(n, visit));
      return;
    case "call":
      template.args.forEach((n) => walkTemplate(n, visit));
      return;
    default:
      return;
  }
}

/** Replace the `block` placeholders of input `name` by `replacement`. */
function substituteBlock(template: BlockTemplate, name: string, replacement: BlockTemplate): BlockTemplate {
  switch (template.t) {
    case "list":
      return { t: "list", items: template.items.map((n) => substituteBlock(n, name, replacement)) };
    case "dict":
      return { t: "dict", keys: template.keys, values: template.values.map((n) => substituteBlock(n, name, replacement)) };
    case "call":
      return { t: "call", fn: template.fn, args: template.args.map((n) => substituteBlock(n, name, replacement)) };
    case "block":
      return template.name === name ? replacement : template;
    default:
      return template;
  }
}

/**
 * A layer that applies the same task to every block of a grid: output block `index` is the
 * template instantiated at `index`. DataFrames use 1-d grids (`[nPartitions]`), arrays n-d
 * grids of chunks; keys are `makeKey(name, ...index)`.
 *
 * @example x + x.T over a 2×2 grid of chunks
 *   new BlockwiseLayer("add-…", [2, 2],
 *     call(builtin("add"), blockInput(x), blockInput(x, [1, 0])))
 */
export class BlockwiseLayer implements Layer {
  /**
   * @param name    layer and key name
   * @param shape   number of blocks along each dimension
   * @param template the task of one block, with placeholders
   * @param blocks  after culling, the only block indices this layer defines
   */
  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    readonly template: BlockTemplate,
    readonly blocks?: readonly (readonly number[])[],
  ) {}

  /** The common case: `fn` applied to `args`, each a constant node or a placeholder. */
  static map(name: string, shape: readonly number[], fn: FnRef, ...args: BlockTemplate[]): BlockwiseLayer {
    return new BlockwiseLayer(name, shape, { t: "call", fn, args });
  }

  get taskCount(): number {
    return this.blocks ? this.blocks.length : this.shape.reduce((a, b) => a * b, 1);
  }

  /** The block indices this layer defines. */
  indices(): readonly (readonly number[])[] {
    return this.blocks ?? blockIndices(this.shape);
  }

  outputKeys(): Key[] {
    return this.indices().map((i) => makeKey(this.name, ...i));
  }

  /** The task of one block. */
  blockTask(index: readonly number[]): TaskNode {
    return instantiate(this.template, index);
  }

  materialize(): Graph {
    const graph: Graph = new Map();
    for (const index of this.indices()) graph.set(makeKey(this.name, ...index), this.blockTask(index));
    return graph;
  }

  cull(keys: Set<Key>): BlockwiseLayer {
    const kept = this.indices().filter((i) => keys.has(makeKey(this.name, ...i)));
    if (kept.length === this.taskCount) return this;
    return new BlockwiseLayer(this.name, this.shape, this.template, kept);
  }

  inputKeys(): Set<Key> {
    const inputs = new Set<Key>();
    const blockRefs: { name: string; axes?: BlockAxis[] }[] = [];
    const perBlocks: ((index: readonly number[]) => TaskNode)[] = [];
    walkTemplate(this.template, (node) => {
      if (node.t === "ref") inputs.add(node.key);
      else if (node.t === "block") blockRefs.push(node);
      else if (node.t === "perBlock") perBlocks.push(node.make);
    });
    for (const index of this.indices()) {
      for (const b of blockRefs) inputs.add(makeKey(b.name, ...inputIndex(index, b.axes)));
      for (const make of perBlocks) for (const dep of taskDependencies(make(index))) inputs.add(dep);
    }
    return inputs;
  }

  /** Names of the collections this layer reads through `block` placeholders. */
  blockInputNames(): Set<string> {
    const names = new Set<string>();
    walkTemplate(this.template, (node) => {
      if (node.t === "block") names.add(node.name);
    });
    return names;
  }
}

/** `fn` mapped over blocks: shorthand for `BlockwiseLayer.map`. */
export function blockwise(name: string, shape: readonly number[], fn: FnRef, ...args: BlockTemplate[]): BlockwiseLayer {
  return BlockwiseLayer.map(name, shape, fn, ...args);
}

// ---------------------------------------------------------------------------------------------
// The high-level graph

/** Layers and which layers each one reads. Immutable: operations return new graphs. */
export class HighLevelGraph {
  constructor(
    readonly layers: Map<string, Layer>,
    readonly dependencies: Map<string, Set<string>>,
  ) {}

  /**
   * A graph of `layer` on top of the graphs of its inputs; the layer depends on the
   * output layers (those nothing else reads) of each input graph.
   */
  static fromLayer(layer: Layer, dependencies: HighLevelGraph[] = []): HighLevelGraph {
    const merged = HighLevelGraph.merge(...dependencies);
    const deps = new Set<string>();
    for (const g of dependencies) for (const name of g.outputLayers()) deps.add(name);
    deps.delete(layer.name);
    merged.layers.set(layer.name, layer);
    merged.dependencies.set(layer.name, deps);
    return merged;
  }

  /** Union of graphs (layers of the same name are the same operation: names hold tokens). */
  static merge(...graphs: HighLevelGraph[]): HighLevelGraph {
    const layers = new Map<string, Layer>();
    const dependencies = new Map<string, Set<string>>();
    for (const g of graphs) {
      for (const [name, layer] of g.layers) layers.set(name, layer);
      for (const [name, deps] of g.dependencies) {
        const set = dependencies.get(name) ?? new Set<string>();
        for (const d of deps) set.add(d);
        dependencies.set(name, set);
      }
    }
    for (const name of layers.keys()) if (!dependencies.has(name)) dependencies.set(name, new Set());
    return new HighLevelGraph(layers, dependencies);
  }

  /** Layers no other layer of this graph depends on. */
  outputLayers(): string[] {
    const used = new Set<string>();
    for (const deps of this.dependencies.values()) for (const d of deps) used.add(d);
    return [...this.layers.keys()].filter((name) => !used.has(name));
  }

  /** Number of tasks, counted without materializing where layers know their size. */
  get size(): number {
    let n = 0;
    for (const layer of this.layers.values()) n += layer.taskCount ?? layer.outputKeys().length;
    return n;
  }

  /** The layer that defines each key. */
  keyOwners(): Map<Key, string> {
    const owners = new Map<Key, string>();
    for (const [name, layer] of this.layers) for (const key of layer.outputKeys()) owners.set(key, name);
    return owners;
  }

  /** Layer names, every layer after the layers it depends on. */
  layerOrder(): string[] {
    const order: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    for (const start of this.layers.keys()) {
      if (state.has(start)) continue;
      // Iterative depth-first post-order: layer chains can be long.
      const stack: [string, Iterator<string>][] = [[start, this.layerDeps(start)]];
      state.set(start, "visiting");
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const next = top[1].next();
        if (next.done) {
          stack.pop();
          state.set(top[0], "done");
          order.push(top[0]);
          continue;
        }
        const dep = next.value;
        const s = state.get(dep);
        if (s === "visiting") throw new Error(`High-level graph has a cycle through layer ${dep}`);
        if (s === undefined) {
          state.set(dep, "visiting");
          stack.push([dep, this.layerDeps(dep)]);
        }
      }
    }
    return order;
  }

  private layerDeps(name: string): Iterator<string> {
    const deps = [...(this.dependencies.get(name) ?? [])].filter((d) => this.layers.has(d));
    return deps[Symbol.iterator]();
  }

  /** Every layer's tasks in one low-level graph. */
  toGraph(): Graph {
    const graph: Graph = new Map();
    for (const layer of this.layers.values()) for (const [key, task] of layer.materialize()) graph.set(key, task);
    return graph;
  }

  /**
   * Only the layers, and within them only the keys, that `keys` need. Layers without a
   * `cull` method are kept whole when any of their keys is needed.
   */
  cull(keys: Key[]): HighLevelGraph {
    const owners = this.keyOwners();
    const needed = new Map<string, Set<Key>>();
    const culled = new Map<string, Layer>();
    const pending = new Map<string, Set<Key>>();
    const request = (key: Key): void => {
      const owner = owners.get(key);
      if (owner === undefined || needed.get(owner)?.has(key)) return;
      let set = pending.get(owner);
      if (!set) pending.set(owner, (set = new Set()));
      set.add(key);
    };
    for (const key of keys) {
      if (!owners.has(key)) throw new Error(`Key ${key} is not in the graph`);
      request(key);
    }
    // Outputs first, so each layer is usually culled once with everything its dependents need.
    const inputsFirst = this.layerOrder();
    const order = [...inputsFirst].reverse();
    while (pending.size > 0) {
      for (const name of order) {
        const more = pending.get(name);
        if (!more) continue;
        pending.delete(name);
        const all = needed.get(name) ?? new Set<Key>();
        for (const k of more) all.add(k);
        needed.set(name, all);
        const layer = this.layers.get(name)!;
        const smaller = layer.cull ? layer.cull(all) : layer;
        culled.set(name, smaller);
        for (const input of layerInputKeys(smaller)) request(input);
      }
    }
    const layers = new Map<string, Layer>();
    const dependencies = new Map<string, Set<string>>();
    for (const name of inputsFirst) {
      const layer = culled.get(name);
      if (!layer) continue;
      layers.set(name, layer);
      dependencies.set(name, new Set([...(this.dependencies.get(name) ?? [])].filter((d) => culled.has(d))));
    }
    return new HighLevelGraph(layers, dependencies);
  }
}

// ---------------------------------------------------------------------------------------------
// Blockwise fusion

function isIdentity(axes: BlockAxis[] | undefined, ndim: number): boolean {
  return axes === undefined || (axes.length === ndim && axes.every((a, d) => a === d));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, d) => n === b[d]);
}

/**
 * Fuse chains of blockwise layers into single layers whose block tasks are nested `call`
 * trees (one task per block instead of one per layer per block).
 *
 * An inner layer is fused into the outer layer that reads it when both have the same block
 * grid, the outer reads it exactly once per block at the same index, nothing else reads it,
 * and its name is not in `keep` (layers whose keys were requested). The fused layer keeps the
 * outer layer's name and keys. Inputs read at another index (a transpose, a broadcast) or
 * several times are left alone: fusing them would compute the inner blocks more than once.
 */
export function fuseBlockwise(hlg: HighLevelGraph, keep: Set<string>): HighLevelGraph {
  const layers = new Map(hlg.layers);
  const dependencies = new Map<string, Set<string>>();
  for (const [name, deps] of hlg.dependencies) dependencies.set(name, new Set(deps));

  // Who reads each layer: declared dependencies plus the placeholders blockwise layers actually hold.
  const dependents = new Map<string, Set<string>>();
  const addDependent = (of: string, by: string): void => {
    let set = dependents.get(of);
    if (!set) dependents.set(of, (set = new Set()));
    set.add(by);
  };
  for (const [name, deps] of dependencies) for (const d of deps) addDependent(d, name);
  for (const [name, layer] of layers) {
    if (layer instanceof BlockwiseLayer) for (const d of layer.blockInputNames()) addDependent(d, name);
  }

  const fusibleInput = (outer: BlockwiseLayer): BlockwiseLayer | undefined => {
    const uses = new Map<string, { count: number; identity: boolean }>();
    const plainRefs: Key[] = [];
    walkTemplate(outer.template, (node) => {
      if (node.t === "block") {
        const u = uses.get(node.name) ?? { count: 0, identity: true };
        u.count++;
        u.identity &&= isIdentity(node.axes, outer.shape.length);
        uses.set(node.name, u);
      } else if (node.t === "ref") plainRefs.push(node.key);
    });
    for (const [name, use] of uses) {
      const inner = layers.get(name);
      if (!(inner instanceof BlockwiseLayer) || keep.has(name)) continue;
      if (use.count !== 1 || !use.identity || !sameShape(inner.shape, outer.shape)) continue;
      const readers = dependents.get(name);
      if (!readers || readers.size !== 1 || !readers.has(outer.name)) continue;
      if (plainRefs.some((k) => k === name || k.startsWith(`${name}[`))) continue;
      return inner;
    }
    return undefined;
  };

  for (const name of hlg.layerOrder()) {
    const layer = layers.get(name);
    if (!(layer instanceof BlockwiseLayer)) continue;
    let outer: BlockwiseLayer = layer;
    for (let inner = fusibleInput(outer); inner; inner = fusibleInput(outer)) {
      outer = new BlockwiseLayer(
        outer.name,
        outer.shape,
        substituteBlock(outer.template, inner.name, inner.template),
        outer.blocks,
      );
      layers.delete(inner.name);
      const innerDeps = dependencies.get(inner.name) ?? new Set<string>();
      dependencies.delete(inner.name);
      const outerDeps = dependencies.get(name) ?? new Set<string>();
      dependencies.set(name, outerDeps);
      outerDeps.delete(inner.name);
      for (const d of innerDeps) {
        outerDeps.add(d);
        const readers = dependents.get(d);
        readers?.delete(inner.name);
        addDependent(d, name);
      }
      dependents.delete(inner.name);
    }
    layers.set(name, outer);
  }
  return new HighLevelGraph(layers, dependencies);
}
