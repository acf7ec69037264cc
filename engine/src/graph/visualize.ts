/**
 * Drawing a task graph, Tessera's `visualize()`.
 *
 * The picture follows Dask's: every task is a circle named after its function, every
 * key's result is a box named after the key, and edges run data → task → data. The DOT
 * text is built here; Graphviz (compiled to WebAssembly, loaded once) lays it out as SVG.
 *
 * The DOT text is deterministic (keys sorted by code unit, not by locale) so the same
 * graph always gives the same picture and tests can compare text.
 */
import type { Graphviz } from "@hpcc-js/wasm-graphviz";
import { keyPrefix, taskDependencies, walkTask, type Graph, type Key, type TaskNode } from "./task.js";
import { order } from "./order.js";

/** Scheduler states a live view can colour. */
export type VisualizeState = "waiting" | "ready" | "processing" | "memory" | "erred" | "released";

export interface VisualizeOptions {
  /** Direction of data flow. Default "BT", like Dask: inputs at the bottom, results on top. */
  rankdir?: "TB" | "BT" | "LR" | "RL";
  /** "order" fills each key's nodes by execution priority, early (red) to late (blue). */
  color?: "order" | "none";
  /** Priorities for `color: "order"`; computed with `order(graph)` when absent. */
  priorities?: Map<Key, number>;
  /** Current state of keys; a state's fill wins over the order colour. */
  states?: Map<Key, VisualizeState>;
  /** Refuse to draw more nodes (tasks + data boxes) than this. Default 5000. */
  maxNodes?: number;
  /** Caption drawn above the graph. */
  title?: string;
}

/** Above a few thousand nodes Graphviz takes minutes and the picture is unreadable anyway. */
export const DEFAULT_MAX_NODES = 5000;

/**
 * Fills for scheduler states, in the spirit of Dask's dashboard graph (waiting grey,
 * processing green, memory red, erred black, released blue), softened so labels stay legible.
 */
export const STATE_FILLS: Readonly<Record<VisualizeState, { fill: string; font: string }>> = {
  waiting: { fill: "#d9d9d9", font: "black" },
  ready: { fill: "#fee391", font: "black" },
  processing: { fill: "#74c476", font: "black" },
  memory: { fill: "#ef3b2c", font: "white" },
  erred: { fill: "#252525", font: "white" },
  released: { fill: "#6baed6", font: "black" },
};

/** ColorBrewer's 11-step RdBu ramp, the map Dask uses for `color="order"`: red first, blue last. */
const ORDER_RAMP = [
  "#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7",
  "#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061",
];

/** Fill colour for a position in execution order, `fraction` in [0, 1] (0 = runs first). */
export function orderFill(fraction: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const x = f * (ORDER_RAMP.length - 1);
  const i = Math.min(ORDER_RAMP.length - 2, Math.floor(x));
  const a = parseHex(ORDER_RAMP[i]!);
  const b = parseHex(ORDER_RAMP[i + 1]!);
  const t = x - i;
  return toHex(a.map((c, j) => Math.round(c + (b[j]! - c) * t)));
}

/**
 * The DOT name of a key's data box or task circle. Names are quoted, and the only characters
 * DOT's lexer treats specially inside quotes (`"` and `\`), plus `%` and control characters,
 * are percent-encoded, so every key gives a distinct, safe name that reads like the key itself
 * (it is the `<title>` of the node in the SVG, which is how a live view finds a key's node).
 */
export function dotNodeName(key: Key, kind: "data" | "task"): string {
  return `"${kind}:${encodeKeyForId(key)}"`;
}

