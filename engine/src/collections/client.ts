/**
 * Client and LocalCluster: the dask.distributed-style entry point.
 *
 *   const client = await Client.start();                 // a LocalCluster of worker threads
 *   const f = client.submit((a: number, b: number) => a * b, 6, 7);
 *   await f.result();                                     // 42
 *   await client.close();
 *
 * The first Client started becomes the default for `compute()` until it is closed.
 */
import { randomUUID } from "node:crypto";
import { totalmem } from "node:os";
import type { EventStream, EventType, TesseraEvent } from "../diagnostics/events.js";
import { order } from "../graph/order.js";
import { call, type Graph, type Key } from "../graph/task.js";
import { tokenize } from "../graph/tokenize.js";
import { activeClient, setActiveClient, type SchedulerProvider } from "../scheduler/default-scheduler.js";
import { rememberFunction } from "../scheduler/local-functions.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { shipFunction, type AnyFunction } from "../scheduler/ship.js";
import { ThreadPool } from "../scheduler/thread-pool.js";
import { argsToNodes } from "./args.js";
import { isCollection, type TesseraCollection } from "./collection.js";
import { collectionsToGraph, runGraph, type ComputeOptions } from "./compute.js";
import { isDelayedFunction, type DelayedFunction } from "./delayed.js";
import { Future, persistOn } from "./futures.js";
import { startClusterDashboard, type ClusterDashboardOptions } from "../dashboard/cluster.js";
import { clusterControlRoutes, type ClusterControl, type ClusterInfo } from "../dashboard/control.js";
import type { DashboardServer } from "../dashboard/server.js";

/** `dashboardAddress` (default ":8787", i.e. 127.0.0.1:8787 or the next free port; false: none). */
export interface LocalClusterOptions extends ClusterDashboardOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  nWorkers?: number;
  /** Heap limit per worker thread in MiB; a worker over it is replaced and its task retried. */
  memoryLimitMb?: number;
  /** Worker deaths a task may cause before it errs with KilledWorker (default 3). */
  allowedFailures?: number;
  /** How long a cancelled task may keep running before its thread is replaced (default 200 ms). */
  cancelGraceMs?: number;
  /** Events to keep for `client.eventHistory()` (default 10 000; 0 turns history off). */
  eventHistory?: number;
}

/** Worker threads on this machine, driven by one scheduler. */
export class LocalCluster implements SchedulerProvider, ClusterControl {
  private constructor(
    readonly scheduler: Scheduler,
    private readonly pool: ThreadPool,
  ) {}

  static async start(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
    const pool = new ThreadPool({
      ...(opts.nWorkers !== undefined ? { nWorkers: opts.nWorkers } : {}),
      ...(opts.memoryLimitMb !== undefined ? { memoryLimitMb: opts.memoryLimitMb } : {}),
      ...(opts.cancelGraceMs !== undefined ? { cancelGraceMs: opts.cancelGraceMs } : {}),
    });
    const scheduler = await Scheduler.start(pool, {
      ...(opts.allowedFailures !== undefined ? { allowedFailures: opts.allowedFailures } : {}),
    });
    scheduler.events.keepHistory(opts.eventHistory ?? 10_000);
    const cluster = new LocalCluster(scheduler, pool);
    cluster.dashboard = await startClusterDashboard(scheduler, opts);
    // Its page and JupyterLab's cluster section can scale and restart it (control.ts).
    cluster.dashboard?.use(clusterControlRoutes(cluster));
    return cluster;
  }

  /** The live dashboard of this cluster, if it has one. */
  dashboard: DashboardServer | null = null;

  /** Per-worker summary: threads, tasks processing, keys and bytes held. */
  workers(): ReturnType<Scheduler["core"]["workerSummary"]> {
    return this.scheduler.core.workerSummary();
  }

  get nWorkers(): number {
    return this.pool.info().workers;
  }

  /**
   * Run `n` worker threads (Dask's `cluster.scale(n)`). Scaling down retires the workers
   * holding least; what they were running runs elsewhere and the results only they hold are
   * copied to the others first, so no result is lost or recomputed.
   */
  async scale(n: number): Promise<void> {
    await this.scheduler.scale(n);
  }

  /** Replace every worker (as `client.restart()`); the cluster keeps its size. */
  async restart(): Promise<void> {
    await this.scheduler.restart();
  }

