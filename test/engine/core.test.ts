/**
 * The scheduler core driven by hand, without threads: a small harness plays the workers
 * (it takes `run` commands and reports them finished or failed in the order each test
 * chooses) and records every other command, so each test can assert exact states,
 * commands and placements.
 */
import {
  EventLog,
  SchedulerCore,
  builtin,
  call,
  ref,
  type CoreOptions,
  type Graph,
  type Key,
  type RunSpec,
  type SchedulerCommand,
  type Task,
  type TaskFailure,
  type TesseraEvent,
} from "@tessera/engine/internal";

// ── graph helpers ──────────────────────────────────────────────────────────────────────

/** A task with no inputs. */
const root = (): Task => call(builtin("noop"));
/** A task reading `deps`. */
const reads = (...deps: Key[]): Task => call(builtin("sum"), ...deps.map(ref));
const graphOf = (entries: Record<Key, Task>): Graph => new Map(Object.entries(entries));

const boom = (message = "boom"): TaskFailure => ({ kind: "error", name: "Error", message });

// ── the harness ────────────────────────────────────────────────────────────────────────

interface Run {
  worker: string;
  spec: RunSpec;
}

/** Plays the workers around a real `SchedulerCore`. */
class Harness {
  readonly core: SchedulerCore;
  /** Every run command, in the order the core sent them. */
  readonly runs: Run[] = [];
  readonly frees: [worker: string, key: Key][] = [];
  readonly abandons: [worker: string, key: Key][] = [];
  /** `key-memory` notifications. */
  readonly ready: Key[] = [];
  readonly erred: { key: Key; failure: TaskFailure; blame: Key }[] = [];
  /** Tasks handed to a worker and not yet reported, in hand-out order. */
  readonly running = new Map<Key, string>();
  /** The commands of the last `pump`. */
  last: SchedulerCommand[] = [];

  constructor(opts: CoreOptions = {}) {
    this.core = new SchedulerCore(opts);
  }

  /** Drain the core's commands and play them. */
  pump(): SchedulerCommand[] {
    const cmds = this.core.takeCommands();
    for (const cmd of cmds) {
      switch (cmd.op) {
        case "run":
          this.runs.push({ worker: cmd.worker, spec: cmd.spec });
          this.running.delete(cmd.spec.key); // re-insert: keep hand-out order
          this.running.set(cmd.spec.key, cmd.worker);
          break;
        case "free":
          this.frees.push([cmd.worker, cmd.key]);
          break;
        case "abandon":
          this.abandons.push([cmd.worker, cmd.key]);
          if (this.running.get(cmd.key) === cmd.worker) this.running.delete(cmd.key);
          break;
        case "key-memory":
          this.ready.push(cmd.key);
          break;
        case "key-erred":
          this.erred.push({ key: cmd.key, failure: cmd.failure, blame: cmd.blame });
          break;
      }
    }
    this.last = cmds;
    return cmds;
  }

  submit(graph: Graph, wanted: Key[], priorities?: Map<Key, number>): SchedulerCommand[] {
    this.core.updateGraph(graph, wanted, priorities);
    return this.pump();
  }

  /** The worker reports `key` done (it must be running there). */
  finish(key: Key, nbytes = 8): SchedulerCommand[] {
    const worker = this.running.get(key);
    if (worker === undefined) throw new Error(`harness: ${key} is not running anywhere`);
    this.running.delete(key);
    this.core.taskFinished(worker, key, { nbytes, start: 0, stop: 1 });
    return this.pump();
  }

  fail(key: Key, failure: TaskFailure = boom()): SchedulerCommand[] {
    const worker = this.running.get(key);
    if (worker === undefined) throw new Error(`harness: ${key} is not running anywhere`);
    this.running.delete(key);
    this.core.taskErred(worker, key, failure);
    return this.pump();
  }

  /** Finish running tasks whose inputs exist, oldest hand-out first, until none is left. */
  finishAll(nbytes = 8): void {
    for (let guard = 0; this.running.size > 0; guard++) {
      if (guard > 1_000_000) throw new Error("harness: finishAll does not terminate");
      const next = [...this.running.keys()].find((k) => this.inputsReady(k));
      if (next === undefined) throw new Error(`harness: stuck with ${[...this.running.keys()].join(", ")} running`);
      this.finish(next, nbytes);
    }
  }

  /** Every input of a running task is in memory (a worker could start it). */
  inputsReady(key: Key): boolean {
    const spec = this.specOf(key);
    return spec.deps.every(([dep]) => this.core.stateOf(dep) === "memory");
  }

  /** The latest run spec of `key`. */
  specOf(key: Key): RunSpec {
    for (let i = this.runs.length - 1; i >= 0; i--) if (this.runs[i]!.spec.key === key) return this.runs[i]!.spec;
    throw new Error(`harness: ${key} was never run`);
  }

  runKeys(cmds: SchedulerCommand[] = this.last): Key[] {
    return cmds.flatMap((c) => (c.op === "run" ? [c.spec.key] : []));
  }

  states(...keys: Key[]): Record<Key, string | undefined> {
    return Object.fromEntries(keys.map((k) => [k, this.core.stateOf(k)]));
  }
}

// ── lifecycle ──────────────────────────────────────────────────────────────────────────

