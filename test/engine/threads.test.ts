/**
 * The threaded scheduler for real: tasks run on several worker threads, results stay on the
 * worker that made them, dependents follow their data, and typed arrays cross threads as
 * SharedArrayBuffer handles. Placement is observed through the scheduler's own records
 * (`whoHas`) and its event history, never through timing.
 */
import { threadId as mainThreadId } from "node:worker_threads";
import { delayed, compute, get, Client, closeSharedScheduler, type Future, type TesseraEvent } from "@tessera/engine";
import { builtin, call, lit, ref, type Graph } from "@tessera/engine/internal";

let client: Client;

beforeAll(async () => {
  client = await Client.start({ nWorkers: 2, setAsDefault: false });
});

afterAll(async () => {
  await client.close();
  await closeSharedScheduler();
});

/** Events recorded while `run` was running. */
async function eventsDuring<T>(run: () => Promise<T>): Promise<{ value: T; events: TesseraEvent[] }> {
  const before = client.eventHistory().length;
  const value = await run();
  return { value, events: client.eventHistory().slice(before) };
}

/** The built-in type of a value, whatever realm made it (the test runs in a VM context). */
const typeName = (v: unknown): string => Object.prototype.toString.call(v).slice(8, -1);

type Finished = Extract<TesseraEvent, { type: "task-finished" }>;
type Transfer = Extract<TesseraEvent, { type: "transfer" }>;
const finished = (events: TesseraEvent[]): Finished[] => events.filter((e): e is Finished => e.type === "task-finished");
const transfers = (events: TesseraEvent[]): Transfer[] => events.filter((e): e is Transfer => e.type === "transfer");

test("the cluster has two worker threads", () => {
  expect(client.cluster.nWorkers).toBe(2);
  expect(client.scheduler.core.workerIds()).toHaveLength(2);
});

test("tasks run on several threads, none of them this one", async () => {
  const whereAmI = async (i: number): Promise<number> => {
    const { threadId } = await import("node:worker_threads");
    await new Promise((r) => setTimeout(r, 2 + (i % 3)));
    return threadId;
  };
  const { value: ids, events } = await eventsDuring(() =>
    client.gather(client.map(whereAmI, Array.from({ length: 50 }, (_, i) => i))),
  );
  expect(ids).toHaveLength(50);
  const distinct = new Set(ids);
  expect(distinct.size).toBeGreaterThanOrEqual(2);
  expect(distinct.has(mainThreadId)).toBe(false);
  expect(distinct.has(0)).toBe(false);
  expect(new Set(finished(events).map((e) => e.worker)).size).toBe(2);
});

test("the default scheduler (no client) runs on worker threads too", async () => {
  const where = delayed(async () => (await import("node:worker_threads")).threadId);
  const id = await where().compute();
  expect(typeof id).toBe("number");
  expect(id).not.toBe(mainThreadId);
});

test("results stay on the worker that computed them", async () => {
  const make = delayed((n: number) => Array.from({ length: n }, (_, i) => i * 2), { name: "make" });
  const double = delayed((xs: number[]) => xs.map((x) => x * 2), { name: "double" });
  const a = make(10_000);
  const b = double(a);
  const [pa, pb] = await client.persist(a, b);
  // Wait for both through a compute that reads them (persist returns at once).
  await expect(compute(pa.get(3), pb.get(3), { scheduler: client })).resolves.toEqual([6, 12]);

  const workers = client.scheduler.core.workerIds();
  const whereA = client.scheduler.core.whoHas(a.key);
  const whereB = client.scheduler.core.whoHas(b.key);
  expect(whereA).toHaveLength(1);
  expect(workers).toContain(whereA[0]);
  // The dependent ran where its input was: nothing was copied.
  expect(whereB).toEqual(whereA);
  const holder = client.cluster.workers().find((w) => w.id === whereA[0])!;
  expect(holder.keys).toBeGreaterThanOrEqual(2);
  expect(holder.nbytes).toBeGreaterThan(0);
});

test("a task reading an 8 MB result runs on the worker that produced it, with no transfer", async () => {
  const big = delayed((n: number) => new Float64Array(n).fill(2), { name: "big" });
  const reader = delayed((a: Float64Array) => a.reduce((s, x) => s + x, 0), { name: "reader" });
  const b = big(1 << 20); // 8 MiB of float64
  // Without optimization, so the two tasks are not fused into one.
  const { value, events } = await eventsDuring(() => reader(b).compute({ scheduler: client, optimizeGraph: false }));
  expect(value).toBe(2 * (1 << 20));
  const done = finished(events);
  const producer = done.find((e) => e.prefix === "big")!;
  const consumer = done.find((e) => e.prefix === "reader")!;
  expect(producer.nbytes).toBeGreaterThanOrEqual(8 * (1 << 20));
  expect(consumer.worker).toBe(producer.worker);
  expect(transfers(events)).toHaveLength(0);
});

test("typed arrays come back backed by SharedArrayBuffer", async () => {
  const ramp = delayed((n: number) => Float64Array.from({ length: n }, (_, i) => i), { name: "ramp" });
  const out = await ramp(1000).compute({ scheduler: client });
  expect(typeName(out)).toBe("Float64Array");
  expect(typeName(out.buffer)).toBe("SharedArrayBuffer");
  expect(out[999]).toBe(999);
  const f = client.submit((n: number) => new Int32Array(n).fill(7), 16);
  const ints = await f.result();
  expect(typeName(ints.buffer)).toBe("SharedArrayBuffer");
  expect([...ints]).toEqual(new Array(16).fill(7));
  f.release();
});

