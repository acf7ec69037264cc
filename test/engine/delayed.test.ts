/**
 * Delayed on the real schedulers: graphs built from plain function calls, computed on
 * worker threads (the shared pool or a Client's cluster) and on the sync scheduler.
 */
import {
  delayed,
  compute,
  Client,
  Delayed,
  UnshippableFunctionError,
  closeSharedScheduler,
  type TesseraEvent,
} from "@tessera/engine";

// Names that only captures provide inside shipped functions (declared for the type checker).
declare const factor: number;

const inc = delayed((x: number) => x + 1);
const total = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0));

afterAll(async () => {
  await closeSharedScheduler();
});

/** task-finished events for `key` in a client's history. */
function finishedCount(events: TesseraEvent[], key: string): number {
  return events.filter((e) => e.type === "task-finished" && e.key === key).length;
}

describe("the README example", () => {
  test("gives 9 on worker threads", async () => {
    const t = total([1, 2, 3].map((i) => inc(i)));
    expect(t).toBeInstanceOf(Delayed);
    await expect(t.compute()).resolves.toBe(9);
  });

  test("gives [9, 11] with the sync scheduler, several collections at once", async () => {
    const t = total([1, 2, 3].map((i) => inc(i)));
    await expect(compute(t, inc(10), { scheduler: "sync" })).resolves.toEqual([9, 11]);
  });

  test("non-collection values pass through compute unchanged", async () => {
    await expect(compute(inc(1), "plain", 3, { scheduler: "sync" })).resolves.toEqual([2, "plain", 3]);
  });
});

describe("arguments", () => {
  test("Delayed values nested in arrays and objects become dependencies", async () => {
    const combine = delayed(
      (spec: { a: number; pair: [number, number]; deep: { list: number[] }; label: string }) =>
        `${spec.label}:${spec.a + spec.pair[0] + spec.pair[1] + spec.deep.list.reduce((s, x) => s + x, 0)}`,
    );
    const out = combine({ a: inc(0), pair: [inc(1), 10], deep: { list: [inc(2), inc(3), 100] }, label: "sum" });
    // 1 + (2 + 10) + (3 + 4 + 100)
    await expect(out.compute()).resolves.toBe("sum:120");
    await expect(out.compute({ scheduler: "sync" })).resolves.toBe("sum:120");
  });

  test("delayed(value) wraps a value, and Delayed values inside it are computed", async () => {
    const v = delayed({ xs: [1, 2, 3], n: inc(41) });
    expect(v).toBeInstanceOf(Delayed);
    await expect(v.compute()).resolves.toEqual({ xs: [1, 2, 3], n: 42 });
    const plain = delayed(7, { name: "seven" });
    expect(plain.key.startsWith("seven-")).toBe(true);
    await expect(inc(plain).compute({ scheduler: "sync" })).resolves.toBe(8);
  });

  test(".get(item) picks a property or an element", async () => {
    const pair = delayed((a: number, b: number) => ({ sum: a + b, list: [a, b] as [number, number] }));
    const p = pair(inc(1), 5);
    const [sum, list, second] = await compute(p.get("sum"), p.get("list"), p.get("list").get(1));
    expect(sum).toBe(7);
    expect(list).toEqual([2, 5]);
    expect(second).toBe(5);
  });

  test("async functions are awaited in the worker", async () => {
    const later = delayed(async (x: number) => {
      await new Promise((r) => setTimeout(r, 5));
      return x * 3;
    });
    await expect(total([later(1), later(2)]).compute()).resolves.toBe(9);
  });
});