describe("a diamond graph", () => {
  //   a
  //  / \
  // b   c
  //  \ /
  //   d
  const diamond = graphOf({ a: root(), b: reads("a"), c: reads("a"), d: reads("b", "c") });

  test("goes waiting → processing → memory and frees intermediates as soon as they are unneeded", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.core.updateGraph(diamond, ["d"]);
    // Before anyone takes commands, the root is queued for a slot and the rest wait.
    expect(h.states("a", "b", "c", "d")).toEqual({ a: "queued", b: "waiting", c: "waiting", d: "waiting" });

    h.pump();
    // One worker: the root goes out, and everything above it is placed eagerly behind it.
    expect(h.runKeys()).toEqual(["a", "b", "c", "d"]);
    expect(h.states("a", "b", "c", "d")).toEqual({ a: "processing", b: "processing", c: "processing", d: "processing" });
    expect(h.core.processingOn("w1").sort()).toEqual(["a", "b", "c", "d"]);

    expect(h.finish("a")).toEqual([]);
    expect(h.core.stateOf("a")).toBe("memory");
    expect(h.core.whoHas("a")).toEqual(["w1"]);

    // b done: a is still read by c.
    expect(h.finish("b")).toEqual([]);
    expect(h.states("a", "b")).toEqual({ a: "memory", b: "memory" });

    // c done: a's last reader finished, a is freed at once; b and c wait for d.
    expect(h.finish("c")).toEqual([{ op: "free", worker: "w1", key: "a" }]);
    expect(h.core.stateOf("a")).toBe("released");
    expect(h.core.whoHas("a")).toEqual([]);

    // d done: the client hears about it, b and c are freed, d stays.
    const cmds = h.finish("d");
    expect(cmds).toContainEqual({ op: "key-memory", key: "d" });
    expect(cmds.filter((c) => c.op === "free")).toEqual(
      expect.arrayContaining([
        { op: "free", worker: "w1", key: "b" },
        { op: "free", worker: "w1", key: "c" },
      ]),
    );
    expect(cmds).toHaveLength(3);
    expect(h.states("a", "b", "c", "d")).toEqual({ a: "released", b: "released", c: "released", d: "memory" });
    expect(h.core.whoHas("d")).toEqual(["w1"]);
    expect(h.core.workerSummary()).toEqual([{ id: "w1", nthreads: 1, processing: 0, keys: 1, nbytes: 8 }]);

    // Releasing the only want frees d and forgets the whole graph.
    h.core.releaseKeys(["d"]);
    expect(h.pump()).toEqual([{ op: "free", worker: "w1", key: "d" }]);
    expect(h.states("a", "b", "c", "d")).toEqual({ a: undefined, b: undefined, c: undefined, d: undefined });
    expect(h.core.taskCount).toBe(0);
    expect(h.core.workerSummary()).toEqual([{ id: "w1", nthreads: 1, processing: 0, keys: 0, nbytes: 0 }]);
  });

  test("an intermediate that is also wanted stays in memory until released", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.submit(diamond, ["d", "b"]);
    h.finishAll();
    expect(h.ready.sort()).toEqual(["b", "d"]);
    expect(h.states("a", "b", "c", "d")).toEqual({ a: "released", b: "memory", c: "released", d: "memory" });
    expect(h.frees.map(([, k]) => k).sort()).toEqual(["a", "c"]);

    h.core.releaseKeys(["b"]);
    expect(h.pump()).toEqual([{ op: "free", worker: "w1", key: "b" }]);
    // d is still wanted, and its record keeps its dependencies' records (lineage).
    expect(h.states("b", "d")).toEqual({ b: "released", d: "memory" });

    h.core.releaseKeys(["d"]);
    expect(h.pump()).toEqual([{ op: "free", worker: "w1", key: "d" }]);
    expect(h.core.taskCount).toBe(0);
  });

  test("releasing a key nobody holds changes nothing", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.submit(diamond, ["d"]);
    h.finishAll();
    h.core.releaseKeys(["d"]);
    h.pump();
    h.core.releaseKeys(["d", "never-heard-of"]);
    expect(h.pump()).toEqual([]);
    expect(h.core.taskCount).toBe(0);
  });
});

// ── placement ──────────────────────────────────────────────────────────────────────────

