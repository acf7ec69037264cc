/**
 * Folds the event stream into the small state the dashboard draws: recent task rectangles,
 * per-prefix progress counters, recent exceptions and the workers seen.
 *
 * It runs inside an EventLog listener, on the scheduler's own thread, so each event costs O(1)
 * work and a bounded amount of memory: rectangles and exceptions live in fixed-size rings,
 * prefixes are capped, and a key is remembered only while the scheduler itself still holds it
 * (released and cancelled keys are forgotten). Serialising for the wire happens elsewhere, at
 * the server's own cadence, never per event.
 */
import type { EventLog, TesseraEvent } from "../diagnostics/events.js";
import type { Key } from "../graph/task.js";
import type { DashboardException, DashboardSnapshot, PrefixProgress, TaskRect, WorkerRow } from "./protocol.js";

/** Dask keeps the last 1000 rectangles in its task stream; so do we. */
export const DEFAULT_RECT_CAPACITY = 1000;
const DEFAULT_EXCEPTION_CAPACITY = 50;
/** Beyond this many distinct prefixes, new ones are counted together as "other". */
const MAX_PREFIXES = 500;
const OTHER_PREFIX = "other";

type Bucket = "waiting" | "processing" | "memory" | "erred";

interface KeyState {
  readonly progress: PrefixProgress;
  bucket: Bucket;
}

/**
 * The progress bar a prefix belongs to. The scheduler strips hex tokens (`inc-1a2b3c4d…` → `inc`);
 * keys numbered by hand (`x-1`, `x-2`, `chunk-3-7`) would each get a bar of their own, so
 * trailing numeric parts are stripped too, as Dask's `key_split` does.
 */
function groupName(prefix: string): string {
  let end = prefix.length;
  for (;;) {
    const dash = prefix.lastIndexOf("-", end - 1);
    if (dash <= 0 || dash === end - 1) break;
    let digits = true;
    for (let i = dash + 1; i < end && digits; i++) {
      const c = prefix.charCodeAt(i);
      digits = c >= 48 && c <= 57;
    }
    if (!digits) break;
    end = dash;
  }
  return end === prefix.length ? prefix : prefix.slice(0, end);
}

/** A fixed-capacity ring that also numbers what it has ever held, so readers can ask "since n". */
class Ring<T> {
  private readonly items: T[] = [];
  /** How many items were ever pushed; the newest item has sequence number `pushed - 1`. */
  pushed = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.pushed % this.capacity] = item;
    this.pushed++;
  }

  get size(): number {
    return this.items.length;
  }

  /** Items with sequence number ≥ `seq` that are still held, oldest first. */
  since(seq: number): T[] {
    const first = Math.max(seq, this.pushed - this.items.length);
    const out: T[] = [];
    for (let s = first; s < this.pushed; s++) out.push(this.items[s % this.capacity]!);
    return out;
  }
}

export interface AggregatorOptions {
  rectCapacity?: number;
  exceptionCapacity?: number;
  /** Live per-worker numbers from the scheduler (keys and bytes held, tasks processing). */
  workers?: () => { id: string; nthreads: number; processing: number; keys: number; nbytes: number }[];
}

export interface AggregatorStats {
  rects: number;
  exceptions: number;
  prefixes: number;
  liveKeys: number;
  workers: number;
}

export class DashboardAggregator {
  private readonly rects: Ring<TaskRect>;
  private readonly exceptions: Ring<DashboardException>;
  private readonly prefixes = new Map<string, PrefixProgress>();
  private readonly keys = new Map<Key, KeyState>();
  private readonly workerThreads = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private readonly workerSummary: AggregatorOptions["workers"];
  /** Bumped by every event that changed something; the server sends only when it moved. */
  version = 0;

  constructor(events: EventLog, opts: AggregatorOptions = {}) {
    this.rects = new Ring(opts.rectCapacity ?? DEFAULT_RECT_CAPACITY);
    this.exceptions = new Ring(opts.exceptionCapacity ?? DEFAULT_EXCEPTION_CAPACITY);
    this.workerSummary = opts.workers;
    this.unsubscribe = events.subscribe((event) => this.apply(event));
  }

  close(): void {
    this.unsubscribe();
  }

