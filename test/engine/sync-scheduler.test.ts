/**
 * The sync scheduler through the public API: tasks run one at a time in the calling thread,
 * through the same core as the thread pool, calling the user's original functions.
 */
import { TaskError, closeSharedScheduler, compute, delayed, get, type Graph, type Key, type Task } from "@tessera/engine";
import { builtin, call, lit, ref } from "@tessera/engine/internal";

const sync = { scheduler: "sync" } as const;

/** Defined only by the captures of the function that reads it. */
declare const offset: number;

const add = (a: Task, b: Task): Task => call(builtin("add"), a, b);
const sum = (...xs: Task[]): Task => call(builtin("sum"), ...xs);

/** Side effects of tasks, observed in this thread only (what sets sync apart from threads). */
interface Probe {
  calls: number[];
  selves: unknown[];
  stacks: string[];
}
const g = globalThis as unknown as { __tesseraSyncProbe?: Probe };

afterAll(async () => {
  delete g.__tesseraSyncProbe;
  await closeSharedScheduler();
});

describe("results of built-in kernels", () => {
  test("a diamond", async () => {
    const graph: Graph = new Map<Key, Task>([
      ["a", add(lit(1), lit(2))],
      ["b", add(ref("a"), lit(10))],
      ["c", add(ref("a"), lit(100))],
      ["d", sum(ref("b"), ref("c"))],
    ]);
    expect(await get(graph, ["d", "a"], sync)).toEqual([116, 3]);
    // The same graph again: a fresh scheduler, the same answer.
    expect(await get(graph, ["d"], sync)).toEqual([116]);
  });

  test("a binary reduction tree", async () => {
    const graph: Graph = new Map();
    let level: Key[] = [];
    for (let i = 0; i < 64; i++) {
      graph.set(`leaf-${i}`, add(lit(i), lit(0)));
      level.push(`leaf-${i}`);
    }
    for (let depth = 0; level.length > 1; depth++) {
      const next: Key[] = [];
      for (let i = 0; i < level.length; i += 2) {
        const key = `node-${depth}-${i / 2}`;
        graph.set(key, sum(ref(level[i]!), ref(level[i + 1]!)));
        next.push(key);
      }
      level = next;
    }
    expect(await get(graph, [level[0]!, "leaf-63"], sync)).toEqual([(63 * 64) / 2, 63]);
  });

  test("a chain, noop and sleep (awaited without blocking)", async () => {
    const graph: Graph = new Map<Key, Task>([
      ["late", call(builtin("sleep"), lit(5), lit(41))],
      ["answer", add(ref("late"), lit(1))],
      ["nothing", call(builtin("noop"), ref("answer"))],
      ["chain-0", add(ref("answer"), lit(1))],
      ["chain-1", add(ref("chain-0"), lit(1))],
      ["chain-2", add(ref("chain-1"), lit(1))],
    ]);
    expect(await get(graph, ["answer", "nothing", "chain-2"], sync)).toEqual([42, null, 45]);
  });

  test("a 100 000-task chain runs without overflowing the stack", async () => {
    const n = 100_000;
    const graph: Graph = new Map([["link-0", add(lit(0), lit(1))]]);
    for (let i = 1; i < n; i++) graph.set(`link-${i}`, add(ref(`link-${i - 1}`), lit(1)));
    expect(await get(graph, [`link-${n - 1}`], sync)).toEqual([n]);
  });

  test("a failing built-in rejects with a TaskError naming its key", async () => {
    const graph: Graph = new Map<Key, Task>([
      ["nothing", call(builtin("noop"))],
      ["field", call(builtin("getitem"), ref("nothing"), lit("x"))],
      ["after", add(ref("field"), lit(1))],
    ]);
    const err = await get(graph, ["after"], sync).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TaskError);
    const te = err as TaskError;
    expect(te.key).toBe("field");
    expect(te.requestedKey).toBe("after");
    expect(te.errorName).toBe("TypeError");
    expect(te.message).toContain("field");
    expect(te.message).toContain("Cannot read properties of null");
  });
});