describe("placement", () => {
  test("root tasks are queued and handed out only up to each worker's slots", () => {
    const h = new Harness();
    h.core.addWorker("w1", 2);
    h.core.addWorker("w2", 1);
    const n = 10_000;
    const keys = Array.from({ length: n }, (_, i) => `r-${i}`);
    const g = new Map(keys.map((k) => [k, root()] as [Key, Task]));
    h.submit(g, keys);

    // Before any task has finished the core allows 8 per thread.
    const first = h.runKeys();
    expect(first.length).toBe(8 * 3);
    expect(h.core.processingOn("w1")).toHaveLength(16);
    expect(h.core.processingOn("w2")).toHaveLength(8);
    // Most urgent first: the graph's order decides when no priorities are given.
    expect([...first].sort()).toEqual(keys.slice(0, 24).sort());
    expect(h.core.stateOf("r-24")).toBe("queued");
    expect(h.core.stateOf(`r-${n - 1}`)).toBe("queued");

    // Run everything, checking the bound after every report.
    let maxPerThread = 0;
    while (h.running.size > 0) {
      const [key] = h.running.keys();
      h.finish(key!);
      maxPerThread = Math.max(maxPerThread, h.core.processingOn("w1").length / 2, h.core.processingOn("w2").length);
    }
    expect(maxPerThread).toBeLessThanOrEqual(8);
    expect(h.runs).toHaveLength(n);
    expect(new Set(h.runs.map((r) => r.spec.key)).size).toBe(n);
    expect(h.ready).toHaveLength(n);
    expect(keys.every((k) => h.core.stateOf(k) === "memory")).toBe(true);
    // Both workers did work.
    const perWorker = h.core.workerSummary().map((w) => w.keys);
    expect(perWorker[0]! + perWorker[1]!).toBe(n);
    expect(Math.min(...perWorker)).toBeGreaterThan(0);
  });

  test("explicit priorities decide which queued roots go first", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    const keys = Array.from({ length: 20 }, (_, i) => `r-${i}`);
    const g = new Map(keys.map((k) => [k, root()] as [Key, Task]));
    // Reverse order: r-19 is the most urgent.
    h.submit(g, keys, new Map(keys.map((k, i) => [k, 100 - i])));
    expect(h.runKeys()).toEqual(keys.slice(12).reverse());
  });

  test("a dependent goes to the worker holding most of its input bytes", () => {
    for (const [bigOn, smallOn] of [
      ["w1", "w2"],
      ["w2", "w1"],
    ] as const) {
      const h = new Harness();
      h.core.addWorker("w1");
      h.core.addWorker("w2");
      h.core.addData(bigOn, "big", 1_000_000);
      h.core.addData(smallOn, "small", 10);
      h.pump();
      h.submit(graphOf({ z: reads("small", "big") }), ["z"]);
      expect(h.last).toEqual([
        {
          op: "run",
          worker: bigOn,
          spec: expect.objectContaining({ key: "z", deps: [["small", [smallOn]], ["big", [bigOn]]] }),
        },
      ]);
      expect(h.core.stateOf("z")).toBe("processing");
      expect(h.core.processingOn(bigOn)).toEqual(["z"]);
    }
  });

  test("computed inputs of different sizes on two workers: the dependent follows the bytes", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    // x is made on w1 alone; y on w2, added later; y reports more bytes.
    h.submit(graphOf({ x: root() }), ["x"]);
    h.finish("x", 100);
    h.core.addWorker("w2");
    // Keep w1 busy so the new root y goes to the idle w2.
    h.submit(graphOf({ busy: root() }), ["busy"]);
    expect(h.running.get("busy")).toBe("w1");
    h.submit(graphOf({ y: root() }), ["y"]);
    expect(h.running.get("y")).toBe("w2");
    h.finish("y", 5_000);
    h.submit(graphOf({ z: reads("x", "y") }), ["z"]);
    expect(h.running.get("z")).toBe("w2");
    expect(h.specOf("z").deps).toEqual([
      ["x", ["w1"]],
      ["y", ["w2"]],
    ]);
  });

  test("eager chain placement: a → b → c go to one worker before a finishes", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.submit(graphOf({ a: root(), b: reads("a"), c: reads("b") }), ["c"]);
    expect(h.last).toEqual([
      { op: "run", worker: "w1", spec: expect.objectContaining({ key: "a", deps: [] }) },
      // Empty holders: the input is computed on this same worker first.
      { op: "run", worker: "w1", spec: expect.objectContaining({ key: "b", deps: [["a", []]] }) },
      { op: "run", worker: "w1", spec: expect.objectContaining({ key: "c", deps: [["b", []]] }) },
    ]);
    expect(h.states("a", "b", "c")).toEqual({ a: "processing", b: "processing", c: "processing" });

    // The worker runs the chain without asking: only frees come back.
    expect(h.finish("a")).toEqual([]);
    expect(h.finish("b")).toEqual([{ op: "free", worker: "w1", key: "a" }]);
    expect(h.finish("c")).toEqual([
      { op: "key-memory", key: "c" },
      { op: "free", worker: "w1", key: "b" },
    ]);
    expect(h.runs).toHaveLength(3);
  });

  test("a long chain is sent ahead only up to the worker's slots, the rest as results come back", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    const n = 100;
    const g = new Map<Key, Task>([["c-0", root()]]);
    for (let i = 1; i < n; i++) g.set(`c-${i}`, reads(`c-${i - 1}`));
    h.submit(g, [`c-${n - 1}`]);
    // Before any task finished, 8 slots per thread: the head of the chain only.
    expect(h.runKeys()).toEqual(Array.from({ length: 8 }, (_, i) => `c-${i}`));
    expect(h.core.stateOf("c-8")).toBe("waiting");
    let most = 0;
    while (h.running.size > 0) {
      h.finish([...h.running.keys()][0]!);
      most = Math.max(most, h.core.processingOn("w1").length);
    }
    expect(most).toBeLessThanOrEqual(8);
    expect(h.runs.map((r) => r.spec.key)).toEqual([...g.keys()]);
    // Every link after the first reads its input on the same worker, computed there first
    // or already held there.
    for (const { spec } of h.runs.slice(1)) expect(spec.deps[0]![1].every((w) => w === "w1")).toBe(true);
    expect(h.ready).toEqual([`c-${n - 1}`]);
    expect(h.frees).toHaveLength(n - 1);
  });

  test("eager placement accepts inputs already in memory on another worker", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.core.addWorker("w2");
    h.core.addData("w2", "far", 10);
    h.pump();
    h.submit(graphOf({ a: root(), b: reads("a", "far") }), ["b"]);
    // b's inputs are a (processing on w1) and far (already in memory on w2): b follows a
    // to w1 at once and will fetch far from w2.
    expect(h.runKeys()).toEqual(["a", "b"]);
    expect(h.specOf("b").deps).toEqual([
      ["a", []],
      ["far", ["w2"]],
    ]);
    expect(h.running.get("b")).toBe(h.running.get("a"));
  });
});

// ── failures ───────────────────────────────────────────────────────────────────────────

describe("task errors", () => {
  // bad → mid → out1, mid → out2 ; ok1 → ok2 (independent)
  const g = graphOf({
    bad: root(),
    mid: reads("bad"),
    out1: reads("mid"),
    out2: reads("mid"),
    ok1: root(),
    ok2: reads("ok1"),
  });

  test("an erred task errs every dependent, blames itself, and independent branches finish", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.submit(g, ["out1", "out2", "ok2"]);
    expect(h.runKeys().sort()).toEqual(["bad", "mid", "ok1", "ok2", "out1", "out2"]);

    const failure = boom("division by zero");
    const cmds = h.fail("bad", failure);
    expect(h.states("bad", "mid", "out1", "out2")).toEqual({
      bad: "erred",
      mid: "erred",
      out1: "erred",
      out2: "erred",
    });
    // Dependents already sent to the worker are abandoned there.
    expect(cmds.filter((c) => c.op === "abandon").map((c) => (c as { key: Key }).key).sort()).toEqual([
      "mid",
      "out1",
      "out2",
    ]);
    // Only wanted keys are reported, each blaming the task that actually failed.
    expect(h.erred.map((e) => e.key).sort()).toEqual(["out1", "out2"]);
    for (const e of h.erred) {
      expect(e.blame).toBe("bad");
      expect(e.failure).toEqual(failure);
    }
    expect(h.core.failureOf("out1")).toEqual({ failure, blame: "bad" });
    expect(h.core.failureOf("bad")).toEqual({ failure, blame: "bad" });

    // The independent branch is untouched.
    expect(h.states("ok1", "ok2")).toEqual({ ok1: "processing", ok2: "processing" });
    h.finishAll();
    expect(h.ready).toEqual(["ok2"]);
    expect(h.core.stateOf("ok2")).toBe("memory");

    // A late report of an abandoned task is dropped (its result freed).
    h.core.taskFinished("w1", "mid", { nbytes: 8, start: 0, stop: 1 });
    expect(h.pump()).toEqual([{ op: "free", worker: "w1", key: "mid" }]);
    expect(h.core.stateOf("mid")).toBe("erred");
  });

  test("asking again for an erred key reports the error at once", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.submit(g, ["out1"]);
    h.fail("bad");
    h.erred.length = 0;
    h.submit(g, ["out1"]);
    expect(h.last).toEqual([{ op: "key-erred", key: "out1", failure: boom(), blame: "bad" }]);
  });

  test("a new task reading an erred key errs at once, blaming the original failure", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.submit(g, ["out1"]);
    h.fail("bad");
    h.erred.length = 0;
    h.submit(graphOf({ later: reads("out1") }), ["later"]);
    expect(h.core.stateOf("later")).toBe("erred");
    expect(h.last).toEqual([{ op: "key-erred", key: "later", failure: boom(), blame: "bad" }]);
  });

  test("after releasing, the same graph runs afresh", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.submit(g, ["out1", "out2", "ok2"]);
    h.fail("bad");
    h.finishAll();
    h.core.releaseKeys(["out1", "out2", "ok2"]);
    h.pump();
    expect(h.core.taskCount).toBe(0);
    expect(h.core.failureOf("out1")).toBeUndefined();

    const before = h.runs.length;
    h.ready.length = 0;
    h.erred.length = 0;
    h.submit(g, ["out1", "out2", "ok2"]);
    expect(h.core.failureOf("out1")).toBeUndefined();
    h.finishAll();
    // Every task ran again, once (the worker's slots may spread them over several batches).
    expect(h.runs.slice(before).map((r) => r.spec.key).sort()).toEqual(["bad", "mid", "ok1", "ok2", "out1", "out2"]);
    expect(h.ready.sort()).toEqual(["ok2", "out1", "out2"]);
    expect(h.erred).toEqual([]);
    expect(h.core.failureOf("out1")).toBeUndefined();
  });
});