describe("keys", () => {
  test("pure: true gives equal keys for equal calls; the default gives distinct keys", () => {
    const pureInc = delayed((x: number) => x + 1, { pure: true });
    expect(pureInc(1).key).toBe(pureInc(1).key);
    expect(pureInc(1).key).not.toBe(pureInc(2).key);
    expect(inc(1).key).not.toBe(inc(1).key);
  });

  test("a pure call repeated in one graph runs once", async () => {
    const client = await Client.start({ nWorkers: 2, setAsDefault: false });
    try {
      const square = delayed((x: number) => x * x, { pure: true, name: "square" });
      const a = square(4);
      const graph = total([a, square(4), square(4)]);
      // Unoptimized, so `square` stays a task of its own whose runs can be counted.
      await expect(graph.compute({ scheduler: client, optimizeGraph: false })).resolves.toBe(48);
      expect(finishedCount(client.eventHistory(), a.key)).toBe(1);
    } finally {
      await client.close();
    }
  });

  test("name sets the key prefix", () => {
    const f = delayed((x: number) => x, { name: "load" });
    expect(f(1).key).toMatch(/^load-[0-9a-f]+$/);
  });
});

describe("shipping", () => {
  test("a function closing over a local variable fails at delayed() time, naming it", () => {
    const offset = 10;
    let caught: unknown;
    try {
      delayed((x: number) => x + offset);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnshippableFunctionError);
    const err = caught as UnshippableFunctionError;
    expect(err.variable).toBe("offset");
    expect(err.variables).toEqual(["offset"]);
    expect(err.message).toContain("offset");
  });

  test("captures fix it: the value travels with the function", async () => {
    const scale = delayed((x: number) => x * factor, { captures: { factor: 3 } });
    await expect(scale(inc(1)).compute()).resolves.toBe(6);
    await expect(scale(inc(1)).compute({ scheduler: "sync" })).resolves.toBe(6);
  });

  test("captures are a snapshot taken at delayed() time, on every scheduler", async () => {
    let k = 2;
    const times = delayed((x: number) => x * k, { captures: { k } });
    k = 3;
    expect(k).toBe(3);
    await expect(times(5).compute()).resolves.toBe(10);
    await expect(times(5).compute({ scheduler: "sync" })).resolves.toBe(10);
  });

  test("a function cannot be passed as an argument", () => {
    const apply = delayed((f: unknown, x: number) => x);
    expect(() => apply((y: number) => y, 1)).toThrow(TypeError);
  });
});

describe("persist", () => {
  test("returns a Delayed backed by the result; later computes do not rerun the task", async () => {
    const client = await Client.start({ nWorkers: 2, setAsDefault: false });
    try {
      const slow = delayed((n: number) => Array.from({ length: n }, (_, i) => i), { name: "slow" });
      const base = slow(1000);
      const kept = await base.persist({ scheduler: client });
      expect(kept).toBeInstanceOf(Delayed);
      expect(kept.key).toBe(base.key);
      expect(kept.persistedBy).toBeDefined();
      // As in Dask, persist returns at once; the task runs in the background.
      expect(["processing", "queued", "memory"]).toContain(client.scheduler.core.stateOf(base.key));

      const sum = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0), { name: "sumall" });
      const [a, b] = await compute(sum(kept), sum(kept), { scheduler: client });
      expect(a).toBe(499500);
      expect(b).toBe(499500);
      await expect(kept.compute({ scheduler: client })).resolves.toHaveLength(1000);

      // The producing task ran exactly once; its two readers ran once each.
      const history = client.eventHistory();
      expect(finishedCount(history, base.key)).toBe(1);
      expect(history.filter((e) => e.type === "task-finished" && e.prefix === "sumall")).toHaveLength(2);
      // Still held after the computes that read it.
      expect(client.scheduler.core.stateOf(base.key)).toBe("memory");
    } finally {
      await client.close();
    }
  });

  test("persist needs a scheduler that outlives the call", async () => {
    await expect(inc(1).persist({ scheduler: "sync" })).rejects.toThrow(/outlives/);
  });
});

describe("visualize", () => {
  test("returns DOT naming the tasks and an SVG drawing", async () => {
    const t = total([1, 2].map((i) => inc(i)));
    const { dot, svg } = await t.visualize();
    expect(dot).toMatch(/^(strict )?digraph/);
    expect(dot).toContain("lambda");
    expect(svg).toContain("<svg");
  });
});
