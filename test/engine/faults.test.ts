/**
 * Real faults on real worker threads: tasks that throw, threads that exit, errors thrown
 * outside any task, heaps that run out, and tasks that crash only once. Each test starts its
 * own two-worker cluster, so one test's dead threads never explain another's result.
 */
import {
  delayed,
  compute,
  Client,
  TaskError,
  KilledWorker,
  LostDataError,
  type Future,
  type LocalClusterOptions,
  type TesseraEvent,
} from "@tessera/engine";
import { eventually } from "./helpers.js";

/** A client for one test, closed however the test ends. */
async function withClient(opts: LocalClusterOptions, body: (client: Client) => Promise<void>): Promise<void> {
  const client = await Client.start({ nWorkers: 2, setAsDefault: false, ...opts });
  try {
    await body(client);
  } finally {
    // Let replacement threads finish starting first: a pool closed while one is starting
    // can leave that thread running, and the test process would never exit.
    await eventually("a full cluster before closing", () => client.cluster.nWorkers === 2, 5_000).catch(() => undefined);
    await client.close();
  }
}


type WorkerRemoved = Extract<TesseraEvent, { type: "worker-removed" }>;
const removals = (c: Client): WorkerRemoved[] =>
  c.eventHistory().filter((e): e is WorkerRemoved => e.type === "worker-removed");
const additions = (c: Client): TesseraEvent[] => c.eventHistory().filter((e) => e.type === "worker-added");
const finishes = (c: Client, key: string): number =>
  c.eventHistory().filter((e) => e.type === "task-finished" && e.key === key).length;