// ── worker loss ────────────────────────────────────────────────────────────────────────

describe("a worker removed while processing", () => {
  test("its tasks go back and are sent to the remaining worker", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.core.addWorker("w2");
    const keys = Array.from({ length: 10 }, (_, i) => `r-${i}`);
    h.submit(new Map(keys.map((k) => [k, root()] as [Key, Task])), keys);
    const onW1 = h.core.processingOn("w1");
    const onW2 = h.core.processingOn("w2");
    expect(onW1.length + onW2.length).toBe(10);
    expect(onW1.length).toBeGreaterThan(0);

    h.core.removeWorker("w1", "crashed", onW1[0]);
    const cmds = h.pump();
    // Nothing is sent to the dead worker; w2 takes over (up to its slots).
    expect(cmds.every((c) => c.op === "run" && c.worker === "w2")).toBe(true);
    expect(h.core.workerIds()).toEqual(["w2"]);
    expect(h.core.processingOn("w2")).toHaveLength(8);
    for (const k of onW1) expect(["queued", "processing"]).toContain(h.core.stateOf(k));
    // The harness forgets what the dead worker was running.
    for (const k of onW1) if (h.running.get(k) === "w1") h.running.delete(k);
    h.finishAll();
    expect(keys.every((k) => h.core.stateOf(k) === "memory")).toBe(true);
    expect(h.ready.sort()).toEqual([...keys].sort());
  });

  test("the task running at each death is blamed, and errs as killed-worker after allowedFailures + 1 deaths", () => {
    const h = new Harness({ allowedFailures: 2 });
    const g = graphOf({ poison: root(), bystander: root() });
    h.core.addWorker("w0");
    h.submit(g, ["poison", "bystander"]);
    expect(h.runKeys().sort()).toEqual(["bystander", "poison"]);

    for (let death = 1; death <= 3; death++) {
      const dying = `w${death - 1}`;
      expect(h.core.processingOn(dying).sort()).toEqual(["bystander", "poison"]);
      h.running.clear();
      h.core.removeWorker(dying, "crashed", "poison", "exit code 7");
      h.pump();
      if (death <= 2) {
        // No worker left: both wait for one, neither has failed.
        expect(h.states("poison", "bystander")).toEqual({ poison: "no-worker", bystander: "no-worker" });
        expect(h.erred).toEqual([]);
        h.core.addWorker(`w${death}`);
        h.pump();
        expect(h.runKeys().sort()).toEqual(["bystander", "poison"]);
      }
    }
    expect(h.core.stateOf("poison")).toBe("erred");
    expect(h.erred).toHaveLength(1);
    const [report] = h.erred;
    expect(report!.key).toBe("poison");
    expect(report!.blame).toBe("poison");
    expect(report!.failure.kind).toBe("killed-worker");
    expect(report!.failure.name).toBe("KilledWorker");
    expect(report!.failure.message).toContain("poison");
    expect(report!.failure.message).toContain("exit code 7");

    // The bystander was on every dead worker too, but never the one running: not blamed.
    expect(h.core.stateOf("bystander")).toBe("no-worker");
    h.core.addWorker("w9");
    h.pump();
    expect(h.runKeys()).toEqual(["bystander"]);
    h.finish("bystander");
    expect(h.core.stateOf("bystander")).toBe("memory");
  });

  test("closing or restarting a worker never blames its tasks", () => {
    const h = new Harness({ allowedFailures: 0 });
    h.submit(graphOf({ t: root() }), ["t"]);
    for (const [i, reason] of (["closed", "restarted", "closed"] as const).entries()) {
      h.core.addWorker(`w${i}`);
      h.pump();
      h.core.removeWorker(`w${i}`, reason, "t");
      h.pump();
    }
    expect(h.core.stateOf("t")).toBe("no-worker");
    expect(h.erred).toEqual([]);
  });

  test("a crash without a running key blames everything it was processing", () => {
    const h = new Harness({ allowedFailures: 0 });
    h.core.addWorker("w1");
    h.submit(graphOf({ p: root(), q: root() }), ["p", "q"]);
    h.core.removeWorker("w1", "crashed");
    h.pump();
    expect(h.states("p", "q")).toEqual({ p: "erred", q: "erred" });
    expect(h.erred.map((e) => e.failure.kind)).toEqual(["killed-worker", "killed-worker"]);
  });

  test("reports from the wrong worker change nothing but free the stray result", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.core.addWorker("w2");
    h.submit(graphOf({ a: root() }), ["a"]);
    const home = h.running.get("a")!;
    const other = home === "w1" ? "w2" : "w1";
    h.core.taskErred(other, "a", boom());
    expect(h.pump()).toEqual([]);
    expect(h.core.stateOf("a")).toBe("processing");
    h.core.taskFinished(other, "a", { nbytes: 8, start: 0, stop: 1 });
    expect(h.pump()).toEqual([{ op: "free", worker: other, key: "a" }]);
    expect(h.core.stateOf("a")).toBe("processing");
    h.finish("a");
    expect(h.core.whoHas("a")).toEqual([home]);
  });

  test("a replica of a key that is released but still known is freed on the worker that fetched it", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.core.addWorker("w2");
    h.submit(graphOf({ a: root(), b: reads("a") }), ["b"]);
    h.finishAll();
    expect(h.core.stateOf("a")).toBe("released");
    h.core.transferred("w2", "a", "w1", 8, 0, 1);
    expect(h.pump()).toEqual([{ op: "free", worker: "w2", key: "a" }]);
  });

  // A transfer of a key the core has already forgotten (its reader was cancelled while the
  // worker fetched it) must still free the copy, or it leaks on that worker.
  test("a replica of a forgotten key is freed on the worker that fetched it", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.core.addWorker("w2");
    h.core.transferred("w2", "ghost", "w1", 8, 0, 1);
    expect(h.pump()).toEqual([{ op: "free", worker: "w2", key: "ghost" }]);
  });

  test("removing an unknown worker is ignored; adding one twice throws", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    expect(() => h.core.removeWorker("nope", "crashed")).not.toThrow();
    expect(() => h.core.addWorker("w1")).toThrow(/already registered/);
  });
});

