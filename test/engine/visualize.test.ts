import {
  builtin,
  call,
  dotNodeName,
  graphToDot,
  lit,
  list,
  makeKey,
  ref,
  renderSvg,
  STATE_FILLS,
  visualizeGraph,
  type Graph,
  type Key,
} from "@tessera/engine/internal";

/** A DOT quoted string, read the way Graphviz's lexer does (only `\"` is an escape). */
const QUOTED = String.raw`"(?:[^"\\]|\\"|\\(?!"))*"`;
const NODE_LINE = new RegExp(`^\\s*(${QUOTED})\\s*\\[(.*)\\];$`);
const EDGE_LINE = new RegExp(`^\\s*(${QUOTED})\\s*->\\s*(${QUOTED})\\s*;$`);
const ATTR = new RegExp(`(\\w+)=(${QUOTED}|[^,\\s\\]]+)`, "g");

interface ParsedDot {
  nodes: Map<string, Record<string, string>>;
  edges: [string, string][];
  graphAttrs: string;
}

const unquote = (s: string): string => (s.startsWith('"') ? s.slice(1, -1).replace(/\\"/g, '"') : s);

/** Node declarations and edges of the DOT text `graphToDot` writes (one statement per line). */
function parseDot(dot: string): ParsedDot {
  const nodes = new Map<string, Record<string, string>>();
  const edges: [string, string][] = [];
  let graphAttrs = "";
  for (const line of dot.split("\n")) {
    const edge = EDGE_LINE.exec(line);
    if (edge) {
      edges.push([unquote(edge[1]!), unquote(edge[2]!)]);
      continue;
    }
    const node = NODE_LINE.exec(line);
    if (node) {
      const attrs: Record<string, string> = {};
      for (const m of node[2]!.matchAll(ATTR)) attrs[m[1]!] = unquote(m[2]!);
      nodes.set(unquote(node[1]!), attrs);
      continue;
    }
    const g = /^\s*graph \[(.*)\];$/.exec(line);
    if (g) graphAttrs = g[1]!;
  }
  return { nodes, edges, graphAttrs };
}

const id = (key: Key, kind: "data" | "task"): string => unquote(dotNodeName(key, kind));

// A diamond: one input, two branches, one join.
const X = "x-0123456789abcdef";
const INC = "inc-aaaaaaaaaaaa";
const DEC = "dec-bbbbbbbbbbbb";
const ADD = "add-cccccccccccc";
const diamond = (): Graph =>
  new Map([
    [X, lit(1)],
    [INC, call(builtin("inc"), ref(X))],
    [DEC, call(builtin("dec"), ref(X))],
    [ADD, call(builtin("add"), ref(INC), ref(DEC))],
  ]);

describe("graphToDot", () => {
  test("a diamond has a box per key, a circle per task and data → task → data edges", () => {
    const { nodes, edges } = parseDot(graphToDot(diamond()));
    const boxes = [...nodes.values()].filter((a) => a.shape === "box");
    const circles = [...nodes.values()].filter((a) => a.shape === "circle");
    expect(boxes).toHaveLength(4);
    expect(circles).toHaveLength(3); // the literal input is data only
    expect(nodes.get(id(X, "data"))!.label).toBe("x");
    expect(nodes.get(id(ADD, "data"))!.label).toBe("add");
    expect(nodes.get(id(ADD, "task"))!.label).toBe("add");
    expect(nodes.get(id(INC, "task"))!.label).toBe("inc");
    expect(nodes.get(id(X, "data"))!.tooltip).toBe(X);

    expect(edges).toHaveLength(7);
    expect(new Set(edges.map((e) => e.join(" -> ")))).toEqual(
      new Set([
        [id(X, "data"), id(INC, "task")],
        [id(INC, "task"), id(INC, "data")],
        [id(X, "data"), id(DEC, "task")],
        [id(DEC, "task"), id(DEC, "data")],
        [id(INC, "data"), id(ADD, "task")],
        [id(DEC, "data"), id(ADD, "task")],
        [id(ADD, "task"), id(ADD, "data")],
      ].map((e) => e.join(" -> "))),
    );
    // Every edge end is a declared node.
    for (const [a, b] of edges) {
      expect(nodes.has(a)).toBe(true);
      expect(nodes.has(b)).toBe(true);
    }
  });

  test("output does not depend on the graph's insertion order", () => {
    const reversed = new Map([...diamond()].reverse());
    expect(graphToDot(reversed)).toBe(graphToDot(diamond()));
  });

  test("chunk keys are labelled with their index; dependencies outside the graph get a box", () => {
    const a = makeKey("sum-9c1d0000aaaa", 0, 1);
    const outside = makeKey("ones-77777777ffff", 0);
    const alias = "result";
    const g: Graph = new Map([
      [a, call(builtin("sum"), ref(outside))],
      [alias, ref(a)],
    ]);
    const { nodes, edges } = parseDot(graphToDot(g));
    expect(nodes.get(id(a, "data"))!.label).toBe("sum [0,1]");
    expect(nodes.get(id(outside, "data"))!.label).toBe("ones [0]");
    // An alias is an edge between boxes, with no task circle of its own.
    expect(nodes.has(id(alias, "task"))).toBe(false);
    expect(edges).toContainEqual([id(a, "data"), id(alias, "data")]);
    expect(edges).toContainEqual([id(outside, "data"), id(a, "task")]);
  });

  test("fused call trees show the outer function and how many calls were fused", () => {
    const g: Graph = new Map([
      ["x", lit(1)],
      ["y", call(builtin("add"), call(builtin("inc"), call(builtin("double"), ref("x"))), lit(1))],
      ["z", list([ref("x"), ref("y")])],
    ]);
    const { nodes } = parseDot(graphToDot(g));
    expect(nodes.get(id("y", "task"))!.label).toBe("add\\n+2 fused");
    expect(nodes.get(id("y", "task"))!.tooltip).toBe("y = add ∘ inc ∘ double");
    expect(nodes.get(id("z", "task"))!.label).toBe("list");
  });

  test("keys with quotes, backslashes, brackets, commas, unicode and newlines get distinct safe names", () => {
    const awkward = ['a"b', "ends\\", 'q\\"', "x[1,2]", "λ-∑ 数据", "two\nlines", "a -> b; }", "%22"];
    const g: Graph = new Map(awkward.map((k) => [k, lit(0)] as [Key, ReturnType<typeof lit>]));
    g.set("sink", call(builtin("collect"), ...awkward.map((k) => ref(k))));
    const dot = graphToDot(g);
    const { nodes, edges } = parseDot(dot);
    expect(nodes.size).toBe(awkward.length + 2);
    expect(edges).toHaveLength(awkward.length + 1);
    for (const k of awkward) {
      const name = dotNodeName(k, "data");
      expect(name).toMatch(/^"[^"\\\n]*"$/); // nothing inside that DOT's lexer would interpret
      expect(nodes.has(unquote(name))).toBe(true);
    }
    expect(new Set(awkward.map((k) => dotNodeName(k, "data"))).size).toBe(awkward.length);
    // No raw newline from a key reaches the DOT text: every line is a complete statement.
    for (const line of dot.trim().split("\n").slice(3, -1)) expect(line).toMatch(/;$/);
  });

  test("rankdir defaults to BT and can be set; a title becomes the graph label", () => {
    expect(parseDot(graphToDot(diamond())).graphAttrs).toContain("rankdir=BT");
    const { graphAttrs } = parseDot(graphToDot(diamond(), { rankdir: "LR", title: 'my "graph"' }));
    expect(graphAttrs).toContain("rankdir=LR");
    expect(graphAttrs).toContain('label="my &quot;graph&quot;"');
    expect(() => graphToDot(diamond(), { rankdir: "up" as never })).toThrow(/rankdir must be/);
  });

  test('color "order" fills early tasks red and late ones blue', () => {
    const priorities = new Map<Key, number>([[X, 0], [INC, 1], [DEC, 2], [ADD, 3]]);
    const { nodes } = parseDot(graphToDot(diamond(), { color: "order", priorities }));
    const rgb = (hex: string): number[] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const first = nodes.get(id(X, "data"))!;
    const last = nodes.get(id(ADD, "task"))!;
    expect(first.style).toBe("filled");
    expect(first.fillcolor).not.toBe(last.fillcolor);
    const [r0, , b0] = rgb(first.fillcolor!);
    const [r1, , b1] = rgb(last.fillcolor!);
    expect(r0!).toBeGreaterThan(b0!);
    expect(b1!).toBeGreaterThan(r1!);
    // A key's task circle and data box share its colour.
    expect(nodes.get(id(ADD, "data"))!.fillcolor).toBe(last.fillcolor);
    // Without color, nothing is filled.
    const plain = parseDot(graphToDot(diamond(), { priorities }));
    expect([...plain.nodes.values()].every((a) => a.fillcolor === undefined)).toBe(true);
  });

  test('color "order" without priorities colours by order(graph): the input first, the join last', () => {
    const g = diamond();
    const { nodes } = parseDot(graphToDot(g, { color: "order" }));
    // Any execution order runs the shared input before both branches and the join after them.
    expect(nodes.get(id(X, "data"))!.fillcolor).toBe("#67001f");
    expect(nodes.get(id(ADD, "data"))!.fillcolor).toBe("#053061");
  });

  test("states map to fills and win over the order colour", () => {
    const states = new Map([
      [X, "memory"],
      [INC, "processing"],
      [DEC, "erred"],
      [ADD, "waiting"],
    ] as const);
    const priorities = new Map<Key, number>([[X, 0], [INC, 1], [DEC, 2], [ADD, 3]]);
    const { nodes } = parseDot(graphToDot(diamond(), { states: new Map(states), color: "order", priorities }));
    for (const [key, state] of states) {
      expect(nodes.get(id(key, "data"))!.fillcolor).toBe(STATE_FILLS[state].fill);
      expect(nodes.get(id(key, "data"))!.fontcolor).toBe(STATE_FILLS[state].font);
    }
    expect(nodes.get(id(INC, "task"))!.fillcolor).toBe(STATE_FILLS.processing.fill);
    expect(new Set(Object.values(STATE_FILLS).map((f) => f.fill)).size).toBe(Object.keys(STATE_FILLS).length);
  });

  test("maxNodes refuses big graphs with advice", () => {
    const g: Graph = new Map([["c-0", lit(0)]]);
    for (let i = 1; i < 10; i++) g.set(`c-${i}`, call(builtin("inc"), ref(`c-${i - 1}`)));
    expect(() => graphToDot(g, { maxNodes: 18 })).toThrow(/19 nodes \(10 tasks\).*maxNodes=18.*optimize/);
    expect(() => graphToDot(g, { maxNodes: 19 })).not.toThrow();
  });
});

describe("renderSvg", () => {
  const svgNodeCount = (svg: string): number => svg.match(/<g id="node\d+" class="node">/g)?.length ?? 0;

  test("lays out a diamond as SVG with one node group per DOT node and its labels", async () => {
    const { dot, svg } = await visualizeGraph(diamond(), { title: "diamond" });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svgNodeCount(svg)).toBe(parseDot(dot).nodes.size);
    expect(svg.match(/<g id="edge\d+" class="edge">/g)).toHaveLength(7);
    for (const label of ["inc", "dec", "add", "x", "diamond"]) expect(svg).toContain(`>${label}</text>`);
    // The SVG title of a node is its DOT name, which is how a live view finds a key.
    expect(decodeXml(svg)).toContain(`<title>${id(ADD, "task")}</title>`);
  });

  test("awkward keys render with their text intact", async () => {
    const keys = ["ends\\", 'say "hi"', "x-λ[1,2]", "a&amp;b", "\\N"];
    const g: Graph = new Map(keys.map((k) => [k, lit(0)] as [Key, ReturnType<typeof lit>]));
    g.set("sink", call(builtin("f\\g"), ...keys.map((k) => ref(k))));
    const svg = await renderSvg(graphToDot(g));
    expect(svgNodeCount(svg)).toBe(keys.length + 2);
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decodeXml(m[1]!));
    expect(texts).toEqual(expect.arrayContaining(["ends\\", 'say "hi"', "x-λ [1,2]", "a&amp;b", "\\N", "f\\g"]));
    const tooltips = [...svg.matchAll(/xlink:title="([^"]*)"/g)].map((m) => decodeXml(m[1]!));
    expect(tooltips).toEqual(expect.arrayContaining(keys));
  });

  test("invalid DOT is reported as an error", async () => {
    await expect(renderSvg("digraph { a -> }")).rejects.toThrow(/Graphviz could not lay out/);
  });

  test("visualizeGraph refuses before drawing when maxNodes is exceeded", async () => {
    await expect(visualizeGraph(diamond(), { maxNodes: 3 })).rejects.toThrow(/maxNodes=3/);
  });
});

function decodeXml(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