  /** Sequence number of the next rectangle; pass it back to `snapshot` to get only newer ones. */
  get rectCursor(): number {
    return this.rects.pushed;
  }

  /** Everything a panel needs; `rectsSince` limits the task stream to rectangles not yet sent. */
  snapshot(rectsSince = 0): DashboardSnapshot {
    return {
      time: Date.now(),
      version: this.version,
      rects: this.rects.since(rectsSince),
      rectCapacity: this.rects.capacity,
      progress: [...this.prefixes.values()].map((p) => ({ ...p })),
      workers: this.workers(),
      exceptions: this.exceptions.since(0),
    };
  }

  /** Sizes of everything held, for tests and for anyone wondering what the dashboard costs. */
  stats(): AggregatorStats {
    return {
      rects: this.rects.size,
      exceptions: this.exceptions.size,
      prefixes: this.prefixes.size,
      liveKeys: this.keys.size,
      workers: this.workerThreads.size,
    };
  }

  private workers(): WorkerRow[] {
    const live = this.workerSummary?.() ?? [];
    const rows: WorkerRow[] = live.map((w) => ({
      id: w.id,
      nthreads: w.nthreads,
      processing: w.processing,
      keys: w.keys,
      nbytes: w.nbytes,
    }));
    // Workers known only from events (no live summary, e.g. in tests) still get a row.
    for (const [id, nthreads] of this.workerThreads) {
      if (!rows.some((r) => r.id === id)) rows.push({ id, nthreads, processing: 0, keys: 0, nbytes: 0 });
    }
    return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private progressOf(rawPrefix: string): PrefixProgress {
    const prefix = groupName(rawPrefix);
    let p = this.prefixes.get(prefix);
    if (p) return p;
    const name = this.prefixes.size >= MAX_PREFIXES ? OTHER_PREFIX : prefix;
    p = this.prefixes.get(name) ?? { prefix: name, total: 0, waiting: 0, processing: 0, memory: 0, erred: 0, done: 0 };
    this.prefixes.set(name, p);
    return p;
  }

  /** Move a key to `bucket`, creating its record (and counting it in `total`) if new. */
  private move(key: Key, prefix: string, bucket: Bucket): void {
    const ks = this.keys.get(key);
    if (ks) {
      ks.progress[ks.bucket]--;
      ks.progress[bucket]++;
      ks.bucket = bucket;
      return;
    }
    const progress = this.progressOf(prefix);
    progress.total++;
    progress[bucket]++;
    this.keys.set(key, { progress, bucket });
  }

  private forget(key: Key, done: boolean): void {
    const ks = this.keys.get(key);
    if (!ks) return;
    ks.progress[ks.bucket]--;
    if (done && ks.bucket === "memory") ks.progress.done++;
    else ks.progress.total--;
    this.keys.delete(key);
  }

  private apply(e: TesseraEvent): void {
    switch (e.type) {
      case "task-queued":
        this.move(e.key, e.prefix, "waiting");
        break;
      case "task-assigned":
        this.move(e.key, e.prefix, "processing");
        break;
      case "task-finished":
        this.move(e.key, e.prefix, "memory");
        this.rects.push({
          key: e.key,
          prefix: groupName(e.prefix),
          worker: e.worker,
          thread: e.thread,
          start: e.start,
          stop: e.stop,
          kind: "compute",
        });
        break;
      case "task-erred":
        this.move(e.key, e.prefix, "erred");
        if (e.blame === e.key) {
          this.exceptions.push({ key: e.key, worker: e.worker, name: e.error.name, message: e.error.message, time: e.time });
        }
        break;
      case "task-released":
        this.forget(e.key, true);
        break;
      case "task-cancelled":
        this.forget(e.key, false);
        break;
      case "transfer":
        this.rects.push({
          key: e.key,
          prefix: "transfer",
          worker: e.to,
          thread: 0,
          start: e.start,
          stop: e.stop,
          kind: "transfer",
        });
        break;
      case "worker-added":
        this.workerThreads.set(e.worker, e.threads);
        break;
      case "worker-removed":
        this.workerThreads.delete(e.worker);
        break;
      default:
        return; // graph-submitted, task-started, worker-restarted: nothing to draw
    }
    this.version++;
  }
}