describe("results lost with a worker", () => {
  test("are recomputed from lineage when still needed, released dependencies first", () => {
    const h = new Harness();
    // a → b computed on w1; a is released once b exists.
    h.core.addWorker("w1");
    h.submit(graphOf({ a: root(), b: reads("a") }), ["b"]);
    h.finishAll();
    expect(h.states("a", "b")).toEqual({ a: "released", b: "memory" });

    // c reads b (on w1) and a big scattered x (on w2): c runs on w2 and would fetch b.
    h.core.addWorker("w2");
    h.core.addData("w2", "x", 1_000_000);
    h.pump();
    h.submit(graphOf({ c: reads("b", "x") }), ["c"]);
    expect(h.running.get("c")).toBe("w2");
    expect(h.specOf("c").deps).toEqual([
      ["b", ["w1"]],
      ["x", ["w2"]],
    ]);
    // The client lets go of b: c still needs it.
    h.core.releaseKeys(["b"]);
    expect(h.pump()).toEqual([]);

    h.core.removeWorker("w1", "crashed");
    const cmds = h.pump();
    // c cannot fetch b any more: it is taken back and b is recomputed, a first.
    expect(cmds).toContainEqual({ op: "abandon", worker: "w2", key: "c" });
    expect(h.runKeys(cmds)).toEqual(["a", "b", "c"]);
    expect(cmds.filter((c) => c.op === "run").every((c) => c.op === "run" && c.worker === "w2")).toBe(true);
    expect(h.specOf("b").deps).toEqual([["a", []]]);
    expect(h.specOf("c").deps).toEqual([
      ["b", []],
      ["x", ["w2"]],
    ]);
    expect(h.states("a", "b", "c")).toEqual({ a: "processing", b: "processing", c: "processing" });

    h.finishAll();
    expect(h.core.stateOf("c")).toBe("memory");
    expect(h.core.whoHas("c")).toEqual(["w2"]);
    expect(h.states("a", "b")).toEqual({ a: "released", b: "released" });
    expect(h.ready).toEqual(["b", "c"]);
  });

  test("a wanted result is recomputed; a result with a replica elsewhere is not", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.core.addWorker("w2");
    h.submit(graphOf({ solo: root(), shared: root() }), ["solo", "shared"]);
    // Both went to one worker (slots); make "shared" also live on the other.
    const home = h.running.get("solo")!;
    const other = home === "w1" ? "w2" : "w1";
    h.finishAll();
    h.core.transferred(other, "shared", home, 8, 0, 1);
    expect(h.pump()).toEqual([]);
    expect(h.core.whoHas("shared").sort()).toEqual(["w1", "w2"]);

    h.core.removeWorker(home, "crashed");
    const cmds = h.pump();
    expect(h.runKeys(cmds)).toEqual(["solo"]);
    expect(h.running.get("solo")).toBe(other);
    expect(h.core.stateOf("shared")).toBe("memory");
    expect(h.core.whoHas("shared")).toEqual([other]);
  });

  test("are not recomputed when nothing needs them any more", () => {
    // x is read only by y; y is killed with the worker (allowedFailures 0), so x is not needed.
    const h = new Harness({ allowedFailures: 0 });
    h.core.addWorker("w1");
    h.submit(graphOf({ x: root(), y: reads("x") }), ["y"]);
    h.finish("x");
    expect(h.states("x", "y")).toEqual({ x: "memory", y: "processing" });
    h.core.removeWorker("w1", "crashed", "y");
    h.core.addWorker("w2");
    const cmds = h.pump();
    expect(h.runKeys(cmds)).toEqual([]);
    expect(h.states("x", "y")).toEqual({ x: "released", y: "erred" });
    expect(h.erred.map((e) => [e.key, e.failure.kind])).toEqual([["y", "killed-worker"]]);
  });

  test("scattered data that is lost errs with kind lost, and so does what reads it", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.core.addWorker("w2");
    h.core.addData("w1", "s", 100);
    h.pump();
    // A reader placed on the other worker, to keep it pending while s is lost.
    h.core.addData("w2", "big", 1_000_000);
    h.pump();
    h.submit(graphOf({ r: reads("s", "big") }), ["r"]);
    expect(h.running.get("r")).toBe("w2");

    h.core.removeWorker("w1", "crashed");
    const cmds = h.pump();
    expect(h.states("s", "r")).toEqual({ s: "erred", r: "erred" });
    expect(h.runKeys(cmds)).toEqual([]);
    const byKey = new Map(h.erred.map((e) => [e.key, e]));
    expect(byKey.get("s")!.failure.kind).toBe("lost");
    expect(byKey.get("s")!.failure.message).toContain("s");
    expect(byKey.get("r")!.failure.kind).toBe("lost");
    expect(byKey.get("r")!.blame).toBe("s");
  });

  // Taking b back from w1 must take back c too, placed eagerly behind it on w1 (its spec
  // says "b is computed here"); otherwise b goes to w3 and c waits on w1 forever.
  test("a dependent whose remote input is lost is re-placed with its eager dependents", () => {
    // y is made on w2; x (bigger) sits on w1, so b = f(x, y) goes to w1 and its reader c
    // follows eagerly (its spec says: b is computed here). w2 dies: b is taken back from w1
    // and y is recomputed on the idle w3, where b now follows y eagerly. c, still placed on
    // w1 and waiting for a local b, must be taken back or told where b is: otherwise w1
    // waits for a b that will never be computed there.
    const h = new Harness();
    h.core.addWorker("w2");
    h.submit(graphOf({ y: root() }), ["y"]);
    h.finish("y", 10);
    h.core.addWorker("w1");
    h.core.addData("w1", "x", 1_000);
    h.pump();
    h.submit(graphOf({ b: reads("x", "y"), c: reads("b") }), ["c"]);
    expect(h.running.get("b")).toBe("w1");
    expect(h.running.get("c")).toBe("w1");
    expect(h.specOf("c").deps).toEqual([["b", []]]);
    h.core.releaseKeys(["y"]);
    h.pump();

    h.core.addWorker("w3");
    h.core.removeWorker("w2", "crashed");
    h.pump();
    // b and the c placed behind it both come back from w1.
    expect(h.abandons).toContainEqual(["w1", "b"]);
    expect(h.abandons).toContainEqual(["w1", "c"]);
    h.finish("y");
    const bWorker = h.running.get("b")!;
    h.finish("b");
    // c must now be able to run: on b's worker (reading it locally) or told where b is.
    const cSpec = h.specOf("c");
    const cWorker = h.running.get("c");
    const bHolders = cSpec.deps.find(([k]) => k === "b")![1];
    const reachable = bHolders.length > 0 || cWorker === bWorker;
    expect(reachable).toBe(true);
  });
});

