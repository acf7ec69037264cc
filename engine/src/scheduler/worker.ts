/**
 * The worker runtime: the entry point of each worker thread.
 *
 * A worker holds the results it computed (data stays where it was made), runs the tasks it
 * is sent in priority order, fetches inputs it lacks straight from the peer worker that
 * holds them, and reports completions to the scheduler in batches. Tasks whose inputs are
 * being computed on this same worker simply wait for them, so a chain runs without a
 * round trip to the scheduler per task.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import type { WorkerId } from "../diagnostics/events.js";
import type { Key } from "../graph/task.js";
import type { TaskFailure } from "./core.js";
import { evaluate, isThenable, type ExecutionContext } from "./execute.js";
import { MinHeap } from "./heap.js";
import type { DepLocation } from "./core.js";
import type { Task } from "../graph/task.js";
import {
  toFailure,
  type FromWorker,
  type PeerMessage,
  type RunBatch,
  type ToWorker,
  type TransferReport,
  type WorkerInit,
} from "./protocol.js";
import { decodeValue, encodeValue } from "./share.js";
import { sizeof } from "./sizeof.js";

/** Longest stretch of task running before reporting and reading new messages. */
const SLICE_MS = 4;
/** Report after this many completions even inside a slice, so the scheduler can refill early. */
const REPORT_EVERY = 512;

interface LocalTask {
  key: Key;
  seq: number;
  priority: number;
  task: Task;
  missing: number;
  abandoned: boolean;
  /** Set while the task awaits a promise: abandoning it stops the wait at once. */
  stopWaiting?: () => void;
}

/** Completions since the last report, kept as columns (see CompletionBatch). */
const report = {
  seqs: [] as number[],
  nbytes: [] as number[],
  start: [] as number[],
  stop: [] as number[],
  failures: [] as [number, TaskFailure][],
  dropped: [] as number[],
};

const init = workerData as WorkerInit;
const port = parentPort!;
const status = new Int32Array(init.status);

const data = new Map<Key, unknown>();
const tasks = new Map<Key, LocalTask>();
/** Tasks waiting for an input, by input key. */
const waiters = new Map<Key, LocalTask[]>();
const ready = new MinHeap<LocalTask>();
const peers = new Map<WorkerId, MessagePort>();
/**
 * Inputs being fetched, with the other workers known to hold them, so two tasks needing the
 * same input fetch it once and a fetch from a worker that dies is retried from another.
 */
const fetching = new Map<Key, WorkerId[]>();
const pendingFetches = new Map<number, { from: WorkerId; keys: Key[]; start: number }>();
let fetchId = 0;

let transfers: TransferReport[] = [];
let draining = false;

const context: ExecutionContext = {
  get(key) {
    if (!data.has(key)) throw new Error(`Input ${key} is not on worker ${init.id}.`);
    return data.get(key);
  },
};

function post(msg: FromWorker): void {
  port.postMessage(msg);
}

port.on("message", (msg: ToWorker) => {
  switch (msg.type) {
    case "update":
      for (const key of msg.free) data.delete(key);
      for (const key of msg.abandon) abandon(key);
      if (msg.run) acceptBatch(msg.run);
      schedule();
      return;
    case "get": {
      const { values, errors } = collect(msg.keys);
      sendValues((m) => post(m), { type: "values" as const, id: msg.id, values, errors }, msg.keys);
      return;
    }
    case "put": {
      const value = decodeValue(msg.value);
      data.set(msg.key, value);
      post({ type: "put-done", id: msg.id, nbytes: sizeof(value) });
      wake(msg.key);
      schedule();
      return;
    }
    case "peer":
      peers.set(msg.worker, msg.port);
      msg.port.on("message", (m: PeerMessage) => onPeerMessage(msg.worker, msg.port, m));
      return;
    case "peer-lost": {
      peers.get(msg.worker)?.close();
      peers.delete(msg.worker);
      const elsewhere = new Map(msg.holders);
      for (const [id, f] of pendingFetches) {
        if (f.from !== msg.worker) continue;
        pendingFetches.delete(id);
        // Ask another holder (the ones known when the task came, or copies made since); with
        // none left the input is lost, and the scheduler takes the waiting tasks back to
        // recompute it.
        const retry: [Key, WorkerId[]][] = [];
        for (const key of f.keys) {
          const known = [...(fetching.get(key) ?? []), ...(elsewhere.get(key) ?? [])];
          fetching.delete(key);
          if (data.has(key)) continue; // placed here meanwhile
          const others = [...new Set(known)].filter((h) => h !== msg.worker && h !== init.id && peers.has(h));
          if (others.length > 0) retry.push([key, others]);
        }
        requestFetches(retry);
      }
      return;
    }
  }
});

