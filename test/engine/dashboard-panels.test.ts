/**
 * The state behind the Cluster Map, CPU / Occupancy, Task Graph, Logs and Worker Memory panels,
 * built from a real LocalCluster computing real tasks: what the aggregator folds from the
 * events must agree with what the scheduler did. Then the same state under a synthetic flood,
 * to show it stays bounded.
 */
import { Client, closeSharedScheduler, delayed, type Delayed, type Future } from "@tessera/engine";
import { DashboardAggregator, EventLog, type DashboardSnapshot } from "@tessera/engine/internal";
import { eventually } from "./helpers";

let client: Client;
let aggregator: DashboardAggregator;

beforeAll(async () => {
  client = await Client.start({ nWorkers: 2, setAsDefault: false, dashboardAddress: "127.0.0.1:0" });
  aggregator = client.cluster.dashboard!.aggregator;
});

afterAll(async () => {
  await client.close();
  await closeSharedScheduler();
});

/** Busy-waits `ms` in a worker, so a task takes thread time that occupancy must account for. */
function slowInc(x: number, ms: number): number {
  const end = Date.now() + ms;
  while (Date.now() < end);
  return x + 1;
}

const snapshot = (): DashboardSnapshot => aggregator.snapshot();

test("occupancy accounts for the thread time of every task a worker ran", async () => {
  const futures = client.map(slowInc, Array.from({ length: 24 }, (_, i) => i), Array(24).fill(25));
  expect(await client.gather(futures)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  // Thread time per worker, from the task stream's rectangles of this computation.
  const ran = new Map<string, number>();
  for (const r of snapshot().rects) {
    if (r.kind === "compute") ran.set(r.worker, (ran.get(r.worker) ?? 0) + (r.stop - r.start));
  }
  expect([...ran.keys()].sort()).toEqual([...client.scheduler.core.workerIds()].sort());
  // A bucket is reported once it has ended; wait until the last task's bucket has.
  const accounted = (s: DashboardSnapshot, id: string): number => {
    const w = s.occupancy.workers.find((x) => x.id === id);
    return w ? w.busy.reduce((a, b) => a + b, 0) * w.nthreads * s.occupancy.bucketMs : 0;
  };
  await eventually("occupancy to cover every task", () => {
    const s = snapshot();
    return [...ran].every(([id, ms]) => accounted(s, id) >= ms - 5);
  });
  const s = snapshot();
  for (const [id, ms] of ran) {
    const w = s.occupancy.workers.find((x) => x.id === id)!;
    expect(Math.max(...w.busy)).toBeGreaterThan(0);
    expect(Math.max(...w.busy)).toBeLessThanOrEqual(1);
    // Rounding to 0.1 % per bucket is the only slack.
    expect(Math.abs(accounted(s, id) - ms)).toBeLessThan(5 + 0.001 * s.occupancy.bucketMs * w.busy.length);
  }
  expect(s.occupancy.start % s.occupancy.bucketMs).toBe(0);
  for (const f of futures) f.release();
});

test("the task graph lays out a computation by depth, edges per dependency, and ends settled", async () => {
  const leaf = delayed((i: number) => i * 2, { name: "leaf" });
  const add = delayed((a: number, b: number) => a + b, { name: "add" });
  let level: Delayed<number>[] = Array.from({ length: 8 }, (_, i) => leaf(i));
  while (level.length > 1) level = Array.from({ length: level.length / 2 }, (_, i) => add(level[2 * i]!, level[2 * i + 1]!));
  expect(await level[0]!.compute({ scheduler: client })).toBe(56);

  await eventually("the drawing to settle", () => snapshot().taskGraph.states.every((s) => s === "memory" || s === "released"));
  const g = snapshot().taskGraph;
  expect(g.total).toBe(15);
  expect(g.keys).toHaveLength(15);
  // 8 leaves at depth 0, then 4, 2 and the root.
  const perDepth = [0, 1, 2, 3].map((d) => g.x.filter((x) => x === d).length);
  expect(perDepth).toEqual([8, 4, 2, 1]);
  expect(g.keys.filter((_, i) => g.x[i] === 0).every((k) => k.startsWith("leaf"))).toBe(true);
  // Every add has two edges from the level below, and sits midway between its inputs: a tree.
  expect(g.edges).toHaveLength(2 * 14);
  const inputs = new Map<number, number[]>();
  for (let i = 0; i < g.edges.length; i += 2) {
    const [from, to] = [g.edges[i]!, g.edges[i + 1]!];
    expect(g.x[to]).toBe(g.x[from]! + 1);
    inputs.set(to, [...(inputs.get(to) ?? []), from]);
  }
  for (const [node, [a, b]] of inputs) expect(g.y[node]).toBe((g.y[a!]! + g.y[b!]!) / 2);
  expect(g.y.filter((_, i) => g.x[i] === 0).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(g.y[g.x.indexOf(3)]).toBe(3.5);
});

test("graph nodes reach memory while their futures hold them", async () => {
  const futures = client.map(slowInc, [1, 2, 3, 4, 5], Array(5).fill(1));
  await client.gather(futures);
  await eventually("five nodes in memory", () => {
    const g = snapshot().taskGraph;
    return g.keys.filter((k, i) => futures.some((f) => f.key === k) && g.states[i] === "memory").length === 5;
  });
  for (const f of futures) f.release();
  await eventually("released with their futures", () => {
    const g = snapshot().taskGraph;
    return g.keys.filter((k, i) => futures.some((f) => f.key === k) && g.states[i] === "released").length === 5;
  });
});

test("the cluster map counts tasks sent per worker and a transfer between workers", async () => {
  const sentBefore = new Map(snapshot().clusterMap.total.filter((f) => f.kind === "task").map((f) => [f.to, f.count]));
  const seeds = (await client.scatter([3, 5])) as Future<number>[];
  const produce = delayed((seed: number) => Array.from({ length: 64 }, (_, i) => seed * i), { name: "produce" });
  const consume = delayed((a: number[], b: number[]) => a.length + b.length, { name: "consume" });
  expect(await consume(produce(seeds[0]!), produce(seeds[1]!)).compute({ scheduler: client })).toBe(128);

  const m = snapshot().clusterMap;
  const transfers = m.total.filter((f) => f.kind === "transfer");
  expect(transfers.length).toBeGreaterThan(0);
  for (const t of transfers) {
    expect(t.from).not.toBe(t.to);
    expect(t.count).toBeGreaterThan(0);
    expect(t.nbytes).toBeGreaterThan(0);
  }
  // Three tasks were sent, all from the scheduler, to the workers that ran them.
  const sent = m.total.filter((f) => f.kind === "task");
  expect(sent.every((f) => f.from === "scheduler")).toBe(true);
  const added = sent.reduce((n, f) => n + f.count - (sentBefore.get(f.to) ?? 0), 0);
  expect(added).toBe(3);
  expect(m.windowMs).toBeGreaterThan(0);
  expect(m.windowStart % m.windowMs).toBe(0);
  for (const s of seeds) s.release();
});

test("worker memory has the cluster total over time", async () => {
  const futures = client.map((n: number) => new Float64Array(n), [1000, 2000]);
  await client.gather(futures);
  await eventually("a total sample with both arrays", () => {
    const s = snapshot();
    const total = s.workers.reduce((n, w) => n + w.nbytes, 0);
    return total >= 3000 * 8 && s.memory.at(-1)!.nbytes === total;
  });
  const samples = snapshot().memory;
  for (let i = 1; i < samples.length; i++) expect(samples[i]!.time).toBeGreaterThan(samples[i - 1]!.time);
  for (const f of futures) f.release();
});

test("logs: workers started, graphs submitted, a failed task, and a restart with its reason", async () => {
  const before = client.scheduler.core.workerIds();
  const failing = client.submit((x: number): number => {
    throw new RangeError(`no ${x}`);
  }, 9);
  await expect(failing.result()).rejects.toThrow("no 9");
  await client.restart();
  const after = client.scheduler.core.workerIds();
  const logs = snapshot().logs;
  const about = (source: string, message: RegExp) => logs.find((l) => l.source === source && message.test(l.message));
  // The first workers started before the dashboard did: their line says they were running.
  for (const id of before) {
    expect(about(id, /^(started|running) with 1 thread$/)?.level).toBe("info");
    expect(about(id, /^stopped \(restarted\)$/)?.level).toBe("info");
  }
  for (const id of after) expect(about(id, /^started with 1 thread$/)).toBeDefined();
  expect(logs.find((l) => l.level === "error" && l.message.includes(`${failing.key} failed: RangeError: no 9`))).toBeDefined();
  expect(logs.some((l) => l.source === "scheduler" && /graphs? submitted: \d+ new tasks?/.test(l.message))).toBe(true);
});

test("a crashed worker is a warning in the log", () => {
  const log = new EventLog();
  const agg = new DashboardAggregator(log);
  log.emit({ type: "worker-removed", worker: "w3", reason: "crashed: Error: out of memory" });
  expect(agg.snapshot().logs).toEqual([expect.objectContaining({ level: "warning", source: "w3", message: "stopped (crashed: Error: out of memory)" })]);
  agg.close();
});

test("the cluster map flashes each window's flows once they are complete", async () => {
  const log = new EventLog();
  const agg = new DashboardAggregator(log);
  // Keep sending until a snapshot falls in the window after one that saw both kinds of flow.
  let sent = 0;
  await eventually("a complete window with tasks and a transfer", () => {
    log.emit({ type: "task-assigned", key: `k${sent}`, prefix: "k", worker: "w1" });
    log.record({ type: "transfer", key: `k${sent}`, from: "w0", to: "w1", nbytes: 8, start: 0, stop: 1, time: 1 });
    sent++;
    const recent = agg.snapshot().clusterMap.recent;
    return recent.some((f) => f.kind === "task" && f.to === "w1") && recent.some((f) => f.kind === "transfer" && f.from === "w0");
  });
  const m = agg.snapshot().clusterMap;
  const total = m.total.find((f) => f.kind === "task" && f.to === "w1")!;
  expect(total.count).toBe(sent);
  const moved = m.total.find((f) => f.kind === "transfer")!;
  expect([moved.from, moved.to, moved.count, moved.nbytes]).toEqual(["w0", "w1", sent, 8 * sent]);
  // A worker that leaves takes its flows with it.
  log.emit({ type: "worker-removed", worker: "w1", reason: "closed" });
  expect(agg.snapshot().clusterMap.total).toEqual([]);
  agg.close();
});

test("with no events the version stands still; after one, the clock moves it for a while", async () => {
  const log = new EventLog();
  const agg = new DashboardAggregator(log);
  const idle = agg.version;
  await new Promise((r) => setTimeout(r, 250));
  expect(agg.version).toBe(idle);
  log.emit({ type: "worker-added", worker: "w0", threads: 1 });
  const afterEvent = agg.version;
  expect(afterEvent).toBeGreaterThan(idle);
  await new Promise((r) => setTimeout(r, 250));
  expect(agg.version).toBeGreaterThan(afterEvent);
  agg.close();
});

test("the new panels' state stays bounded under a flood of graphs, workers and failures", () => {
  const log = new EventLog();
  const agg = new DashboardAggregator(log);
  let t = Date.now() - 60_000;
  for (let w = 0; w < 300; w++) log.emit({ type: "worker-added", worker: `w${w}`, threads: 2 });
  for (let g = 0; g < 100; g++) {
    // A chain of 1000 tasks per graph, submitted while the previous one still runs.
    const tasks = Array.from({ length: 1000 }, (_, i) => ({ key: `g${g}-${i}`, dependencies: i === 0 ? [] : [`g${g}-${i - 1}`] }));
    log.emit({ type: "graph-submitted", ntasks: tasks.length, keys: [tasks.at(-1)!.key], tasks });
    for (const { key } of tasks) log.emit({ type: "task-queued", key, prefix: "g" });
    for (const [i, { key }] of tasks.slice(0, 500).entries()) {
      const worker = `w${(g + i) % 300}`;
      log.emit({ type: "task-assigned", key, prefix: "g", worker });
      log.record({ type: "task-finished", key, prefix: "g", worker, thread: 0, start: t, stop: t + 3, nbytes: 8, time: t + 3 });
      log.record({ type: "transfer", key, from: worker, to: `w${i % 50}`, nbytes: 8, start: t, stop: t + 1, time: t + 1 });
      t += 1;
    }
    log.emit({ type: "task-erred", key: `g${g}-500`, prefix: "g", worker: null, error: { name: "Error", message: "boom" }, blame: `g${g}-500` });
  }
  const stats = agg.stats();
  expect(stats.graphNodes).toBe(1000);
  expect(stats.logs).toBeLessThanOrEqual(200);
  expect(stats.flows).toBe(1024);
  expect(stats.occupancyWorkers).toBe(256);
  const snap = agg.snapshot();
  // The first graph filled the drawing; later ones are counted, and the panel says so.
  expect(snap.taskGraph.total).toBe(100_000);
  expect(snap.taskGraph.keys).toHaveLength(1000);
  expect(snap.taskGraph.edges.length / 2).toBe(999);
  expect(Math.max(...snap.taskGraph.x)).toBe(999);
  expect(snap.logs.length).toBeLessThanOrEqual(200);
  expect(snap.occupancy.workers.every((w) => w.busy.length <= 120)).toBe(true);
  expect(snap.clusterMap.total).toHaveLength(1024);
  expect(JSON.stringify(snap).length).toBeLessThan(1_000_000);
  agg.close();
  expect(log.active).toBe(false);
});