// ── cancellation ───────────────────────────────────────────────────────────────────────

describe("releasing keys still being computed", () => {
  test("abandons the processing task and releases dependencies nothing else needs", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    // shared → mine, shared → theirs
    h.submit(graphOf({ shared: root(), own: root(), mine: reads("shared", "own"), theirs: reads("shared") }), [
      "mine",
      "theirs",
    ]);
    h.finish("shared");
    h.finish("own");
    expect(h.states("shared", "own", "mine", "theirs")).toEqual({
      shared: "memory",
      own: "memory",
      mine: "processing",
      theirs: "processing",
    });

    h.core.releaseKeys(["mine"]);
    const cmds = h.pump();
    expect(cmds).toContainEqual({ op: "abandon", worker: "w1", key: "mine" });
    expect(cmds).toContainEqual({ op: "free", worker: "w1", key: "own" });
    expect(cmds).toHaveLength(2);
    expect(h.states("mine", "own")).toEqual({ mine: undefined, own: undefined });
    // shared is still read by theirs.
    expect(h.states("shared", "theirs")).toEqual({ shared: "memory", theirs: "processing" });

    // The worker had already finished mine: its result is dropped.
    h.core.taskFinished("w1", "mine", { nbytes: 8, start: 0, stop: 1 });
    expect(h.pump()).toEqual([{ op: "free", worker: "w1", key: "mine" }]);
    expect(h.core.stateOf("mine")).toBeUndefined();

    h.finish("theirs");
    expect(h.core.stateOf("theirs")).toBe("memory");
    expect(h.frees).toContainEqual(["w1", "shared"]);
  });

  test("cancelling a chain abandons every task of it, queued roots included", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    const keys = Array.from({ length: 20 }, (_, i) => `r-${i}`);
    const g = new Map<Key, Task>(keys.map((k) => [k, root()]));
    g.set("total", reads(...keys));
    h.submit(g, ["total"]);
    expect(h.runKeys()).toHaveLength(8);
    expect(h.core.stateOf("r-19")).toBe("queued");

    h.core.releaseKeys(["total"]);
    const cmds = h.pump();
    expect(cmds.every((c) => c.op === "abandon")).toBe(true);
    expect(cmds.map((c) => (c as { key: Key }).key).sort()).toEqual(h.runs.map((r) => r.spec.key).sort());
    expect(h.core.taskCount).toBe(0);
    expect(h.core.processingOn("w1")).toEqual([]);
    // Stale heap entries are skipped: nothing is run later.
    h.submit(graphOf({ later: root() }), ["later"]);
    expect(h.runKeys()).toEqual(["later"]);
  });

  test("a key wanted by two clients keeps running until both release it", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    const g = graphOf({ a: root(), b: reads("a") });
    h.submit(g, ["b"]);
    h.submit(g, ["b"]);
    expect(h.runs).toHaveLength(2); // the second submission adds nothing new

    h.core.releaseKeys(["b"]);
    expect(h.pump()).toEqual([]);
    expect(h.states("a", "b")).toEqual({ a: "processing", b: "processing" });

    h.core.releaseKeys(["b"]);
    const cmds = h.pump();
    expect(cmds.map((c) => [c.op, (c as { key: Key }).key]).sort()).toEqual([
      ["abandon", "a"],
      ["abandon", "b"],
    ]);
    expect(h.core.taskCount).toBe(0);
  });

  test("a key finished for one client stays for the other", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    const g = graphOf({ a: root() });
    h.submit(g, ["a"]);
    h.finish("a");
    h.submit(g, ["a"]);
    expect(h.last).toEqual([{ op: "key-memory", key: "a" }]);
    h.core.releaseKeys(["a"]);
    expect(h.pump()).toEqual([]);
    expect(h.core.stateOf("a")).toBe("memory");
    h.core.releaseKeys(["a"]);
    expect(h.pump()).toEqual([{ op: "free", worker: "w1", key: "a" }]);
  });
});

