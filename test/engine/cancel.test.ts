/**
 * Cancellation on real worker threads: an AbortSignal on compute, `client.cancel` on
 * futures, and tasks that never yield (only terminating their thread stops them).
 */
import { delayed, compute, Client, CancelledError, type Future, type TesseraEvent } from "@tessera/engine";
import { eventually } from "./helpers.js";

let client: Client;

beforeAll(async () => {
  // A short grace period: a cancelled task still running after it costs its thread.
  client = await Client.start({ nWorkers: 2, cancelGraceMs: 100, setAsDefault: false });
});

afterAll(async () => {
  await eventually("a full cluster before closing", () => client.cluster.nWorkers === 2, 5_000).catch(() => undefined);
  await client.close();
});


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const since = (n: number): TesseraEvent[] => client.eventHistory().slice(n);
const workerEvents = (events: TesseraEvent[]): TesseraEvent[] =>
  events.filter((e) => e.type === "worker-removed" || e.type === "worker-added");

/** Outcome of a promise, and how long it took to settle. */
async function settle<T>(p: Promise<T>): Promise<{ ok: boolean; value?: T; error?: Error; ms: number }> {
  const t0 = Date.now();
  try {
    return { ok: true, value: await p, ms: Date.now() - t0 };
  } catch (error) {
    return { ok: false, error: error as Error, ms: Date.now() - t0 };
  }
}

describe("compute with an AbortSignal", () => {
  test("aborting mid-run rejects with CancelledError, and nothing is left in the scheduler", async () => {
    const nap = delayed(async (ms: number, i: number) => {
      await new Promise((r) => setTimeout(r, ms));
      return i;
    }, { name: "nap" });
    const total = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0), { name: "total" });
    const graph = total(Array.from({ length: 40 }, (_, i) => nap(50, i)));
    const controller = new AbortController();
    const running = settle(compute(graph, { scheduler: client, signal: controller.signal }));
    await eventually("some task to finish", () => since(0).some((e) => e.type === "task-finished" && e.prefix === "nap"));
    controller.abort();
    const outcome = await running;
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toBeInstanceOf(CancelledError);
    expect((outcome.error as CancelledError).keys).toEqual([graph.key]);
    expect(outcome.ms).toBeLessThan(2_000);
    expect(client.scheduler.core.stateOf(graph.key)).toBeUndefined();
    await eventually("every task forgotten", () => client.scheduler.core.taskCount === 0);
    expect(since(0).some((e) => e.type === "task-cancelled")).toBe(true);
  });

  test("a signal aborted before the compute starts rejects at once", async () => {
    const inc = delayed(async (x: number) => {
      await new Promise((r) => setTimeout(r, 50));
      return x + 1;
    });
    const outcome = await settle(compute(inc(1), { scheduler: client, signal: AbortSignal.abort() }));
    expect(outcome.error).toBeInstanceOf(CancelledError);
    await eventually("every task forgotten", () => client.scheduler.core.taskCount === 0);
  });

  test("a task stuck in a tight loop is stopped by replacing its thread", async () => {
    const before = client.eventHistory().length;
    const spin = delayed((): number => {
      for (;;) {
        // never yields: only terminating the thread stops it
      }
    }, { name: "spin" });
    const controller = new AbortController();
    const running = settle(compute(spin(), { scheduler: client, signal: controller.signal }));
    await eventually("the spinning task to be assigned", () =>
      since(before).some((e) => e.type === "task-assigned" && e.prefix === "spin"),
    );
    await sleep(50); // let it start spinning
    controller.abort();
    const outcome = await running;
    expect(outcome.error).toBeInstanceOf(CancelledError);
    expect(outcome.ms).toBeLessThan(2_000);

    await eventually("the stuck thread replaced", () => workerEvents(since(before)).length >= 2);
    const [removed, added] = workerEvents(since(before));
    expect(removed!.type).toBe("worker-removed");
    expect((removed as Extract<TesseraEvent, { type: "worker-removed" }>).reason).toBe("restarted");
    expect(added!.type).toBe("worker-added");
    await eventually("a full cluster", () => client.cluster.nWorkers === 2);
    expect(client.scheduler.core.workerIds()).toHaveLength(2);

    // The next compute works, on both threads.
    const inc = delayed((x: number) => x + 1);
    const total = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0));
    await expect(total([1, 2, 3].map((i) => inc(i))).compute({ scheduler: client })).resolves.toBe(9);
    await eventually("every task forgotten", () => client.scheduler.core.taskCount === 0);
  });

  test("a cancelled task that finishes within the grace period costs no thread", async () => {
    const before = client.eventHistory().length;
    const short = delayed(async (ms: number) => {
      await new Promise((r) => setTimeout(r, ms));
      return ms;
    }, { name: "short" });
    const controller = new AbortController();
    const running = settle(compute(short(20), { scheduler: client, signal: controller.signal }));
    await eventually("the task to be assigned", () =>
      since(before).some((e) => e.type === "task-assigned" && e.prefix === "short"),
    );
    controller.abort();
    expect((await running).error).toBeInstanceOf(CancelledError);
    await sleep(250); // past the 100 ms grace period
    expect(workerEvents(since(before))).toHaveLength(0);
  });
});