function acceptBatch(batch: RunBatch): void {
  for (let i = 0; i < batch.keys.length; i++) {
    accept(batch.keys[i]!, batch.seqs[i]!, batch.priorities[i]!, batch.tasks[i]!, batch.deps[i]!);
  }
}

function accept(key: Key, seq: number, priority: number, spec: Task, deps: DepLocation[] | 0): void {
  const task: LocalTask = { key, seq, priority, task: spec, missing: 0, abandoned: false };
  tasks.set(key, task);
  if (deps === 0) {
    ready.push(task, priority);
    return;
  }
  let toFetch: [Key, WorkerId[]][] | null = null;
  for (const [dep, holders] of deps) {
    if (data.has(dep)) continue;
    task.missing++;
    let list = waiters.get(dep);
    if (!list) waiters.set(dep, (list = []));
    list.push(task);
    // No holders: the input is being computed here, and `wake` will release this task.
    if (holders.length === 0 || fetching.has(dep)) continue;
    const remote = holders.filter((h) => h !== init.id && peers.has(h));
    if (remote.length > 0) (toFetch ??= []).push([dep, remote]);
  }
  if (toFetch) requestFetches(toFetch);
  if (task.missing === 0) ready.push(task, priority);
}

/** Fetch inputs from peers, one message per peer; `holders` are candidates, best first. */
function requestFetches(wanted: [Key, WorkerId[]][]): void {
  const byPeer = new Map<WorkerId, Key[]>();
  for (const [key, holders] of wanted) {
    // Spread load over replicas: pick a holder by the key's length.
    const from = holders[key.length % holders.length]!;
    fetching.set(key, holders);
    let keys = byPeer.get(from);
    if (!keys) byPeer.set(from, (keys = []));
    keys.push(key);
  }
  for (const [from, keys] of byPeer) {
    const id = ++fetchId;
    pendingFetches.set(id, { from, keys, start: now() });
    peers.get(from)!.postMessage({ type: "fetch", id, keys } satisfies PeerMessage);
  }
}

function abandon(key: Key): void {
  const task = tasks.get(key);
  if (task) {
    task.abandoned = true;
    tasks.delete(key);
    report.dropped.push(task.seq);
    task.stopWaiting?.();
  }
}

/** An input arrived (computed here or fetched): wake the tasks waiting for it. */
function wake(key: Key): void {
  const list = waiters.get(key);
  if (!list) return;
  waiters.delete(key);
  for (const task of list) {
    if (task.abandoned) continue;
    if (--task.missing === 0) ready.push(task, task.priority);
  }
}

function onPeerMessage(peer: WorkerId, peerPort: MessagePort, msg: PeerMessage): void {
  if (msg.type === "fetch") {
    const { values, errors } = collect(msg.keys);
    sendValues((m) => peerPort.postMessage(m), { type: "fetched" as const, id: msg.id, values, errors }, msg.keys);
    return;
  }
  const pending = pendingFetches.get(msg.id);
  if (!pending) return; // the peer was declared lost meanwhile
  pendingFetches.delete(msg.id);
  const stop = now();
  const failed = new Set(msg.errors.map(([k]) => k));
  for (let i = 0; i < pending.keys.length; i++) {
    const key = pending.keys[i]!;
    if (failed.has(key)) continue;
    const value = msg.values[i];
    fetching.delete(key);
    const decoded = decodeValue(value);
    const nbytes = sizeof(decoded);
    data.set(key, decoded);
    transfers.push({ key, from: peer, nbytes, start: pending.start, stop });
    wake(key);
  }
  for (const [key, reason] of msg.errors) {
    fetching.delete(key);
    failWaiters(key, {
      kind: "error",
      name: "TransferError",
      message: `Could not move input ${key} from worker ${peer} to worker ${init.id}: ${reason}`,
    });
  }
  schedule();
}

function failWaiters(key: Key, failure: TaskFailure): void {
  const list = waiters.get(key) ?? [];
  waiters.delete(key);
  const t = now();
  for (const task of list) {
    if (task.abandoned) continue;
    task.abandoned = true;
    tasks.delete(task.key);
    addCompletion(task.seq, 0, t, t, failure);
  }
}

