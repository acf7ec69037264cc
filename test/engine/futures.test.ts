/**
 * Futures and the Client (dask.distributed's API) on a real LocalCluster of worker threads.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  delayed,
  compute,
  wait,
  asCompleted,
  Client,
  Delayed,
  Future,
  TaskError,
  LostDataError,
  type TesseraEvent,
} from "@tessera/engine";

let client: Client;

beforeAll(async () => {
  client = await Client.start({ nWorkers: 2 });
});

afterAll(async () => {
  await client.close();
});

const sleepThen = (ms: number): Promise<number> => new Promise((r) => setTimeout(() => r(ms), ms));

describe("submit, map, gather, scatter", () => {
  test("submit runs a function on a worker; result() gives its value", async () => {
    const f = client.submit((a: number, b: number) => a * b, 6, 7);
    expect(f).toBeInstanceOf(Future);
    await expect(f.result()).resolves.toBe(42);
    expect(f.status).toBe("finished");
    expect(f.done()).toBe(true);
    await expect(f.exception()).resolves.toBeNull();
    f.release();
  });

  test("pure submits of the same call share a key; pure: false does not", () => {
    const add = (a: number, b: number): number => a + b;
    const a = client.submit(add, 1, 2);
    const b = client.submit(add, 1, 2);
    const c = client.submitWith({ pure: false }, add, 1, 2);
    const d = client.submitWith({ key: "my-key" }, add, 1, 2);
    expect(a.key).toBe(b.key);
    expect(c.key).not.toBe(a.key);
    expect(d.key).toBe("my-key");
    for (const f of [a, b, c, d]) f.release();
  });

  test("map + gather keep the shape: arrays and objects", async () => {
    const square = (x: number): number => x * x;
    const fs = client.map(square, [1, 2, 3, 4, 5]);
    expect(fs).toHaveLength(5);
    await expect(client.gather(fs)).resolves.toEqual([1, 4, 9, 16, 25]);
    await expect(client.gather({ two: fs[1]!, five: fs[4]! })).resolves.toEqual({ two: 4, five: 25 });
    await expect(client.gather(fs[2]!)).resolves.toBe(9);
    // Several iterables are zipped, up to the shortest.
    const sums = client.map((a: number, b: number) => a + b, [1, 2, 3], [10, 20, 30, 40]);
    await expect(client.gather(sums)).resolves.toEqual([11, 22, 33]);
    for (const f of [...fs, ...sums]) f.release();
  });

  test("scatter puts data on workers; submit reads it through the future", async () => {
    const data = Array.from({ length: 1000 }, (_, i) => i);
    // An array scatters element-wise (as in Dask), so a whole array goes inside one.
    const [remote] = (await client.scatter([data])) as [Future<number[]>];
    expect(remote).toBeInstanceOf(Future);
    expect(client.scheduler.core.stateOf(remote.key)).toBe("memory");
    expect(client.scheduler.core.whoHas(remote.key)).toHaveLength(1);
    const total = client.submit((xs: number[]) => xs.reduce((a, b) => a + b, 0), remote);
    await expect(total.result()).resolves.toBe(499500);
    // An array scatters element-wise: one future per element, spread over the workers.
    const parts = await client.scatter([[1, 2], [3, 4], [5, 6]]);
    expect(parts).toHaveLength(3);
    const sizes = client.map((xs: number[]) => xs.length, parts);
    await expect(client.gather(sizes)).resolves.toEqual([2, 2, 2]);
    for (const f of [remote, total, ...parts, ...sizes]) f.release();
  });

  test("futures as arguments chain tasks, also inside arrays and objects", async () => {
    const inc = (x: number): number => x + 1;
    const a = client.submit(inc, 1);
    const b = client.submit(inc, a);
    const c = client.submit(inc, b);
    const merged = client.submit(
      (o: { xs: number[]; y: number }) => o.xs.reduce((s, x) => s + x, 0) * o.y,
      { xs: [a, b, c], y: c } as unknown as { xs: number[]; y: number },
    );
    await expect(c.result()).resolves.toBe(4);
    await expect(merged.result()).resolves.toBe((2 + 3 + 4) * 4);
    for (const f of [a, b, c, merged]) f.release();
  });

  test("a Delayed function can be submitted, and futures are Delayed arguments", async () => {
    const double = delayed((x: number) => x * 2);
    const f = client.submit(double, 21);
    await expect(f.result()).resolves.toBe(42);
    const g = delayed((x: number, y: number) => x + y)(f, 1);
    await expect(g.compute()).resolves.toBe(43);
    f.release();
  });

  test("gather of a failed future throws the task's error", async () => {
    const bad = client.submit((x: number) => {
      if (x > 0) throw new RangeError("too big");
      return x;
    }, 1);
    const good = client.submit((x: number) => x, 1);
    await expect(client.gather([good, bad])).rejects.toBeInstanceOf(TaskError);
    expect(bad.status).toBe("error");
    await expect(bad.exception()).resolves.toMatchObject({ errorName: "RangeError", errorMessage: "too big" });
    bad.release();
    good.release();
  });
});

describe("wait and asCompleted", () => {
  test("wait ALL_COMPLETED returns when every future is done", async () => {
    const fs = client.map(sleepThen, [5, 30, 60]);
    const { done, notDone } = await wait(fs);
    expect(done.size).toBe(3);
    expect(notDone.size).toBe(0);
    expect(fs.every((f) => f.status === "finished")).toBe(true);
    for (const f of fs) f.release();
  });

  test("wait FIRST_COMPLETED returns once one future is done", async () => {
    const fs = client.map(sleepThen, [10, 400]);
    const { done, notDone } = await wait(fs, { returnWhen: "FIRST_COMPLETED" });
    expect(done.size).toBeGreaterThanOrEqual(1);
    expect(done.size + notDone.size).toBe(2);
    expect(done.has(fs[0]!)).toBe(true);
    expect(notDone.has(fs[1]!)).toBe(true);
    // Waited for rather than cancelled: cancelling a running task replaces its thread,
    // which would reorder the next tests' work.
    await wait(fs);
    for (const f of fs) f.release();
  });

  test("wait FIRST_EXCEPTION returns at the first failure", async () => {
    // The failing task is submitted first, so it runs first even if both share a worker.
    const boom = client.submit((ms: number) => {
      throw new Error(`failed after ${ms}`);
    }, 1);
    const slow = client.submit(sleepThen, 400);
    const { done, notDone } = await wait([slow, boom], { returnWhen: "FIRST_EXCEPTION" });
    expect(done.has(boom)).toBe(true);
    expect(notDone.has(slow)).toBe(true);
    expect(boom.status).toBe("error");
    await wait([slow]);
    for (const f of [slow, boom]) f.release();
  });

  test("wait with a timeout rejects with a TimeoutError", async () => {
    const slow = client.submit(sleepThen, 300);
    await expect(wait([slow], { timeout: 50 })).rejects.toMatchObject({ name: "TimeoutError" });
    expect(slow.done()).toBe(false);
    await expect(slow.result()).resolves.toBe(300);
    slow.release();
  });

  test("asCompleted yields every future, in the order they finished", async () => {
    const before = client.eventHistory().length;
    const fs = client.map(sleepThen, [300, 20, 150, 60]);
    const order: Future<number>[] = [];
    for await (const f of asCompleted(fs)) {
      expect(f.done()).toBe(true);
      order.push(f);
    }
    expect(new Set(order)).toEqual(new Set(fs));
    // The order the workers first finished them in, from the scheduler's own records. (A
    // result can finish twice if its thread was replaced and it was recomputed.)
    const wanted = new Set(fs.map((f) => f.key));
    const finishedKeys = client
      .eventHistory()
      .slice(before)
      .filter((e): e is Extract<TesseraEvent, { type: "task-finished" }> => e.type === "task-finished")
      .filter((e) => wanted.has(e.key))
      .sort((a, b) => a.stop - b.stop)
      .map((e) => e.key);
    expect(order.map((f) => f.key)).toEqual([...new Set(finishedKeys)]);
    // The shortest sleep never waits behind the longest one (they run on different threads).
    expect(order[0]!.key).not.toBe(fs[0]!.key);
    for (const f of fs) f.release();
  });

  test("asCompleted withResults yields [future, value] pairs", async () => {
    const fs = client.map((x: number) => x * 3, [1, 2, 3]);
    const values: number[] = [];
    for await (const [f, v] of asCompleted(fs, { withResults: true })) {
      expect(fs).toContain(f);
      values.push(v);
    }
    expect(values.sort()).toEqual([3, 6, 9]);
    for (const f of fs) f.release();
  });
});

describe("collections on the client", () => {
  test("client.compute(delayed) gives a Future of its value", async () => {
    const inc = delayed((x: number) => x + 1);
    const total = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const f = client.compute(total([1, 2, 3].map((i) => inc(i))));
    expect(f).toBeInstanceOf(Future);
    await expect(f.result()).resolves.toBe(9);
    f.release();
  });

  test("client.persist keeps results in memory for later computations", async () => {
    const make = delayed((n: number) => Array.from({ length: n }, (_, i) => i), { name: "make" });
    const [kept] = await client.persist(make(100));
    expect(kept).toBeInstanceOf(Delayed);
    const sum = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0), { name: "sum" });
    await expect(sum(kept).compute()).resolves.toBe(4950);
    expect(client.scheduler.core.stateOf(kept.key)).toBe("memory");
    // The persisted value itself can be computed (fetched) directly, alone or with others.
    await expect(compute(kept, sum(kept))).resolves.toEqual([Array.from({ length: 100 }, (_, i) => i), 4950]);
    const runs = client.eventHistory().filter((e) => e.type === "task-finished" && e.key === kept.key);
    expect(runs).toHaveLength(1);
  });

  test("compute() accepts futures", async () => {
    const f = client.submit((x: number) => x + 100, 1);
    await expect(compute(f)).resolves.toEqual([101]);
    f.release();
  });

  test("release() lets the scheduler forget the key", async () => {
    const f = client.submitWith({ pure: false }, (x: number) => x * 2, 5);
    await expect(f.result()).resolves.toBe(10);
    expect(client.scheduler.core.stateOf(f.key)).toBe("memory");
    f.release();
    expect(client.scheduler.core.stateOf(f.key)).toBeUndefined();
    f.release(); // idempotent
  });

  test("a key stays while any of its futures holds it", async () => {
    const twice = (x: number): number => x * 2;
    const a = client.submit(twice, 77);
    const b = client.submit(twice, 77);
    await a.result();
    a.release();
    expect(client.scheduler.core.stateOf(b.key)).toBe("memory");
    await expect(b.result()).resolves.toBe(154);
    b.release();
    expect(client.scheduler.core.stateOf(b.key)).toBeUndefined();
  });
});

describe("events", () => {
  test("client.events() streams task-finished events of a compute", async () => {
    const stream = client.events({ types: ["task-finished"] });
    const inc = delayed((x: number) => x + 1, { name: "evinc" });
    const total = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0), { name: "evtotal" });
    const parts = [1, 2, 3].map((i) => inc(i));
    await expect(total(parts).compute({ optimizeGraph: false })).resolves.toBe(9);
    const seen: TesseraEvent[] = [];
    for await (const e of stream) {
      seen.push(e);
      if (e.type === "task-finished" && e.prefix === "evtotal") break; // ends the stream
    }
    expect(seen.every((e) => e.type === "task-finished")).toBe(true);
    const keys = new Set(seen.map((e) => (e as { key: string }).key));
    for (const p of parts) expect(keys.has(p.key)).toBe(true);
    for (const e of seen) {
      if (e.type !== "task-finished") continue;
      expect(client.scheduler.core.workerIds()).toContain(e.worker);
      expect(e.stop).toBeGreaterThanOrEqual(e.start);
    }
  });

  test("eventHistory() is bounded", async () => {
    const small = await Client.start({ nWorkers: 1, eventHistory: 20, setAsDefault: false });
    try {
      const fs = small.map((x: number) => x, Array.from({ length: 40 }, (_, i) => i));
      await small.gather(fs);
      const history = small.eventHistory();
      expect(history).toHaveLength(20);
      // Oldest first: the times never go backwards.
      for (let i = 1; i < history.length; i++) expect(history[i]!.time).toBeGreaterThanOrEqual(history[i - 1]!.time - 1);
      for (const f of fs) f.release();
    } finally {
      await small.close();
    }
  });

  test("eventHistory: 0 turns history off", async () => {
    const quiet = await Client.start({ nWorkers: 1, eventHistory: 0, setAsDefault: false });
    try {
      await expect(quiet.submit((x: number) => x, 1).result()).resolves.toBe(1);
      expect(quiet.eventHistory()).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});

describe("restart", () => {
  test("replaces every worker: held futures are recomputed from lineage, scattered data is lost", async () => {
    const own = await Client.start({ nWorkers: 2, setAsDefault: false });
    try {
      const f = own.submit((x: number) => x + 1, 1);
      await expect(f.result()).resolves.toBe(2);
      const [s] = (await own.scatter([5])) as [Future<number>];
      const before = own.eventHistory().length;
      const oldWorkers = own.scheduler.core.workerIds();
      await own.restart();
      const events = own.eventHistory().slice(before);
      expect(events.filter((e) => e.type === "worker-removed")).toHaveLength(2);
      expect(events.filter((e) => e.type === "worker-added")).toHaveLength(2);
      expect(own.scheduler.core.workerIds().some((w) => oldWorkers.includes(w))).toBe(false);
      // Unlike dask.distributed (where restart cancels futures), a held future's value is
      // recomputed; data that has no lineage cannot be.
      await expect(f.result()).resolves.toBe(2);
      await expect(s.result()).rejects.toBeInstanceOf(LostDataError);
      await expect(own.submit((x: number) => x * 3, 3).result()).resolves.toBe(9);
    } finally {
      await own.close();
    }
  });
});

describe("a script using the client", () => {
  const engine = new URL("../../engine/dist/index.js", import.meta.url).href;

  /** Run an ES module script in a fresh node process: nothing else keeps its event loop alive. */
  async function runScript(source: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const dir = await mkdtemp(join(tmpdir(), "tessera-script-"));
    const file = join(dir, "script.mjs");
    await writeFile(file, source);
    try {
      return await new Promise((resolve) => {
        const child = execFile(process.execPath, [file], { timeout: 30_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? (child.exitCode ?? -1) : 0, stdout, stderr }),
        );
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test("runs to completion through scatter: pending requests keep the process alive", async () => {
    // Node exits with code 13 when top-level await waits on a promise nothing keeps alive.
    const { code, stdout, stderr } = await runScript(`
      import { Client } from ${JSON.stringify(engine)};
      const client = await Client.start({ nWorkers: 2 });
      const f = client.submit((x) => x + 1, 1);
      await f.result();
      for (let i = 0; i < 4; i++) {
        const [s] = await client.scatter([i]);
        const g = client.submit((x) => x * 2, s);
        process.stdout.write(String(await g.result()));
        s.release();
        g.release();
      }
      await client.restart();
      await client.close();
      process.stdout.write(" done");
    `);
    expect(stderr).toBe("");
    expect(stdout).toBe("0246 done");
    expect(code).toBe(0);
  });
});