// ── graph updates ──────────────────────────────────────────────────────────────────────

describe("updateGraph", () => {
  test("a dependency that is neither in the graph nor known throws, naming both keys", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    expect(() => h.core.updateGraph(graphOf({ a: root(), b: reads("a", "ghost") }), ["b"])).toThrow(
      /Task b depends on ghost/,
    );
    expect(h.core.taskCount).toBe(0);
    expect(h.pump()).toEqual([]);
    expect(h.states("a", "b")).toEqual({ a: undefined, b: undefined });
  });

  // A rejected graph must not link its tasks to known keys (they would never be forgotten).
  test("a failed update leaves known keys untouched (they are still forgotten when released)", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.submit(graphOf({ kept: root() }), ["kept"]);
    h.finish("kept");
    expect(() => h.core.updateGraph(graphOf({ b: reads("kept", "ghost") }), ["b"])).toThrow(/b.*ghost/);
    expect(h.core.taskCount).toBe(1);
    expect(h.pump()).toEqual([]);

    h.core.releaseKeys(["kept"]);
    expect(h.pump()).toEqual([{ op: "free", worker: "w1", key: "kept" }]);
    // The half-added b must not keep a reference on kept.
    expect(h.core.taskCount).toBe(0);
  });

  // A bad wanted key must be rejected before any record is added.
  test("a wanted key missing from the graph throws and adds nothing", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    expect(() => h.core.updateGraph(graphOf({ a: root() }), ["nope"])).toThrow(/nope/);
    expect(h.pump()).toEqual([]);
    expect(h.core.taskCount).toBe(0);
  });

  test("a graph may read a key already in memory (a persisted result)", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.submit(graphOf({ p: root() }), ["p"]);
    h.finish("p", 64);
    const runsBefore = h.runs.length;

    // The new graph repeats p's task (same key, same computation) and reads it.
    h.submit(graphOf({ p: root(), q: reads("p") }), ["q"]);
    expect(h.runKeys()).toEqual(["q"]);
    expect(h.specOf("q").deps).toEqual([["p", ["w1"]]]);
    h.finish("q");
    expect(h.runs.length - runsBefore).toBe(1);
    // p is still held by its own want.
    expect(h.core.stateOf("p")).toBe("memory");
    h.core.releaseKeys(["q"]);
    h.pump();
    expect(h.core.stateOf("p")).toBe("memory");
    h.core.releaseKeys(["p"]);
    h.pump();
    expect(h.core.taskCount).toBe(0);
  });

  test("tasks nobody wants are forgotten at once", () => {
    const h = new Harness();
    h.core.addWorker("w1");
    h.submit(graphOf({ a: root(), b: reads("a"), unused: root() }), ["b"]);
    expect(h.core.stateOf("unused")).toBeUndefined();
    expect(h.core.taskCount).toBe(2);
  });
});

describe("no-worker", () => {
  test("tasks submitted with zero workers run once a worker is added", () => {
    const h = new Harness();
    h.submit(graphOf({ a: root(), b: reads("a"), s: root() }), ["b", "s"]);
    expect(h.last).toEqual([]);
    expect(h.states("a", "b", "s")).toEqual({ a: "no-worker", b: "waiting", s: "no-worker" });

    h.core.addWorker("w1");
    h.pump();
    expect(h.runKeys().sort()).toEqual(["a", "b", "s"]);
    h.finishAll();
    expect(h.ready.sort()).toEqual(["b", "s"]);
  });

  test("a no-worker task that is released is forgotten and never runs", () => {
    const h = new Harness();
    h.submit(graphOf({ a: root() }), ["a"]);
    h.core.releaseKeys(["a"]);
    h.pump();
    expect(h.core.taskCount).toBe(0);
    h.core.addWorker("w1");
    expect(h.pump()).toEqual([]);
  });
});

// ── events ─────────────────────────────────────────────────────────────────────────────