test("a typed array moving between workers is one transfer of a SharedArrayBuffer handle", async () => {
  // Scattered seeds land on the two workers round-robin; each producer runs next to its seed.
  const seeds = (await client.scatter([3, 5])) as Future<number>[];
  const whereSeeds = seeds.map((s) => client.scheduler.core.whoHas(s.key)[0]);
  expect(new Set(whereSeeds).size).toBe(2);

  const produce = delayed((seed: number) => Float64Array.from({ length: 4096 }, (_, i) => seed * i), { name: "produce" });
  const consume = delayed(
    (a: Float64Array, b: Float64Array) => ({
      sum: [...a].reduce((s, x) => s + x, 0) + [...b].reduce((s, x) => s + x, 0),
      shared: [a.buffer instanceof SharedArrayBuffer, b.buffer instanceof SharedArrayBuffer],
      firstAndLast: [a[1], a[4095], b[1], b[4095]],
    }),
    { name: "consume" },
  );
  const pa = produce(seeds[0]!);
  const pb = produce(seeds[1]!);
  const { value, events } = await eventsDuring(() => consume(pa, pb).compute({ scheduler: client }));
  const triangle = (4095 * 4096) / 2;
  expect(value.sum).toBe(3 * triangle + 5 * triangle);
  expect(value.firstAndLast).toEqual([3, 3 * 4095, 5, 5 * 4095]);

  const producers = finished(events).filter((e) => e.prefix === "produce");
  expect(producers).toHaveLength(2);
  expect(new Set(producers.map((e) => e.worker))).toEqual(new Set(whereSeeds));
  const moved = transfers(events);
  expect(moved).toHaveLength(1);
  expect(moved[0]!.nbytes).toBeGreaterThanOrEqual(4096 * 8);
  const consumer = finished(events).find((e) => e.prefix === "consume")!;
  expect(moved[0]!.to).toBe(consumer.worker);
  expect(moved[0]!.from).not.toBe(consumer.worker);
  // The input that came from the other worker arrived as shared memory (a handle, not bytes).
  expect([pa.key, pb.key]).toContain(moved[0]!.key);
  expect(value.shared[moved[0]!.key === pa.key ? 0 : 1]).toBe(true);
  for (const s of seeds) s.release();
});

test("async functions run on workers and their results are awaited", async () => {
  const later = async (x: number): Promise<number> => {
    await new Promise((r) => setTimeout(r, 3));
    return x * 10;
  };
  const fs = client.map(later, [1, 2, 3, 4]);
  await expect(client.gather(fs)).resolves.toEqual([10, 20, 30, 40]);
  for (const f of fs) f.release();
});

test("a 10 000-task Delayed graph computes correctly", async () => {
  const inc = delayed((x: number) => x + 1, { name: "inc" });
  const add = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0), { name: "add" });
  const incs = Array.from({ length: 10_000 }, (_, i) => inc(i));
  const partials = Array.from({ length: 100 }, (_, j) => add(incs.slice(j * 100, (j + 1) * 100)));
  const total = add(partials);
  // Σ (i + 1) for i < 10 000
  await expect(total.compute({ scheduler: client })).resolves.toBe(50_005_000);
  // Nothing is left behind once the compute returned.
  expect(client.scheduler.core.stateOf(total.key)).toBeUndefined();
  expect(client.scheduler.core.stateOf(incs[0]!.key)).toBeUndefined();
});

test("get(graph, keys) runs raw graphs of builtin kernels", async () => {
  const graph: Graph = new Map();
  graph.set("x", lit(1));
  graph.set("y", call(builtin("add"), ref("x"), lit(10)));
  graph.set("z", call(builtin("sum"), ref("x"), ref("y"), lit(5)));
  graph.set("both", call(builtin("list"), ref("y"), ref("z")));
  graph.set("wait", call(builtin("sleep"), lit(5), ref("z")));
  await expect(get(graph, ["z", "y"], { scheduler: client })).resolves.toEqual([17, 11]);
  await expect(get(graph, ["both", "wait"], { scheduler: client })).resolves.toEqual([[11, 17], 17]);
  await expect(get(graph, ["z"], { scheduler: "sync" })).resolves.toEqual([17]);
  await expect(client.get(graph, ["both"])).resolves.toEqual([[11, 17]]);
});

test("a raw graph of 10 000 builtin tasks", async () => {
  const graph: Graph = new Map();
  const leaves: string[] = [];
  for (let i = 0; i < 9_900; i++) {
    graph.set(`leaf-${i}`, call(builtin("add"), lit(i), lit(1)));
    leaves.push(`leaf-${i}`);
  }
  const partials: string[] = [];
  for (let j = 0; j < 99; j++) {
    const k = `part-${j}`;
    graph.set(k, call(builtin("sum"), ...leaves.slice(j * 100, (j + 1) * 100).map(ref)));
    partials.push(k);
  }
  graph.set("total", call(builtin("sum"), ...partials.map(ref)));
  expect(graph.size).toBe(10_000);
  await expect(get(graph, ["total"], { scheduler: client })).resolves.toEqual([(9_900 * 9_901) / 2]);
  expect(client.scheduler.core.stateOf("total")).toBeUndefined();
});