  /** Workers, threads and memory, for the dashboard's cluster section. */
  info(): ClusterInfo {
    const placeable = new Set(this.scheduler.core.placeableWorkers());
    const workers = this.workers().filter((w) => placeable.has(w.id));
    return {
      kind: "LocalCluster",
      workers: workers.length,
      threads: workers.reduce((a, w) => a + w.nthreads, 0),
      memory: workers.reduce((a, w) => a + w.nbytes, 0),
      machineMemory: totalmem(),
      processing: workers.reduce((a, w) => a + w.processing, 0),
      perWorker: workers.map(({ id, nthreads, processing, keys, nbytes }) => ({ id, nthreads, processing, keys, nbytes })),
    };
  }

  async close(): Promise<void> {
    await this.dashboard?.close();
    await this.scheduler.close();
  }

  toString(): string {
    return `LocalCluster(workers=${this.nWorkers}, threads=${this.pool.info().threads})`;
  }
}

export interface SubmitOptions {
  /** Same function and arguments → same key, computed once (default true, as in Dask). */
  pure?: boolean;
  /** An explicit key for the result. */
  key?: Key;
}

export class Client implements SchedulerProvider {
  private closed = false;

  private constructor(
    readonly cluster: LocalCluster,
    private readonly ownsCluster: boolean,
  ) {}

  /** Start a LocalCluster (or use the given one) and connect to it. */
  static async start(opts: LocalClusterOptions & { cluster?: LocalCluster; setAsDefault?: boolean } = {}): Promise<Client> {
    const cluster = opts.cluster ?? (await LocalCluster.start(opts));
    const client = new Client(cluster, !opts.cluster);
    if (opts.setAsDefault !== false) setActiveClient(client);
    return client;
  }

  /** The default client, if one is running. */
  static current(): Client | undefined {
    const c = activeClient();
    return c instanceof Client && !c.closed ? c : undefined;
  }

  /** Where the dashboard is (`http://127.0.0.1:8787/status`), or null without one. */
  get dashboardLink(): string | null {
    return this.cluster.dashboard?.link ?? null;
  }

  get scheduler(): Scheduler {
    return this.cluster.scheduler;
  }