describe("client.cancel", () => {
  const napThen = async (ms: number, value: string): Promise<string> => {
    await new Promise((r) => setTimeout(r, ms));
    return value;
  };

  test("result() of a cancelled future rejects with CancelledError", async () => {
    const f = client.submitWith({ pure: false }, napThen, 2_000, "late");
    await eventually("the task to start", () => client.scheduler.core.stateOf(f.key) === "processing");
    const result = settle(f.result());
    client.cancel(f);
    const outcome = await result;
    expect(outcome.error).toBeInstanceOf(CancelledError);
    expect(outcome.ms).toBeLessThan(2_000);
    expect(f.status).toBe("cancelled");
    expect(f.done()).toBe(true);
    await expect(f.exception()).resolves.toBeInstanceOf(CancelledError);
    // Its want was dropped with it: the scheduler forgets the key.
    expect(client.scheduler.core.stateOf(f.key)).toBeUndefined();
  });

  test("each Future holds its own want: cancelling one leaves another on the same key running", async () => {
    const a = client.submit(napThen, 150, "shared");
    const b = client.submit(napThen, 150, "shared");
    expect(b.key).toBe(a.key);
    client.cancel(a);
    await expect(a.result()).rejects.toBeInstanceOf(CancelledError);
    expect(a.status).toBe("cancelled");
    // Unlike dask.distributed, where cancelling a key cancels it for every holder.
    await expect(b.result()).resolves.toBe("shared");
    expect(b.status).toBe("finished");
    b.release();
    expect(client.scheduler.core.stateOf(a.key)).toBeUndefined();
  });

  test("cancelling a chain's last future stops the chain; nothing is left once released", async () => {
    const before = client.eventHistory().length;
    const first = client.submitWith({ pure: false }, napThen, 300, "a");
    const second = client.submitWith({ pure: false }, (s: string) => s + "b", first);
    client.cancel(second);
    await expect(second.result()).rejects.toBeInstanceOf(CancelledError);
    // `first` is still wanted by its own future and finishes.
    await expect(first.result()).resolves.toBe("a");
    first.release();
    await eventually("every task forgotten", () => client.scheduler.core.taskCount === 0);
    const ran = since(before).filter((e) => e.type === "task-finished").map((e) => (e as { key: string }).key);
    expect(ran).not.toContain(second.key);
  });

  test("cancelling many queued futures leaves nothing running", async () => {
    const fs: Future<string>[] = Array.from({ length: 30 }, (_, i) =>
      client.submitWith({ pure: false }, napThen, 100, `v${i}`),
    );
    client.cancel(fs);
    for (const f of fs) await expect(f.result()).rejects.toBeInstanceOf(CancelledError);
    await eventually("every task forgotten", () => client.scheduler.core.taskCount === 0);
    await eventually("no worker processing", () => client.cluster.workers().every((w) => w.processing === 0));
    await eventually("a full cluster", () => client.cluster.nWorkers === 2);
    await expect(client.submit((x: number) => x * 2, 8).result()).resolves.toBe(16);
  });
});