/** The DOT description of a task graph. Throws if it would draw more than `maxNodes` nodes. */
export function graphToDot(graph: Graph, opts: VisualizeOptions = {}): string {
  const rankdir = opts.rankdir ?? "BT";
  // Checked at run time too: notebook code is often untyped, and this goes into the DOT text raw.
  if (!["TB", "BT", "LR", "RL"].includes(rankdir)) {
    throw new Error(`visualize: rankdir must be "TB", "BT", "LR" or "RL", not ${JSON.stringify(rankdir)}`);
  }
  const maxNodes = opts.maxNodes ?? DEFAULT_MAX_NODES;

  const keys = sortKeys(graph.keys());
  const deps = new Map<Key, Key[]>();
  const dataKeys = new Set<Key>(keys);
  const taskKeys: Key[] = [];
  for (const key of keys) {
    const task = graph.get(key)!;
    deps.set(key, taskDependencies(task));
    // Dependencies outside the graph (already computed or persisted) still get a box.
    for (const d of deps.get(key)!) dataKeys.add(d);
    if (drawsTask(task)) taskKeys.push(key);
  }

  const nodeCount = dataKeys.size + taskKeys.length;
  if (nodeCount > maxNodes) {
    throw new Error(
      `visualize: the graph would draw ${nodeCount} nodes (${graph.size} tasks), more than ` +
        `maxNodes=${maxNodes}. Optimize it first (optimize culls and fuses tasks), ` +
        `visualize a smaller piece (fewer partitions or chunks), or raise maxNodes.`,
    );
  }

  const fills = nodeFills(graph, keys, opts);
  const lines: string[] = [];
  lines.push("digraph tessera {");
  const graphAttrs = [`rankdir=${rankdir}`];
  if (opts.title !== undefined) {
    graphAttrs.push(`label=${quoteLabel(opts.title)}`, "labelloc=t", "fontsize=18");
  }
  lines.push(`  graph [${graphAttrs.join(", ")}];`);
  lines.push(`  node [fontname="Helvetica", fontsize=12];`);

  for (const key of sortKeys(dataKeys)) {
    const attrs = [`label=${quoteLabel(dataLabel(key))}`, "shape=box", `tooltip=${quoteTooltip(key)}`];
    attrs.push(...fillAttrs(fills.get(key)));
    lines.push(`  ${dotNodeName(key, "data")} [${attrs.join(", ")}];`);
  }
  for (const key of taskKeys) {
    const { name, fused, chain } = taskLabel(graph.get(key)!);
    const label = fused > 0 ? `${quoteText(name)}\\n+${fused} fused` : quoteText(name);
    const tooltip = fused > 0 ? `${key} = ${chain.join(" ∘ ")}` : key;
    const attrs = [`label="${label}"`, "shape=circle", `tooltip=${quoteTooltip(tooltip)}`];
    attrs.push(...fillAttrs(fills.get(key)));
    lines.push(`  ${dotNodeName(key, "task")} [${attrs.join(", ")}];`);
  }

  for (const key of keys) {
    const task = graph.get(key)!;
    if (task.t === "ref") {
      // An alias: the key is another key's data under a new name.
      lines.push(`  ${dotNodeName(task.key, "data")} -> ${dotNodeName(key, "data")};`);
    } else if (drawsTask(task)) {
      const taskName = dotNodeName(key, "task");
      for (const d of deps.get(key)!) lines.push(`  ${dotNodeName(d, "data")} -> ${taskName};`);
      lines.push(`  ${taskName} -> ${dotNodeName(key, "data")};`);
    }
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

let graphviz: Promise<Graphviz> | undefined;

/**
 * Graphviz's WebAssembly (embedded in the package, so no network) is compiled once per process.
 * The package is imported on first use: it is 800 kB of JavaScript that worker threads, which
 * load the engine but never draw, should not pay for.
 */
function loadGraphviz(): Promise<Graphviz> {
  if (!graphviz) {
    graphviz = import("@hpcc-js/wasm-graphviz").then(({ Graphviz }) => Graphviz.load()).catch((err: unknown) => {
      graphviz = undefined; // let a later call try again
      throw err;
    });
  }
  return graphviz;
}

/**
 * Lay out DOT text as SVG with Graphviz's `dot` engine. The XML prolog and doctype are
 * dropped so the result, starting at `<svg`, can be placed straight into HTML.
 */
export async function renderSvg(dot: string): Promise<string> {
  const gv = await loadGraphviz();
  let svg: string;
  try {
    svg = gv.dot(dot, "svg");
  } catch (err) {
    throw new Error(`visualize: Graphviz could not lay out the graph: ${(err as Error).message}`, { cause: err });
  }
  const start = svg.indexOf("<svg");
  if (start < 0) throw new Error("visualize: Graphviz produced no SVG");
  return svg.slice(start);
}

/** DOT text and its SVG rendering for a task graph. */
export async function visualizeGraph(
  graph: Graph,
  opts: VisualizeOptions = {},
): Promise<{ dot: string; svg: string }> {
  const dot = graphToDot(graph, opts);
  return { dot, svg: await renderSvg(dot) };
}

// ---------------------------------------------------------------------------------------------

/** Literals (scattered data) are only a box; aliases are an edge; everything else computes. */
function drawsTask(task: TaskNode): boolean {
  return task.t !== "lit" && task.t !== "ref";
}

/** `sum-9c1d…[0,1]` → `sum [0,1]`; long user keys are shortened (the tooltip has all of it). */
function dataLabel(key: Key): string {
  const bracket = key.indexOf("[");
  const index = bracket >= 0 ? key.slice(bracket) : "";
  const label = index ? `${keyPrefix(key)} ${index}` : keyPrefix(key);
  return label.length > 40 ? `${[...label].slice(0, 39).join("")}…` : label;
}

/**
 * A task's display name and how many calls were fused into it: fusion nests the upstream
 * calls inside the outer call's arguments, so the outer function names the circle.
 */
function taskLabel(task: TaskNode): { name: string; fused: number; chain: string[] } {
  const chain: string[] = [];
  walkTask(task, (node) => {
    if (node.t === "call") chain.push(node.fn.name);
  });
  if (task.t === "call") return { name: task.fn.name, fused: chain.length - 1, chain };
  // A bare list/dict that gathers other keys (or nested calls) is named after its shape.
  return { name: task.t, fused: chain.length, chain: [task.t, ...chain] };
}

interface Fill {
  fill: string;
  font: string;
}

function nodeFills(graph: Graph, keys: Key[], opts: VisualizeOptions): Map<Key, Fill> {
  const fills = new Map<Key, Fill>();
  if (opts.color === "order") {
    const priorities = opts.priorities ?? order(graph);
    const known = keys.filter((k) => priorities.has(k));
    let lo = Infinity;
    let hi = -Infinity;
    for (const k of known) {
      const p = priorities.get(k)!;
      if (p < lo) lo = p;
      if (p > hi) hi = p;
    }
    const span = hi - lo;
    for (const k of known) {
      const fill = orderFill(span > 0 ? (priorities.get(k)! - lo) / span : 0);
      fills.set(k, { fill, font: luminance(fill) < 0.35 ? "white" : "black" });
    }
  }
  if (opts.states) {
    for (const [k, state] of opts.states) {
      const fill = STATE_FILLS[state];
      if (fill) fills.set(k, fill);
    }
  }
  return fills;
}

function fillAttrs(fill: Fill | undefined): string[] {
  if (!fill) return [];
  return ["style=filled", `fillcolor="${fill.fill}"`, `fontcolor="${fill.font}"`];
}

/** Code-unit order: stable across machines, unlike `localeCompare`. */
function sortKeys(keys: Iterable<Key>): Key[] {
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function encodeKeyForId(key: Key): string {
  // eslint-disable-next-line no-control-regex
  return key.replace(/[%"\\\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

function quoteLabel(text: string): string {
  return `"${quoteText(text)}"`;
}

function quoteTooltip(text: string): string {
  return `"${quoteText(text, "tooltip")}"`;
}

/**
 * Text for a quoted label or tooltip, shown exactly as given. Graphviz decodes HTML entities
 * in these strings and then treats backslashes as escapes (`\n`, `\N` = node name, `\x` = x):
 * once for labels, twice for tooltips. So a backslash is written as entities that decode to two
 * (label) or four (tooltip) backslashes. Quotes and ampersands become entities too, which also
 * keeps a trailing backslash from escaping the closing quote.
 */
function quoteText(text: string, kind: "label" | "tooltip" = "label"): string {
  const backslash = kind === "label" ? "&#92;&#92;" : "&#92;&#92;&#92;&#92;";
  // eslint-disable-next-line no-control-regex
  return text.replace(/[&"\\\u0000-\u001f\u007f]/g, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case '"':
        return "&quot;";
      case "\\":
        return backslash;
      default:
        return " "; // control characters have no glyph in a label
    }
  });
}

function parseHex(hex: string): number[] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function toHex(rgb: number[]): string {
  return `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/** Relative luminance (sRGB, approximate) to choose a readable label colour. */
function luminance(hex: string): number {
  const [r, g, b] = parseHex(hex).map((c) => c / 255) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