  // Overloads rather than `fn: F | DelayedFunction<F>`: with the union, TypeScript infers
  // `never` parameters for `function` expressions, and a DelayedFunction's own call
  // signature (which returns a Delayed) for delayed functions.
  /** Run `fn(...args)` on a worker now; arguments may be Futures (or arrays/objects of them). */
  submit<F extends AnyFunction>(fn: DelayedFunction<F>, ...args: SubmitArgs<Parameters<F>>): Future<Awaited<ReturnType<F>>>;
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: NoInfer<SubmitArgs<A>>): Future<Awaited<R>>;
  submit(fn: AnyFunction, ...args: unknown[]): Future {
    return this.submitTask({}, fn, args);
  }

  /** `submit` with options (`pure`, `key`). */
  submitWith<F extends AnyFunction>(
    opts: SubmitOptions,
    fn: DelayedFunction<F>,
    ...args: SubmitArgs<Parameters<F>>
  ): Future<Awaited<ReturnType<F>>>;
  submitWith<A extends unknown[], R>(
    opts: SubmitOptions,
    fn: (...args: A) => R,
    ...args: NoInfer<SubmitArgs<A>>
  ): Future<Awaited<R>>;
  submitWith(opts: SubmitOptions, fn: AnyFunction, ...args: unknown[]): Future {
    return this.submitTask(opts, fn, args);
  }

  private submitTask(opts: SubmitOptions, fn: AnyFunction, args: unknown[]): Future {
    this.ensureOpen();
    const fnRef = isDelayedFunction(fn) ? fn.fnRef : shipFunction(fn);
    if (!isDelayedFunction(fn)) rememberFunction(fnRef.id, fn);
    const { nodes, graphs } = argsToNodes(args);
    const pure = opts.pure ?? true;
    const key = opts.key ?? `${fnRef.name.replace(/[[\]\s]/g, "_")}-${pure ? tokenize(fnRef.id, ...args) : randomUUID().replaceAll("-", "")}`;
    const graph: Graph = new Map();
    for (const g of graphs) for (const [k, t] of g.toGraph()) graph.set(k, t);
    graph.set(key, call(fnRef, ...nodes));
    this.scheduler.submit(graph, [key]);
    return new Future(key, this.scheduler);
  }

  /** `submit` over each item (Dask's `client.map`); several iterables are zipped. */
  map<F extends AnyFunction>(fn: DelayedFunction<F>, ...iterables: Iterable<unknown>[]): Future<Awaited<ReturnType<F>>>[];
  map<R>(fn: (...args: never[]) => R, ...iterables: Iterable<unknown>[]): Future<Awaited<R>>[];
  map(fn: AnyFunction, ...iterables: Iterable<unknown>[]): Future[] {
    const columns = iterables.map((it) => [...it]);
    const n = Math.min(...columns.map((c) => c.length));
    const out: Future[] = [];
    for (let i = 0; i < n; i++) out.push(this.submitTask({}, fn, columns.map((c) => c[i])));
    return out;
  }

  /** Results of futures, keeping the shape: a Future, an array of them, or an object of them. */
  async gather<T>(futures: Future<T>): Promise<T>;
  async gather<T>(futures: Future<T>[]): Promise<T[]>;
  async gather<T>(futures: Record<string, Future<T>>): Promise<Record<string, T>>;
  async gather(futures: Future | Future[] | Record<string, Future>): Promise<unknown> {
    if (futures instanceof Future) return futures.result();
    const list = Array.isArray(futures) ? futures : Object.values(futures);
    await Promise.all(list.map((f) => f.whenDone()));
    for (const f of list) {
      const err = await f.exception();
      if (err) throw err;
    }
    const values = await this.scheduler.gather(list.map((f) => f.key));
    if (Array.isArray(futures)) return values;
    return Object.fromEntries(Object.keys(futures).map((k, i) => [k, values[i]]));
  }

  /** Put data on workers; an array gives one Future per element (as in Dask). */
  async scatter<T>(data: T[]): Promise<Future<T>[]>;
  async scatter<T>(data: T): Promise<Future<T>>;
  async scatter(data: unknown): Promise<Future | Future[]> {
    this.ensureOpen();
    const items = Array.isArray(data) ? data : [data];
    const entries: [Key, unknown][] = items.map((v) => [`scatter-${tokenize(v)}`, v]);
    await this.scheduler.scatter(entries);
    const futures = entries.map(([k]) => new Future(k, this.scheduler));
    return Array.isArray(data) ? futures : futures[0]!;
  }

  /** Start computing a collection; returns a Future of its result (Dask's `client.compute`). */
  compute<T>(collection: TesseraCollection<T>, opts: Omit<ComputeOptions, "scheduler" | "signal"> = {}): Future<T> {
    this.ensureOpen();
    const keys = collection.__tesseraKeys();
    if (keys.length !== 1) {
      throw new TypeError("client.compute takes single-key collections; use compute(collection) for partitioned ones.");
    }
    const { graph } = collectionsToGraph([collection], opts);
    this.scheduler.submit(graph, keys, order(graph));
    return new Future<T>(keys[0]!, this.scheduler);
  }

  /** Compute collections into cluster memory; returns them backed by the results. */
  persist<T extends TesseraCollection[]>(...collections: T): Promise<T> {
    this.ensureOpen();
    return persistOn(this.scheduler, collections);
  }

  /** Compute collections on this cluster (like `compute(..., { scheduler: client })`). */
  async computeNow<T>(collection: TesseraCollection<T>, opts: Omit<ComputeOptions, "scheduler"> = {}): Promise<T> {
    const { graph, keys } = collectionsToGraph([collection], opts);
    return collection.__tesseraPostcompute(await runGraph(this.scheduler, graph, keys, opts.signal));
  }

  /** Run a raw task graph on this cluster. */
  get(graph: Graph, keys: Key[], opts: { signal?: AbortSignal } = {}): Promise<unknown[]> {
    return runGraph(this.scheduler, graph, keys, opts.signal);
  }

  /** Cancel futures: their tasks stop unless something else needs them. */
  cancel(futures: Future | Future[]): void {
    for (const f of Array.isArray(futures) ? futures : [futures]) f.cancel();
  }

  /** Live events (task and worker transitions) from now on. */
  events(opts: { bufferSize?: number; signal?: AbortSignal; types?: EventType[] } = {}): EventStream {
    return this.scheduler.events.stream(opts);
  }

  /** Recent events kept by the cluster, oldest first. */
  eventHistory(): TesseraEvent[] {
    return this.scheduler.events.history();
  }

  /** Replace every worker; all results in memory are dropped. */
  async restart(): Promise<void> {
    await this.scheduler.restart();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (activeClient() === this) setActiveClient(null);
    if (this.ownsCluster) await this.cluster.close();
  }

  toString(): string {
    const w = this.cluster.workers();
    const bytes = w.reduce((a, x) => a + x.nbytes, 0);
    return `Client(workers=${w.length}, threads=${w.reduce((a, x) => a + x.nthreads, 0)}, memory=${bytes} B)`;
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error("This client was closed.");
  }
}

/** Each parameter may be given as a value or as a Future of it. */
type SubmitArgs<P extends unknown[]> = { [K in keyof P]: P[K] | Future<P[K]> | TesseraCollection<P[K]> };

export { isCollection };
