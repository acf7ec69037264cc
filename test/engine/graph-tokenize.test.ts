import { execFileSync } from "node:child_process";
import { runInNewContext } from "node:vm";
import { tokenize } from "@tessera/engine/internal";

const HEX32 = /^[0-9a-f]{32}$/;

/** Values that must all tokenize differently from one another. */
const distinct: [string, unknown][] = [
  ["number 1", 1],
  ["string '1'", "1"],
  ["bigint 1n", 1n],
  ["true", true],
  ["0", 0],
  ["-0", -0],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["undefined", undefined],
  ["null", null],
  ["empty string", ""],
  ["empty array", []],
  ["empty object", {}],
  ["['a','b']", ["a", "b"]],
  ["['ab']", ["ab"]],
  ["[1,[2]]", [1, [2]]],
  ["[[1],2]", [[1], 2]],
  ["{a:1}", { a: 1 }],
  ["{a:'1'}", { a: "1" }],
  ["{b:1}", { b: 1 }],
  ["Map a→1", new Map([["a", 1]])],
  ["Set {a}", new Set(["a"])],
  ["Date 0", new Date(0)],
  ["Date 1", new Date(1)],
  ["Float64Array [1]", new Float64Array([1])],
  ["Int32Array [1]", new Int32Array([1])],
  ["Float64Array [2]", new Float64Array([2])],
  ["Float64Array [1,0]", new Float64Array([1, 0])],
  ["lone surrogate", "\uD800"],
  ["replacement char", "\uFFFD"],
  ["arrow inc", (x: number) => x + 1],
  ["arrow dec", (x: number) => x - 1],
  ["Symbol.for(a)", Symbol.for("a")],
];