describe("events", () => {
  const taskEvents = (events: TesseraEvent[], key: Key): string[] =>
    events.filter((e) => "key" in e && e.key === key).map((e) => e.type);

  test("a run emits queued, assigned, started, finished and released events in order", () => {
    const log = new EventLog();
    const seen: TesseraEvent[] = [];
    const unsubscribe = log.subscribe((e) => seen.push(e));
    expect(log.active).toBe(true);

    const h = new Harness({ events: log });
    h.core.addWorker("w1", 2);
    h.submit(graphOf({ "inc-0123456789abcdef": root(), "sum-fedcba9876543210": reads("inc-0123456789abcdef") }), [
      "sum-fedcba9876543210",
    ]);
    h.core.taskFinished("w1", "inc-0123456789abcdef", { nbytes: 8, start: 1000, stop: 1005, thread: 1 });
    h.core.taskFinished("w1", "sum-fedcba9876543210", { nbytes: 16, start: 1005, stop: 1010 });
    h.pump();
    h.core.releaseKeys(["sum-fedcba9876543210"]);
    h.pump();
    unsubscribe();
    expect(log.active).toBe(false);

    expect(seen[0]).toMatchObject({ type: "worker-added", worker: "w1", threads: 2 });
    expect(seen[1]).toMatchObject({ type: "graph-submitted", ntasks: 2, keys: ["sum-fedcba9876543210"] });
    expect(taskEvents(seen, "inc-0123456789abcdef")).toEqual([
      "task-queued",
      "task-assigned",
      "task-started",
      "task-finished",
      "task-released",
    ]);
    expect(taskEvents(seen, "sum-fedcba9876543210")).toEqual([
      "task-queued",
      "task-assigned",
      "task-started",
      "task-finished",
      "task-released",
    ]);
    // The input is released when its reader finishes, before the output is.
    const i = seen.findIndex((e) => e.type === "task-released" && e.key === "inc-0123456789abcdef");
    const j = seen.findIndex((e) => e.type === "task-finished" && e.key === "sum-fedcba9876543210");
    expect(i).toBeGreaterThan(j);

    const finished = seen.find((e) => e.type === "task-finished" && e.key === "inc-0123456789abcdef");
    expect(finished).toMatchObject({
      prefix: "inc",
      worker: "w1",
      thread: 1,
      start: 1000,
      stop: 1005,
      nbytes: 8,
      time: 1005,
    });
    const started = seen.find((e) => e.type === "task-started" && e.key === "inc-0123456789abcdef");
    expect(started).toMatchObject({ prefix: "inc", time: 1000, thread: 1 });
    const assigned = seen.find((e) => e.type === "task-assigned" && e.key === "sum-fedcba9876543210");
    expect(assigned).toMatchObject({ prefix: "sum", worker: "w1" });
    for (const e of seen) expect(typeof e.time).toBe("number");
  });

  test("errors and worker removal are events too", () => {
    const log = new EventLog();
    log.keepHistory(100);
    const h = new Harness({ events: log, allowedFailures: 0 });
    h.core.addWorker("w1");
    h.submit(graphOf({ a: root(), b: reads("a") }), ["b"]);
    h.fail("a", boom("nope"));
    h.submit(graphOf({ c: root() }), ["c"]);
    h.core.removeWorker("w1", "crashed", "c", "segfault");
    const events = log.history();
    expect(events.filter((e) => e.type === "task-erred")).toEqual([
      expect.objectContaining({ key: "a", blame: "a", error: { name: "Error", message: "nope" } }),
      expect.objectContaining({ key: "b", blame: "a" }),
      expect.objectContaining({ key: "c", blame: "c", error: expect.objectContaining({ name: "KilledWorker" }) }),
    ]);
    expect(events.filter((e) => e.type === "worker-removed")).toEqual([
      expect.objectContaining({ worker: "w1", reason: "crashed: segfault" }),
    ]);
  });

  test("with no subscriber and no history the log is inactive and records nothing", () => {
    const log = new EventLog();
    expect(log.active).toBe(false);
    const h = new Harness({ events: log });
    h.core.addWorker("w1");
    h.submit(graphOf({ a: root() }), ["a"]);
    h.finishAll();
    expect(log.active).toBe(false);
    expect(log.history()).toEqual([]);
    // A late subscriber sees only what happens from then on.
    const seen: TesseraEvent[] = [];
    log.subscribe((e) => seen.push(e));
    h.core.releaseKeys(["a"]);
    expect(seen.map((e) => e.type)).toEqual(["task-released"]);
  });

  test("keepHistory(n) keeps only the last n events, oldest first", () => {
    const log = new EventLog();
    log.keepHistory(3);
    expect(log.active).toBe(true);
    for (let i = 0; i < 10; i++) log.emit({ type: "worker-added", worker: `w${i}`, threads: 1 });
    expect(log.history().map((e) => (e as { worker: string }).worker)).toEqual(["w7", "w8", "w9"]);
    // Shrinking keeps the newest.
    log.keepHistory(2);
    expect(log.history().map((e) => (e as { worker: string }).worker)).toEqual(["w8", "w9"]);
    log.emit({ type: "worker-added", worker: "w10", threads: 1 });
    expect(log.history().map((e) => (e as { worker: string }).worker)).toEqual(["w9", "w10"]);
    log.keepHistory(0);
    expect(log.history()).toEqual([]);
    expect(log.active).toBe(false);
  });

  test("a throwing listener does not stop the others", () => {
    const log = new EventLog();
    const seen: string[] = [];
    log.subscribe(() => {
      throw new Error("faulty consumer");
    });
    log.subscribe((e) => seen.push(e.type));
    log.emit({ type: "worker-added", worker: "w", threads: 1 });
    expect(seen).toEqual(["worker-added"]);
  });

  test("stream() yields events, filters by type, and stops on return()", async () => {
    const log = new EventLog();
    const stream = log.stream({ types: ["task-finished", "worker-added"] });
    expect(log.active).toBe(true);
    const h = new Harness({ events: log });
    h.core.addWorker("w1");
    h.submit(graphOf({ a: root() }), ["a"]);
    h.finish("a");

    const first = await stream.next();
    expect(first).toEqual({ done: false, value: expect.objectContaining({ type: "worker-added", worker: "w1" }) });
    const second = await stream.next();
    expect(second).toEqual({ done: false, value: expect.objectContaining({ type: "task-finished", key: "a" }) });

    // A pending next() is woken by the next event.
    const pending = stream.next();
    h.core.addWorker("w2");
    expect(await pending).toEqual({ done: false, value: expect.objectContaining({ type: "worker-added", worker: "w2" }) });

    // A pending next() is ended by return().
    const waiting = stream.next();
    await stream.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(log.active).toBe(false);
  });

  test("stream() works with for await and stops on an abort signal", async () => {
    const log = new EventLog();
    const controller = new AbortController();
    const got: string[] = [];
    const consumer = (async () => {
      for await (const e of log.stream({ signal: controller.signal })) {
        got.push((e as { worker: string }).worker);
        if (got.length === 2) controller.abort();
      }
    })();
    for (let i = 0; i < 5; i++) {
      log.emit({ type: "worker-added", worker: `w${i}`, threads: 1 });
      await Promise.resolve();
    }
    await consumer;
    // Events queued before the abort may still be read; nothing after the abort arrives.
    expect(got.slice(0, 2)).toEqual(["w0", "w1"]);
    expect(got.every((w, i) => w === `w${i}`)).toBe(true);
    expect(log.active).toBe(false);
  });

  test("stream() drops the oldest events beyond its buffer and counts them", async () => {
    const log = new EventLog();
    const stream = log.stream({ bufferSize: 3 });
    for (let i = 0; i < 10; i++) log.emit({ type: "worker-added", worker: `w${i}`, threads: 1 });
    expect(stream.dropped).toBe(7);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(((await stream.next()).value as { worker: string }).worker);
    expect(got).toEqual(["w7", "w8", "w9"]);
    await stream.return();
  });

  // An already-aborted signal closes the stream at once (an 'abort' listener would never fire).
  test("stream() with an already-aborted signal is closed from the start", async () => {
    const log = new EventLog();
    const stream = log.stream({ signal: AbortSignal.abort() });
    // It must not hold a subscription (that would keep every emitter working for nobody).
    expect(log.active).toBe(false);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});