/** The error a promise rejects with (fails if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the promise to reject");
}

test("a task that throws: TaskError with key, name, message and stack; dependents err; the rest goes on", async () => {
  await withClient({}, async (client) => {
    const explode = function explode(x: number): number {
      if (x === 13) throw new RangeError(`unlucky ${x}`);
      return x;
    };
    const bad = client.submit(explode, 13);
    const dependent = client.submit((x: number) => x + 1, bad);
    const independent = client.submit((x: number) => x * 2, 21);

    const err = await rejection(bad.result());
    expect(err).toBeInstanceOf(TaskError);
    const te = err as TaskError;
    expect(te.key).toBe(bad.key);
    expect(te.requestedKey).toBe(bad.key);
    expect(te.errorName).toBe("RangeError");
    expect(te.errorMessage).toBe("unlucky 13");
    expect(te.message).toContain("RangeError: unlucky 13");
    // The stack from the worker thread, naming the user's function.
    expect(te.remoteStack).toContain("explode");
    expect(te.stack).toContain("--- in the task ---");
    expect(bad.status).toBe("error");

    const depErr = await rejection(dependent.result());
    expect(depErr).toBeInstanceOf(TaskError);
    expect((depErr as TaskError).key).toBe(bad.key);
    expect((depErr as TaskError).requestedKey).toBe(dependent.key);
    expect(dependent.status).toBe("error");

    await expect(independent.result()).resolves.toBe(42);

    // Through Delayed and compute() as well.
    const boom = delayed((x: number): number => {
      throw new TypeError(`no ${x}`);
    }, { name: "boom" });
    const inc = delayed((x: number) => x + 1, { name: "inc" });
    const delayedErr = await rejection(compute(inc(boom(1)), { scheduler: client, optimizeGraph: false }));
    expect(delayedErr).toBeInstanceOf(TaskError);
    expect((delayedErr as TaskError).key.startsWith("boom-")).toBe(true);
    expect((delayedErr as TaskError).errorName).toBe("TypeError");

    // The same client computes the next graph normally, on both workers.
    const total = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0));
    await expect(total([1, 2, 3].map((i) => inc(i))).compute({ scheduler: client })).resolves.toBe(9);
    expect(client.cluster.nWorkers).toBe(2);
    expect(removals(client)).toHaveLength(0);
    for (const f of [bad, dependent, independent]) f.release();
  });
});

test("process.exit in a task: the worker is replaced, the task ends as KilledWorker, the client goes on", async () => {
  await withClient({ allowedFailures: 1 }, async (client) => {
    const exiter = client.submit(function exiter(code: number): never {
      process.exit(code);
    }, 1);
    const err = await rejection(exiter.result());
    expect(err).toBeInstanceOf(KilledWorker);
    expect((err as KilledWorker).key).toBe(exiter.key);
    expect(err.message).toContain(exiter.key);
    expect(err.message).toContain("exited with code 1");
    expect(exiter.status).toBe("error");

    // allowedFailures: 1 → the task was tried twice, killing a thread each time.
    const removed = removals(client);
    expect(removed).toHaveLength(2);
    for (const r of removed) expect(r.reason).toContain("crashed");
    // (History starts after the first workers joined: additions here are replacements.)
    await eventually("both workers replaced", () => client.cluster.nWorkers === 2 && additions(client).length === 2);
    expect(client.scheduler.core.workerIds()).toHaveLength(2);

    const f = client.submit((a: number, b: number) => a * b, 6, 7);
    await expect(f.result()).resolves.toBe(42);
    const many = client.map((x: number) => x + 1, [1, 2, 3, 4, 5, 6]);
    await expect(client.gather(many)).resolves.toEqual([2, 3, 4, 5, 6, 7]);
  });
});

test("an error thrown outside any task kills the worker; what it held is recomputed from lineage", async () => {
  await withClient({}, async (client) => {
    const make = delayed((n: number) => Array.from({ length: n }, (_, i) => i), { name: "make" });
    const base = make(100);
    const [kept] = await client.persist(base);
    const sum = delayed((xs: number[]) => xs.reduce((a, b) => a + b, 0), { name: "sum" });
    await expect(sum(kept).compute({ scheduler: client })).resolves.toBe(4950);
    const holder = client.scheduler.core.whoHas(base.key)[0]!;
    expect(holder).toBeDefined();

    // Runs where `kept` is (it reads it), returns normally, then throws from a timer: the
    // error escapes every task. A shared flag makes it do so only once.
    const once = new SharedArrayBuffer(4);
    const saboteur = delayed(
      (xs: number[], flag: SharedArrayBuffer) => {
        if (Atomics.add(new Int32Array(flag), 0, 1) === 0) {
          setTimeout(() => {
            throw new Error("boom outside the task");
          }, 50);
        }
        return xs.length;
      },
      { name: "saboteur" },
    );
    await expect(saboteur(kept, once).compute({ scheduler: client })).resolves.toBe(100);

    await eventually("the worker to die", () => removals(client).length === 1);
    const [removed] = removals(client);
    expect(removed!.worker).toBe(holder);
    expect(removed!.reason).toContain("boom outside the task");
    await eventually("a replacement worker", () => client.cluster.nWorkers === 2);

    // The persisted value lived only on the dead worker: it is recomputed, and computations
    // that read it give the right answer.
    await expect(sum(kept).compute({ scheduler: client })).resolves.toBe(4950);
    expect(finishes(client, base.key)).toBe(2);
    expect(client.scheduler.core.whoHas(base.key)).not.toContain(holder);
    expect(client.scheduler.core.stateOf(base.key)).toBe("memory");
  });
});

test("a task that kills its worker after it returned, again on every rerun, is not retried forever", async () => {
  // The result is wanted (a future holds it), its worker dies after the task finished, the
  // result is recomputed from lineage, and the recomputation kills the next worker. Nothing
  // is running at each death, so the task that finished last must take the blame; otherwise
  // this loop replaces threads as fast as they start, for as long as the future is held.
  await withClient({ allowedFailures: 1 }, async (client) => {
    const f = client.submit(function lateCrash(x: number): number {
      setTimeout(() => {
        throw new Error("late crash");
      }, 0);
      return x;
    }, 1);
    await eventually("the first worker death", () => removals(client).length >= 1);
    await new Promise((r) => setTimeout(r, 1000));
    const deaths = removals(client).length;
    // Once nothing wants the result, the loop stops either way.
    f.release();
    await new Promise((r) => setTimeout(r, 300));
    await eventually("the cluster to settle", () => client.cluster.nWorkers === 2);
    await expect(client.submit((x: number) => x + 1, 1).result()).resolves.toBe(2);
    // allowedFailures: 1 allows two deaths blamed on this task, as for a task that crashes while running.
    expect(deaths).toBeLessThanOrEqual(2);
  });
});

test("running out of memory under memoryLimitMb ends as KilledWorker; other work is fine", async () => {
  await withClient({ memoryLimitMb: 64, allowedFailures: 1 }, async (client) => {
    const hog = client.submit(function hog(chunk: number): number {
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array(chunk).fill(1.5));
    }, 1 << 16);
    const fine = client.map((x: number) => x * x, [1, 2, 3]);
    const err = await rejection(hog.result());
    expect(err).toBeInstanceOf(KilledWorker);
    expect((err as KilledWorker).key).toBe(hog.key);
    expect(err.message).toMatch(/memory/i);
    expect(removals(client).every((r) => /memory/i.test(r.reason))).toBe(true);
    await expect(client.gather(fine)).resolves.toEqual([1, 4, 9]);
    await eventually("workers replaced", () => client.cluster.nWorkers === 2);
    await expect(client.submit((s: string) => s.toUpperCase(), "still here").result()).resolves.toBe("STILL HERE");
  });
});

test("a flaky task that kills its worker once succeeds on retry", async () => {
  await withClient({ allowedFailures: 1 }, async (client) => {
    const attempts = new SharedArrayBuffer(4);
    const flaky = client.submit((counter: SharedArrayBuffer) => {
      const n = Atomics.add(new Int32Array(counter), 0, 1);
      if (n === 0) process.exit(3);
      return `survived attempt ${n + 1}`;
    }, attempts);
    await expect(flaky.result()).resolves.toBe("survived attempt 2");
    expect(Atomics.load(new Int32Array(attempts), 0)).toBe(2);
    const removed = removals(client);
    expect(removed).toHaveLength(1);
    expect(removed[0]!.reason).toContain("code 3");
    await eventually("the worker replaced", () => client.cluster.nWorkers === 2);
  });
});

test("scattered data lost with its worker cannot be recomputed: LostDataError", async () => {
  await withClient({ allowedFailures: 0 }, async (client) => {
    const [data] = (await client.scatter([[1, 2, 3]])) as [Future<number[]>];
    const holder = client.scheduler.core.whoHas(data.key)[0]!;
    // Runs where the data is and takes that thread down with it.
    const killer = client.submit((xs: number[]) => {
      process.exit(xs.length);
    }, data);
    const killerErr = await rejection(killer.result());
    expect(removals(client).map((r) => r.worker)).toContain(holder);
    expect(killerErr).toBeInstanceOf(Error);
    const lost = await rejection(data.result());
    expect(lost).toBeInstanceOf(LostDataError);
    expect((lost as LostDataError).key).toBe(data.key);
    killer.release();
    data.release();
    await eventually("the worker replaced", () => client.cluster.nWorkers === 2);
    await expect(client.submit((x: number) => x, 5).result()).resolves.toBe(5);
  });
});

test("closing a client while a replacement thread is starting leaves no thread behind", async () => {
  const client = await Client.start({ nWorkers: 2, allowedFailures: 5, setAsDefault: false });
  try {
    const removed = client.events({ types: ["worker-removed"] });
    const exiter = client.submit((code: number) => {
      process.exit(code);
    }, 7);
    // The stream wakes after the pool has handled the death, i.e. started the replacement.
    await removed.next();
    await removed.return();
    await client.close();
    expect(exiter.status).toBe("error");
    // Give the replacement time to finish booting: a pool that lets it join after close
    // leaves a live thread that keeps the process from exiting.
    await new Promise((r) => setTimeout(r, 1000));
    expect(client.cluster.nWorkers).toBe(0);
  } finally {
    await terminateLeftoverThreads(client);
  }
});

/**
 * Terminate threads a closed pool still holds, so a regression of the test above fails that
 * test instead of hanging the whole run. Reaches into the pool: there is no public handle
 * on threads a closed cluster should not have.
 */
async function terminateLeftoverThreads(client: Client): Promise<void> {
  const pool = (client.cluster as unknown as { pool?: { workers?: Map<string, { worker: { terminate(): Promise<number> } }> } })
    .pool;
  for (const pw of pool?.workers?.values() ?? []) await pw.worker.terminate();
}