/** Values for keys, prepared to cross threads; the shared form replaces the local one. */
/** Values for keys (aligned with `keys`), prepared to cross threads; the shared form replaces the local one. */
function collect(keys: Key[]): { values: unknown[]; errors: [Key, string][] } {
  const values = new Array<unknown>(keys.length);
  const errors: [Key, string][] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!data.has(key)) {
      errors.push([key, `worker ${init.id} does not hold it`]);
      continue;
    }
    const local = data.get(key);
    const wire = encodeValue(local);
    if (wire !== local && ArrayBuffer.isView(wire)) data.set(key, wire);
    values[i] = wire;
  }
  return { values, errors };
}

/** Post values; a value that cannot be cloned becomes a per-key error instead of a lost reply. */
function sendValues<M extends { values: unknown[]; errors: [Key, string][] }>(
  send: (m: M) => void,
  msg: M,
  keys: Key[],
): void {
  try {
    send(msg);
  } catch {
    const values = msg.values.map((value, i) => {
      try {
        structuredClone(value);
        return value;
      } catch (err) {
        msg.errors.push([keys[i]!, `its value cannot be sent between threads (${(err as Error).message})`]);
        return undefined;
      }
    });
    send({ ...msg, values });
  }
}

function schedule(): void {
  if (draining || ready.size === 0) {
    flush();
    return;
  }
  draining = true;
  setImmediate(() => void drain());
}

async function drain(): Promise<void> {
  let sliceStart = performance.now();
  while (ready.size > 0) {
    const task = ready.pop()!;
    if (task.abandoned) continue;
    // Only asynchronous tasks are awaited: an `await` per synchronous task would cost a
    // microtask turn each.
    const pending = runTask(task);
    if (pending) await pending;
    if (report.seqs.length >= REPORT_EVERY) flush();
    if (performance.now() - sliceStart > SLICE_MS) {
      flush();
      await new Promise<void>((r) => setImmediate(r));
      sliceStart = performance.now();
    }
  }
  draining = false;
  flush();
}

function runTask(task: LocalTask): void | Promise<void> {
  const start = now();
  Atomics.store(status, 0, task.seq);
  let result: unknown;
  try {
    result = evaluate(task.task, context);
  } catch (err) {
    Atomics.store(status, 0, 0);
    finish(task, start, { ok: false, err });
    return;
  }
  if (isThenable(result)) {
    // Awaiting leaves the thread responsive: a negative seq tells the pool this task can be
    // abandoned without terminating the thread.
    Atomics.store(status, 0, -task.seq);
    const abandoned = new Promise<void>((resolve) => (task.stopWaiting = resolve));
    const settled = Promise.resolve(result).then(
      (value) => finish(task, start, { ok: true, value }),
      (err: unknown) => finish(task, start, { ok: false, err }),
    );
    return Promise.race([settled, abandoned]).then(() => {
      task.stopWaiting = undefined;
      Atomics.store(status, 0, 0);
    });
  }
  Atomics.store(status, 0, 0);
  finish(task, start, { ok: true, value: result });
}

function finish(task: LocalTask, start: number, outcome: { ok: true; value: unknown } | { ok: false; err: unknown }): void {
  const { key } = task;
  const stop = now();
  // Remembered so a crash just after a task returned (a timer it left behind) can be blamed on it.
  Atomics.store(status, 1, task.seq);
  if (task.abandoned) return;
  tasks.delete(key);
  if (outcome.ok) {
    data.set(key, outcome.value);
    addCompletion(task.seq, sizeof(outcome.value), start, stop);
    wake(key);
  } else {
    addCompletion(task.seq, 0, start, stop, toFailure(outcome.err));
  }
}

function addCompletion(seq: number, nbytes: number, start: number, stop: number, failure?: TaskFailure): void {
  if (failure) report.failures.push([report.seqs.length, failure]);
  report.seqs.push(seq);
  report.nbytes.push(nbytes);
  report.start.push(start);
  report.stop.push(stop);
}

function flush(): void {
  if (report.seqs.length === 0 && report.dropped.length === 0 && transfers.length === 0) return;
  post({
    type: "report",
    done: {
      seqs: Int32Array.from(report.seqs),
      nbytes: Float64Array.from(report.nbytes),
      start: Float64Array.from(report.start),
      stop: Float64Array.from(report.stop),
      failures: report.failures,
      dropped: Int32Array.from(report.dropped),
    },
    transfers,
  });
  report.seqs = [];
  report.nbytes = [];
  report.start = [];
  report.stop = [];
  report.failures = [];
  report.dropped = [];
  transfers = [];
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

post({ type: "ready" });
