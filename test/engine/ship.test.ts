/**
 * Shipping user functions: ship (parse, check, hash) on this side, compile on the other.
 * The functions below are what TypeScript emits for this file (ES2022), which is exactly
 * what `fn.toString()` gives at run time, as in a notebook.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
  shipFunction,
  compileFunction,
  workerGlobalNames,
  UnshippableFunctionError,
  type SourceFnRef,
} from "@tessera/engine/internal";

// Names that only captures provide inside the shipped functions below (declared for the type
// checker; they do not exist at run time in this file).
declare const k: number;
declare const o: { a: number; b: number };
declare const m: Map<string, number>;
declare const v: Float64Array;
declare const c: { self?: unknown; n: number };
declare const opts: { k: number };
declare const cfg: { layers: unknown[] };

const compileModule = new URL("../../engine/dist/scheduler/compile.js", import.meta.url);

type Fn = (...args: never[]) => unknown;

/** Ship, compile, and call the compiled function: what a worker does with a task. */
function roundTrip(fn: Fn, ...args: unknown[]): unknown {
  return compileFunction(shipFunction(fn))(...args);
}

/** The error `shipFunction` throws, checked to be an UnshippableFunctionError. */
function shipError(fn: Fn, opts?: Parameters<typeof shipFunction>[1]): UnshippableFunctionError {
  try {
    shipFunction(fn, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(UnshippableFunctionError);
    return error as UnshippableFunctionError;
  }
  throw new Error("expected shipFunction to throw");
}

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("round trip: ship → compile → call gives the original's results", () => {
  test("arrow functions, expression and block bodies", () => {
    const inc = (x: number) => x + 1;
    const sumSquares = (xs: number[]) => {
      let s = 0;
      for (const x of xs) s += x * x;
      return s;
    };
    expect(roundTrip(inc, 41)).toBe(inc(41));
    expect(roundTrip(sumSquares, [1, 2, 3])).toBe(14);
  });

  test("function expressions and declarations, including recursion by own name", () => {
    function fact(n: number): number {
      return n <= 1 ? 1 : n * fact(n - 1);
    }
    const fib = function fibo(n: number): number {
      return n < 2 ? n : fibo(n - 1) + fibo(n - 2);
    };
    expect(roundTrip(fact, 10)).toBe(3628800);
    expect(roundTrip(fib, 15)).toBe(fib(15));
    const ref = shipFunction(fact);
    expect(ref.name).toBe("fact");
    expect(ref.kind).toBe("source");
  });

  test("async functions, generators and async generators", async () => {
    const later = async (x: number) => (await Promise.resolve(x)) * 2;
    async function twice(x: number) {
      return (await later(x)) * 2;
    }
    function* range(n: number) {
      for (let i = 0; i < n; i++) yield i;
    }
    async function* countdown(n: number) {
      while (n > 0) yield n--;
    }
    await expect(roundTrip(later, 21) as Promise<number>).resolves.toBe(42);
    expect([...(roundTrip(range, 4) as Iterable<number>)]).toEqual([0, 1, 2, 3]);
    await expect(drain(roundTrip(countdown, 3) as AsyncIterable<number>)).resolves.toEqual([3, 2, 1]);
    // `twice` uses `later`, defined outside it.
    expect(shipError(twice).variable).toBe("later");
  });

  test("object method shorthand: plain, async, generator, quoted and computed names", async () => {
    const obj = {
      scale(x: number, k = 10) {
        return x * k;
      },
      async fetchish(x: number) {
        return x + 1;
      },
      *pairs(xs: string[]) {
        for (let i = 0; i + 1 < xs.length; i += 2) yield [xs[i], xs[i + 1]];
      },
      "with space"(s: string) {
        return s.toUpperCase();
      },
      [Symbol.for("tessera.test")](a: number, b: number) {
        return Math.hypot(a, b);
      },
      get() {
        return "a method named get";
      },
    };
    expect(shipFunction(obj.scale).source).toMatch(/^scale\(/);
    expect(roundTrip(obj.scale, 4)).toBe(40);
    await expect(roundTrip(obj.fetchish, 1) as Promise<number>).resolves.toBe(2);
    expect([...(roundTrip(obj.pairs, ["a", "b", "c", "d"]) as Iterable<string[]>)]).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(roundTrip(obj["with space"], "abc")).toBe("ABC");
    expect(roundTrip(obj[Symbol.for("tessera.test")], 3, 4)).toBe(5);
    expect(roundTrip(obj.get)).toBe("a method named get");
  });

  test("class static and instance methods (their `this` is undefined once shipped)", () => {
    class Stats {
      static mean(xs: number[]) {
        return xs.reduce((a, b) => a + b, 0) / xs.length;
      }
      spread(xs: number[]) {
        return Math.max(...xs) - Math.min(...xs);
      }
      self() {
        return this;
      }
    }
    expect(roundTrip(Stats.mean, [1, 2, 3, 6])).toBe(3);
    expect(roundTrip(Stats.prototype.spread, [4, -1, 7])).toBe(8);
    expect(roundTrip(Stats.prototype.self)).toBeUndefined();
  });

  test("`this` in a non-arrow function is allowed and undefined; `arguments` works", () => {
    const count = function (this: unknown) {
      return [this === undefined, arguments.length];
    };
    expect(roundTrip(count, "a", "b", "c")).toEqual([true, 3]);
    // An arrow inside a function sees that function's `this` and `arguments`: fine.
    const outer = function (this: unknown) {
      // eslint-disable-next-line prefer-rest-params
      const inner = () => [this, arguments[0]];
      return inner();
    };
    expect(roundTrip(outer, 7)).toEqual([undefined, 7]);
  });

  test("TypeScript-only syntax is gone from the emitted source and the rest ships", () => {
    interface Point {
      x: number;
      y: number;
    }
    const norm = <T extends Point>(p: T): number => Math.sqrt(p.x ** 2 + p.y! ** 2) as number;
    expect(shipFunction(norm).source).not.toContain("Point");
    expect(roundTrip(norm, { x: 3, y: 4 })).toBe(5);
  });
});

describe("free variables are refused before anything runs", () => {
  test("a closure over a local variable names that variable and both fixes", () => {
    const seen: number[] = [];
    const offset = 10;
    const addOffset = (x: number) => {
      seen.push(x);
      return x + offset;
    };
    const error = shipError(addOffset);
    expect(error.variable).toBe("seen");
    expect(error.variables).toEqual(["seen", "offset"]);
    expect(error.functionName).toBe("addOffset");
    expect(error.message).toContain("`addOffset`");
    expect(error.message).toContain("`seen`, `offset`");
    expect(error.message).toContain("argument");
    expect(error.message).toContain("captures: { seen, offset }");
    expect(seen).toEqual([]); // the function never ran
  });

  test("a helper function defined outside is a free variable too", () => {
    const double = (x: number) => 2 * x;
    const error = shipError((x: number) => double(x) + 1);
    expect(error.variable).toBe("double");
    expect(error.functionName).toBe("lambda");
    expect(error.message).toContain("defined inside the shipped function");
  });

  test("globals of this thread that a worker lacks are refused (here: the test runner's)", () => {
    expect(typeof expect).toBe("function"); // exists on this thread…
    expect(workerGlobalNames().has("expect")).toBe(false); // …but not in a worker
    expect(shipError(() => expect(1)).variable).toBe("expect");
    expect(workerGlobalNames().has("require")).toBe(false);
  });

  test("an arrow's `this`, `arguments` and a method's `super` belong to the code around it", () => {
    const arrowThis = () => this;
    expect(shipError(arrowThis).variable).toBe("this");
    function host() {
      // eslint-disable-next-line prefer-rest-params
      return () => arguments[0];
    }
    expect(shipError(host()).variable).toBe("arguments");
    class Base {
      static hello() {
        return "hi";
      }
    }
    class Derived extends Base {
      static override hello() {
        return super.hello() + "!";
      }
    }
    expect(shipError(Derived.hello).variable).toBe("super");
  });

  test("a computed method key is evaluated in the worker, so a local in it is free", () => {
    const key = "k";
    const obj = {
      [key]() {
        return 1;
      },
    };
    expect(shipError(obj[key]).variable).toBe("key");
  });
});

describe("scope: what is declared inside is not free", () => {
  test("a shadowed name is not reported", () => {
    const x = 100;
    const f = (y: number) => {
      const x = 1;
      return y + x;
    };
    expect(x).toBe(100);
    expect(roundTrip(f, 1)).toBe(2);
  });

  test("default parameters and destructuring", () => {
    const f = ({ a, b: [c, ...rest] }: { a: number; b: number[] }, k = a * 2, { scale = 1 } = {}) =>
      (a + c + rest.length + k) * scale;
    expect(roundTrip(f, { a: 1, b: [2, 3, 4] })).toBe(f({ a: 1, b: [2, 3, 4] }));
    expect(roundTrip(f, { a: 1, b: [2] }, 0, { scale: 3 })).toBe(9);
  });

  test("catch parameters, loops, labels, hoisted declarations and named class expressions", () => {
    const f = (rows: number[][]) => {
      let total = 0;
      outer: for (const row of rows) {
        for (let i = 0; i < row.length; i++) {
          if (row[i] < 0) continue outer;
          total += helper(row[i]);
        }
      }
      function helper(v: number) {
        return v * 10;
      }
      const Box = class Cell {
        constructor(readonly v: number) {}
        static of(v: number) {
          return new Cell(v);
        }
      };
      try {
        JSON.parse("{not json");
      } catch (err) {
        return [total, Box.of(total).v, err instanceof SyntaxError];
      }
      return [];
    };
    expect(roundTrip(f, [[1, 2], [3, -1, 5], [4]])).toEqual([100, 100, true]);
  });

  test("worker globals are allowed: Math, JSON, Map, typed arrays, structuredClone", () => {
    const f = (xs: number[]) => {
      const m = new Map<string, number>([["max", Math.max(...xs)]]);
      const buf = new Float64Array(xs);
      const copy = structuredClone({ sum: buf.reduce((a, b) => a + b, 0) });
      return JSON.stringify({ max: m.get("max"), ...copy, big: Number.isFinite(Infinity) });
    };
    expect(roundTrip(f, [1, 5, 2])).toBe('{"max":5,"sum":8,"big":false}');
    for (const name of ["Math", "JSON", "Map", "Float64Array", "console", "TextEncoder", "Atomics",
      "SharedArrayBuffer", "performance", "queueMicrotask", "setTimeout", "process", "undefined"]) {
      expect(workerGlobalNames().has(name)).toBe(true);
    }
  });
});

describe("captures", () => {
  test("captured values are in scope in the compiled function", () => {
    const offset = 10;
    const table = new Map([["a", 1]]);
    const f = (k: string) => (table.get(k) ?? 0) + offset;
    const ref = shipFunction(f, { captures: { offset, table } });
    expect(compileFunction(ref)("a")).toBe(11);
    expect(compileFunction(ref)("z")).toBe(10);
  });

  test("the captures are a snapshot taken when shipping", () => {
    const config = { factor: 2 };
    const f = (x: number) => x * config.factor;
    const ref = shipFunction(f, { captures: { config } });
    config.factor = 3;
    expect(compileFunction(ref)(5)).toBe(10);
    expect(shipFunction(f, { captures: { config } }).id).not.toBe(ref.id);
  });

  test("a capture that cannot be structured-cloned is named", () => {
    const scale = (x: number) => x * 2;
    const f = (x: number) => scale(x);
    const error = shipError(f, { captures: { scale } });
    expect(error.variable).toBe("scale");
    expect(error.message).toContain("capture `scale` cannot be structured-cloned");
    const nested = shipError((x: number) => x + opts.k, { captures: { opts: { k: 1, cb: () => 1 } } });
    expect(nested.variable).toBe("opts");
  });

  test("a class instance is refused: cloning would drop its methods", () => {
    class Model {
      constructor(readonly w: number) {}
      predict(x: number) {
        return x * this.w;
      }
    }
    const model = new Model(2);
    const error = shipError((x: number) => model.predict(x), { captures: { model } });
    expect(error.variable).toBe("model");
    expect(error.message).toContain("class `Model`");
    const deep = shipError((x: number) => x + cfg.layers.length, { captures: { cfg: { layers: [model] } } });
    expect(deep.message).toContain("`cfg.layers[0]`");
    // Its data as a plain object ships fine.
    const ok = shipFunction((x: number) => x * model.w, { captures: { model: { w: model.w } } });
    expect(compileFunction(ok)(4)).toBe(8);
  });

  test("a capture name must be a usable variable name", () => {
    expect(shipError((x: number) => x, { captures: { "not a name": 1 } }).variable).toBe("not a name");
    expect(shipError((x: number) => x, { captures: { class: 1 } }).variable).toBe("class");
  });
});

describe("functions without source", () => {
  test("native functions are refused with a suggestion", () => {
    const error = shipError(Math.max);
    expect(error.functionName).toBe("max");
    expect(error.message).toContain("native function");
    expect(error.message).toContain("arrow function");
  });

  test("bound functions are refused with a suggestion", () => {
    function add(a: number, b: number) {
      return a + b;
    }
    const error = shipError(add.bind(null, 1));
    expect(error.message).toContain("bound function");
    expect(error.message).toContain("arrow function");
  });

  test("sloppy-mode-only code is refused: shipped functions compile as strict code", () => {
    const sloppy = new Function("return function legacy(o) { with (o) { return a } }")() as Fn;
    const error = shipError(sloppy);
    expect(error.functionName).toBe("legacy");
    expect(error.message).toContain("'with' in strict mode");
  });

  test("classes and getters are not functions to ship", () => {
    class Thing {}
    expect(shipError(Thing as unknown as Fn).message).toContain("is a class");
    const getter = Object.getOwnPropertyDescriptor({ get g() { return 1; } }, "g")!.get!;
    expect(shipError(getter).message).toContain("getter");
  });
});

describe("ids and names", () => {
  test("same source gives the same id; different captures give different ids", () => {
    const a = (x: number) => x + k;
    const b = (x: number) => x + k;
    expect(a).not.toBe(b);
    expect(shipFunction(a, { captures: { k: 1 } }).id).toBe(shipFunction(b, { captures: { k: 1 } }).id);
    expect(shipFunction(a, { captures: { k: 1 } }).id).not.toBe(shipFunction(a, { captures: { k: 2 } }).id);
    expect(shipFunction(a, { captures: { k: 1 } }).id).not.toBe(shipFunction(a, { captures: { k: "1" } }).id);
    expect(shipFunction(a, { captures: { k: 0 } }).id).not.toBe(shipFunction(a, { captures: { k: -0 } }).id);
    expect(shipFunction((x: number) => x + 1).id).not.toBe(shipFunction((x: number) => x + 2).id);
    expect(shipFunction(a, { captures: { k: 1 } }).id).toMatch(/^[0-9a-f]{64}$/);
  });

  test("object key order does not change the id; Map order does", () => {
    const f = (x: number) => x + o.a + o.b;
    expect(shipFunction(f, { captures: { o: { a: 1, b: 2 } } }).id).toBe(
      shipFunction(f, { captures: { o: { b: 2, a: 1 } } }).id,
    );
    const g = (x: number) => x + m.size;
    const ab = new Map([["a", 1], ["b", 2]]);
    const ba = new Map([["b", 2], ["a", 1]]);
    expect(shipFunction(g, { captures: { m: ab } }).id).not.toBe(shipFunction(g, { captures: { m: ba } }).id);
  });

  test("typed array and cyclic captures hash by content", () => {
    const f = (i: number) => v[i];
    const v1 = new Float64Array([1, 2, 3]);
    const v2 = new Float64Array([1, 2, 4]);
    expect(shipFunction(f, { captures: { v: v1 } }).id).toBe(shipFunction(f, { captures: { v: v1.slice() } }).id);
    expect(shipFunction(f, { captures: { v: v1 } }).id).not.toBe(shipFunction(f, { captures: { v: v2 } }).id);
    const cyclic: { self?: unknown; n: number } = { n: 1 };
    cyclic.self = cyclic;
    const ref = shipFunction((x: number) => x + (c.self as typeof c).n, { captures: { c: cyclic } });
    expect(compileFunction(ref)(1)).toBe(2);
  });

  test("name: the option, else the function's name, else lambda", () => {
    const named = (x: number) => x;
    expect(shipFunction(named).name).toBe("named");
    expect(shipFunction(named, { name: "identity" }).name).toBe("identity");
    expect(shipFunction([(x: number) => x][0]!).name).toBe("lambda");
  });

  test("shipping a function twice gives the same reference", () => {
    const f = (x: number) => x * 3;
    expect(shipFunction(f)).toEqual(shipFunction(f));
  });
});

describe("compileFunction", () => {
  test("caches by id", () => {
    const ref = shipFunction((x: number) => -x);
    expect(compileFunction(ref)).toBe(compileFunction({ ...ref }));
  });

  test("a source that does not compile gives an error naming the function", () => {
    const broken: SourceFnRef = { kind: "source", id: "broken-1", name: "brokenFn", source: "(x) => x +" };
    expect(() => compileFunction(broken)).toThrow(UnshippableFunctionError);
    expect(() => compileFunction(broken)).toThrow(/brokenFn/);
    const notFn: SourceFnRef = { kind: "source", id: "broken-2", name: "answer", source: "42" };
    expect(() => compileFunction(notFn)).toThrow(/`answer`.*not evaluate to a function/);
  });

  test("the worker-side module does not load the parser", () => {
    const dist = fileURLToPath(new URL(".", compileModule));
    for (const file of ["compile.js", "errors.js"]) {
      const text = readFileSync(dist + file, "utf8");
      expect(text).not.toMatch(/from\s+["'](acorn|periscopic)["']/);
      expect(text).not.toMatch(/from\s+["']\.\/ship\.js["']/);
    }
  });

  test("compiles and runs inside a real worker thread", async () => {
    const factor = 3;
    const ref = shipFunction(
      function weightedSum(xs: number[], { bias = 0 }: { bias?: number } = {}) {
        return xs.reduce((acc, x, i) => acc + x * (i + 1) * factor, bias);
      },
      { captures: { factor } },
    );
    const methodRef = shipFunction({ mid(s: string) { return s.slice(1, -1); } }.mid);
    const code = `
      const { parentPort, workerData } = require("node:worker_threads");
      import(workerData.compileUrl).then(({ compileFunction }) => {
        const sum = compileFunction(workerData.ref)([1, 2, 3], { bias: 1 });
        const mid = compileFunction(workerData.methodRef)("[ok]");
        parentPort.postMessage({ sum, mid, isMainThread: require("node:worker_threads").isMainThread });
      }, (error) => parentPort.postMessage({ error: String(error) }));
    `;
    const worker = new Worker(code, { eval: true, workerData: { compileUrl: compileModule.href, ref, methodRef } });
    try {
      const reply = await new Promise((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      expect(reply).toEqual({ sum: 1 + 3 * (1 * 1 + 2 * 2 + 3 * 3), mid: "ok", isMainThread: false });
    } finally {
      await worker.terminate();
    }
  });
});
