/**
 * Scaling a LocalCluster of real worker threads up and down, and restarting it: results stay
 * correct, scaling down moves the results only the leaving workers hold instead of losing or
 * recomputing them (scattered data, which cannot be recomputed, survives), and work running
 * on leaving workers finishes elsewhere.
 */
import { Client, delayed, compute, type Future, type LocalClusterOptions, type TesseraEvent } from "@tessera/engine";
import { eventually } from "./helpers.js";

async function withClient(opts: LocalClusterOptions, body: (client: Client) => Promise<void>): Promise<void> {
  const client = await Client.start({ nWorkers: 2, setAsDefault: false, dashboardAddress: false, ...opts });
  try {
    await body(client);
  } finally {
    await client.close();
  }
}

type Transfer = Extract<TesseraEvent, { type: "transfer" }>;
type Removed = Extract<TesseraEvent, { type: "worker-removed" }>;
const since = (c: Client, n: number): TesseraEvent[] => c.eventHistory().slice(n);
const finishesOf = (events: TesseraEvent[], keys: Set<string>): number =>
  events.filter((e) => e.type === "task-finished" && keys.has(e.key)).length;

const sum = (xs: Float64Array): number => xs.reduce((a, b) => a + b, 0);

test("scale up starts workers and new work uses them; scale(n) with n < 1 or not whole is refused", async () => {
  await withClient({}, async (client) => {
    const before = client.scheduler.core.workerIds();
    await client.cluster.scale(4);
    expect(client.cluster.nWorkers).toBe(4);
    const now = client.scheduler.core.workerIds();
    expect(now).toHaveLength(4);
    expect(now.filter((w) => !before.includes(w))).toHaveLength(2);
    expect(client.cluster.info()).toMatchObject({ kind: "LocalCluster", workers: 4, threads: 4 });

    // Scattered data goes round-robin over every worker, so the new ones hold some of it.
    const parts = (await client.scatter(Array.from({ length: 8 }, (_, i) => new Float64Array(100).fill(i)))) as Future<Float64Array>[];
    const holders = new Set(parts.map((f) => client.scheduler.core.whoHas(f.key)[0]));
    expect(holders.size).toBe(4);
    const sums = client.map((x: Float64Array) => x.reduce((a, b) => a + b, 0), parts);
    expect(await client.gather(sums)).toEqual(Array.from({ length: 8 }, (_, i) => 100 * i));

    await expect(client.cluster.scale(0)).rejects.toThrow(RangeError);
    await expect(client.cluster.scale(1.5)).rejects.toThrow(RangeError);
    expect(client.cluster.nWorkers).toBe(4);
  });
});