describe("user functions", () => {
  test("async functions are awaited, also when they feed each other", async () => {
    const double = delayed(async (x: number) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return x * 2;
    });
    const total = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const [one, many] = await compute(double(double(5)), total([double(1), double(2), double(3)]), sync);
    expect(one).toBe(20);
    expect(many).toBe(12);
  });

  test("a throwing task rejects with a TaskError whose key names it", async () => {
    const explode = delayed((x: number) => {
      throw new RangeError(`too big: ${x}`);
    });
    const inc = delayed((x: number) => x + 1);
    const bad = explode(7);

    const own = await bad.compute(sync).then(
      () => null,
      (e: unknown) => e,
    );
    expect(own).toBeInstanceOf(TaskError);
    expect((own as TaskError).key).toBe(bad.key);
    expect((own as TaskError).errorName).toBe("RangeError");
    expect((own as TaskError).message).toContain("too big: 7");

    // Asked for through a dependent: the error still names the task that threw. (Without
    // optimization: fusing the chain would make explode part of inc's task.)
    const downstream = inc(bad);
    const blamed = await downstream.compute({ ...sync, optimizeGraph: false }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(blamed).toBeInstanceOf(TaskError);
    expect((blamed as TaskError).key).toBe(bad.key);
    expect((blamed as TaskError).requestedKey).toBe(downstream.key);
    expect((blamed as TaskError).message).toContain("too big: 7");

    // Fused (the default), the original error still reaches the caller.
    await expect(downstream.compute(sync)).rejects.toThrow("RangeError: too big: 7");
  });

  test("an async function that rejects is a task error too", async () => {
    const later = delayed(async (x: number) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      throw new Error(`gave up on ${x}`);
    });
    const task = later(3);
    await expect(task.compute(sync)).rejects.toMatchObject({ name: "TaskError", key: task.key });
    await expect(task.compute(sync)).rejects.toThrow("gave up on 3");
  });

  test("captured values reach the function", async () => {
    const shift = delayed((x: number) => x + offset, { captures: { offset: 100 } });
    expect(await shift(1).compute(sync)).toBe(101);
  });

  test("sync runs call the original function, in this thread", async () => {
    g.__tesseraSyncProbe = { calls: [], selves: [], stacks: [] };
    // Shipped functions may not close over variables; `globalThis` is the same object for
    // the test and the task only when the task runs in this thread.
    function record(x: number): number {
      const probe = (globalThis as unknown as { __tesseraSyncProbe: Probe }).__tesseraSyncProbe;
      probe.calls.push(x);
      probe.selves.push(record);
      probe.stacks.push(new Error("where am I").stack ?? "");
      return x * 10;
    }
    const rec = delayed(record);
    const results = await compute(rec(1), rec(2), rec(3), sync);
    expect(results).toEqual([10, 20, 30]);

    const probe = g.__tesseraSyncProbe;
    expect([...probe.calls].sort()).toEqual([1, 2, 3]);
    // The very function object we wrote, not a copy compiled from its source.
    for (const self of probe.selves) expect(self).toBe(record);
    // Its frames point at this file, as a debugger's would.
    for (const stack of probe.stacks) expect(stack).toContain("sync-scheduler.test");
  });

  test("the same function on worker threads leaves this thread's globals alone", async () => {
    g.__tesseraSyncProbe = { calls: [], selves: [], stacks: [] };
    const touch = delayed((x: number) => {
      const probe = (globalThis as unknown as { __tesseraSyncProbe?: Probe }).__tesseraSyncProbe;
      if (probe) probe.calls.push(x);
      return probe === undefined ? "elsewhere" : "here";
    });
    expect(await touch(1).compute({ scheduler: "threads" })).toBe("elsewhere");
    expect(await touch(2).compute(sync)).toBe("here");
    expect(g.__tesseraSyncProbe.calls).toEqual([2]);
  });
});