describe("tokenize", () => {
  test("returns 32 hex chars and is stable across calls", () => {
    const value = { a: [1, 2, { b: "c" }], d: new Float32Array([1.5, 2.5]) };
    const t = tokenize(value);
    expect(t).toMatch(HEX32);
    expect(tokenize(value)).toBe(t);
    expect(tokenize(structuredClone(value))).toBe(t);
  });

  test("different inputs give different tokens", () => {
    const tokens = new Map<string, string>();
    for (const [label, value] of distinct) {
      const t = tokenize(value);
      const clash = tokens.get(t);
      expect(clash === undefined ? label : `${label} == ${clash}`).toBe(label);
      tokens.set(t, label);
    }
  });

  test("several arguments are not the same as one array of them", () => {
    expect(tokenize(1, 2)).not.toBe(tokenize([1, 2]));
    expect(tokenize(1, 2)).not.toBe(tokenize(2, 1));
    expect(tokenize()).not.toBe(tokenize(undefined));
  });

  test("plain objects ignore key order; Maps and Sets ignore insertion order", () => {
    expect(tokenize({ a: 1, b: 2 })).toBe(tokenize({ b: 2, a: 1 }));
    expect(tokenize(new Map([["a", 1], ["b", 2]]))).toBe(tokenize(new Map([["b", 2], ["a", 1]])));
    expect(tokenize(new Set([1, 2, 3]))).toBe(tokenize(new Set([3, 1, 2])));
    expect(tokenize(new Map([["a", 1]]))).not.toBe(tokenize(new Map([["a", 2]])));
    // Arrays keep their order.
    expect(tokenize([1, 2])).not.toBe(tokenize([2, 1]));
  });

  test("binary data is hashed by content and element type, whatever backs it", () => {
    const shared = new SharedArrayBuffer(24);
    new Float64Array(shared).set([1, 2, 3]);
    expect(tokenize(new Float64Array(shared))).toBe(tokenize(new Float64Array([1, 2, 3])));
    expect(tokenize(new Float64Array([1, 2, 3]))).not.toBe(tokenize(new Float64Array([1, 2, 4])));
    // A view hashes only its own window of the buffer.
    const window = new Float64Array(shared, 8, 2);
    expect(tokenize(window)).toBe(tokenize(new Float64Array([2, 3])));
    // Same bytes, different dtype.
    const bytes = new Uint8Array(new Float64Array([1]).buffer);
    expect(tokenize(bytes)).not.toBe(tokenize(new Float64Array([1])));
    // Buffers and DataViews by content.
    expect(tokenize(new Uint8Array([1, 2]).buffer)).toBe(tokenize(new Uint8Array([1, 2]).buffer));
    expect(tokenize(new Uint8Array([1, 2]).buffer)).not.toBe(tokenize(new Uint8Array([1, 3]).buffer));
    expect(tokenize(new DataView(new Uint8Array([7, 8]).buffer))).toBe(
      tokenize(new DataView(new Uint8Array([7, 8]).buffer)),
    );
    expect(tokenize(new DataView(new Uint8Array([7, 8]).buffer))).not.toBe(tokenize(new Uint8Array([7, 8])));
  });

  test("a large typed array is tokenized by content", () => {
    const a = new Float64Array(1 << 20).map((_, i) => i * 0.5);
    const b = a.slice();
    expect(tokenize(a)).toBe(tokenize(b));
    b[b.length - 1] = -1;
    expect(tokenize(a)).not.toBe(tokenize(b));
  });

  test("functions are tokenized by source text", () => {
    const make = () => (x: number) => x * 2;
    expect(tokenize(make())).toBe(tokenize(make()));
    expect(tokenize(Math.max)).not.toBe(tokenize(Math.min));
  });

  test("objects with __tesseraToken use it", () => {
    const a = { __tesseraToken: () => "frame-abc", big: new Float64Array(10) };
    const b = { __tesseraToken: () => "frame-abc", big: new Float64Array(99) };
    const c = { __tesseraToken: () => "frame-xyz" };
    expect(tokenize(a)).toBe(tokenize(b));
    expect(tokenize(a)).not.toBe(tokenize(c));
    expect(tokenize(a)).not.toBe(tokenize("frame-abc"));
  });

  test("class instances include their class", () => {
    class P {
      constructor(readonly x: number) {}
    }
    class Q {
      constructor(readonly x: number) {}
    }
    expect(tokenize(new P(1))).toBe(tokenize(new P(1)));
    expect(tokenize(new P(1))).not.toBe(tokenize(new P(2)));
    expect(tokenize(new P(1))).not.toBe(tokenize(new Q(1)));
    expect(tokenize(new P(1))).not.toBe(tokenize({ x: 1 }));
  });

  test("cycles are handled and structurally equal cycles agree", () => {
    const a: Record<string, unknown> = { v: 1 };
    a.self = a;
    const b: Record<string, unknown> = { v: 1 };
    b.self = b;
    const c: Record<string, unknown> = { v: 2 };
    c.self = c;
    expect(tokenize(a)).toBe(tokenize(b));
    expect(tokenize(a)).not.toBe(tokenize(c));
    const list: unknown[] = [1];
    list.push(list);
    const m = new Map<string, unknown>();
    m.set("me", m);
    expect(tokenize(list)).toMatch(HEX32);
    expect(tokenize(m)).toMatch(HEX32);
    // Shared (non-cyclic) references are content, not cycles.
    const shared = { z: 1 };
    expect(tokenize([shared, shared])).toBe(tokenize([{ z: 1 }, { z: 1 }]));
  });

  test("values from another realm tokenize like local ones", () => {
    const foreign = runInNewContext(
      `({ a: [1, { b: 2 }], m: new Map([["k", new Set([1, 2])]]), d: new Date(7), f: new Float64Array([1, 2]) })`,
    ) as unknown;
    const local = { a: [1, { b: 2 }], m: new Map([["k", new Set([1, 2])]]), d: new Date(7), f: new Float64Array([1, 2]) };
    expect(tokenize(foreign)).toBe(tokenize(local));
  });

  test("tokens are the same in another process", () => {
    const script = `
      import { tokenize } from "@tessera/engine/internal";
      const values = [1, "1", 1n, -0, NaN, null, undefined, { b: [1, 2], a: new Map([["k", new Set([1])]]) },
        new Float64Array([1, 2, 3]), new Int32Array([4]), new Date(5), (x) => x + 1];
      process.stdout.write(JSON.stringify(values.map((v) => tokenize(v))));
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      cwd: process.cwd(),
    });
    const here = [
      1,
      "1",
      1n,
      -0,
      NaN,
      null,
      undefined,
      { b: [1, 2], a: new Map([["k", new Set([1])]]) },
      new Float64Array([1, 2, 3]),
      new Int32Array([4]),
      new Date(5),
      // Same source text as in the script above.
      eval("(x) => x + 1") as (x: number) => number,
    ].map((v) => tokenize(v));
    expect(JSON.parse(out)).toEqual(here);
  });
});