test("scale down moves the results only the leaving workers hold: nothing recomputed, scattered data kept", async () => {
  await withClient({ nWorkers: 4 }, async (client) => {
    const start = client.eventHistory().length;
    const parts = (await client.scatter(Array.from({ length: 8 }, (_, i) => new Float64Array(1000).fill(i + 1)))) as Future<Float64Array>[];
    // Each sum runs where its input is: results on every worker.
    const sums = client.map(sum, parts);
    const expected = Array.from({ length: 8 }, (_, i) => 1000 * (i + 1));
    expect(await client.gather(sums)).toEqual(expected);
    const keys = new Set(sums.map((f) => f.key));
    const computed = finishesOf(since(client, start), keys);
    expect(computed).toBe(8);
    const workers = client.scheduler.core.workerIds();

    const before = client.eventHistory().length;
    await client.cluster.scale(1);
    expect(client.cluster.nWorkers).toBe(1);
    const [kept] = client.scheduler.core.workerIds();
    const events = since(client, before);
    const removed = events.filter((e): e is Removed => e.type === "worker-removed");
    expect(removed.map((e) => e.worker).sort()).toEqual(workers.filter((w) => w !== kept).sort());
    expect(removed.every((e) => e.reason === "closed")).toBe(true);

    // Every result the leaving workers held moved to the one that stays, as transfers.
    const moved = new Set(events.filter((e): e is Transfer => e.type === "transfer" && e.to === kept).map((e) => e.key));
    for (const f of [...parts, ...sums]) {
      expect(client.scheduler.core.whoHas(f.key)).toEqual([kept]);
    }
    expect(moved.size).toBeGreaterThan(0);
    // Scattered data has no lineage: it can only have survived by moving.
    expect(await client.gather(parts).then((xs) => xs.map((x) => x[0]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await client.gather(sums)).toEqual(expected);
    expect(finishesOf(since(client, start), keys)).toBe(computed);

    // And the cluster computes on: scale back up and run something needing every result.
    await client.cluster.scale(3);
    const total = client.submit((xs: number[]) => xs.reduce((a, b) => a + b, 0), sums);
    expect(await total.result()).toBe(expected.reduce((a, b) => a + b, 0));
  });
});

test("scaling down and up while a computation runs: its result is right and it finishes on the workers left", async () => {
  await withClient({ nWorkers: 4 }, async (client) => {
    const work = delayed((x: number): number => {
      const end = Date.now() + 15;
      while (Date.now() < end);
      return x * 2;
    }, { name: "work" });
    const combine = delayed((xs: number[]): number => xs.reduce((a, b) => a + b, 0), { name: "combine" });
    // A tree: leaves spread over the workers, partial sums depend on results held elsewhere.
    const leaves = Array.from({ length: 120 }, (_, i) => work(i));
    const partials = Array.from({ length: 12 }, (_, j) => combine(leaves.slice(j * 10, j * 10 + 10)));
    const total = combine(partials);
    const expected = Array.from({ length: 120 }, (_, i) => i * 2).reduce((a, b) => a + b, 0);

    const before = client.eventHistory().length;
    const running = compute(total, { scheduler: client });
    await eventually("some leaves to finish", () => since(client, before).filter((e) => e.type === "task-finished").length >= 20);
    await client.cluster.scale(2);
    expect(client.cluster.nWorkers).toBe(2);
    await client.cluster.scale(3);
    await client.cluster.scale(1);
    expect(await running).toEqual([expected]);
    expect(client.cluster.nWorkers).toBe(1);
    await eventually("every task forgotten", () => client.scheduler.core.taskCount === 0);
  });
});

test("a leaving worker stuck in a task that was taken back: the task runs elsewhere, what it held is recomputed", async () => {
  // A short grace: the leaving worker's running task is abandoned and the thread terminated.
  await withClient({ nWorkers: 2, cancelGraceMs: 50 }, async (client) => {
    const slow = (x: number): number => {
      const end = Date.now() + 120;
      while (Date.now() < end);
      return x + 1;
    };
    // Enough that both workers have tasks queued and one running when the scale-down comes.
    const futures = client.map(slow, Array.from({ length: 24 }, (_, i) => i));
    const before = client.eventHistory().length;
    await eventually("both workers busy", () => client.cluster.workers().every((w) => w.processing > 0));
    await client.cluster.scale(1);
    expect(client.cluster.nWorkers).toBe(1);
    expect(await client.gather(futures)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    // No replacement thread: the cluster stays at one worker.
    expect(since(client, before).filter((e) => e.type === "worker-added")).toHaveLength(0);
  });
});

test("restart replaces every worker, keeps the cluster's size, and the next computation works", async () => {
  await withClient({ nWorkers: 3 }, async (client) => {
    const f = client.submit((x: number) => x + 1, 1);
    await f.result();
    const runsOfF = (): number => finishesOf(client.eventHistory(), new Set([f.key]));
    expect(runsOfF()).toBe(1);
    const old = client.scheduler.core.workerIds();
    await client.cluster.restart();
    expect(client.cluster.nWorkers).toBe(3);
    const fresh = client.scheduler.core.workerIds();
    expect(fresh.filter((w) => old.includes(w))).toEqual([]);
    // The workers' memory went with them: the held future's value is computed again.
    await expect(f.result()).resolves.toBe(2);
    expect(runsOfF()).toBe(2);
    await expect(client.submit((x: number) => x * 3, 3).result()).resolves.toBe(9);
  });
});
