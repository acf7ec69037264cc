/**
 * What the Cluster Map flashes: tasks the scheduler sends to each worker and results copied
 * between workers, counted per fixed window of time (so a panel can flash each window once,
 * however often it is sent) and in total.
 *
 * Each count is a map lookup and an increment. Distinct flows are capped, so a cluster that
 * churns through workers cannot grow the tables without bound.
 */
import type { ClusterMapState, FlowCount } from "../protocol.js";

export const FLOW_WINDOW_MS = 200;
/** Distinct (kind, from, to) flows kept per table; 32 workers all sending to all is 1024. */
const MAX_FLOWS = 1024;
export const SCHEDULER_SOURCE = "scheduler";

class FlowTable {
  /** Tasks sent, by worker. */
  private readonly tasks = new Map<string, FlowCount>();
  /** Transfers, by source then destination: no string is built per event. */
  private readonly transfers = new Map<string, Map<string, FlowCount>>();
  private held = 0;

  /** Distinct flows held. */
  get size(): number {
    return this.held;
  }

  taskSent(worker: string): void {
    const c = this.tasks.get(worker) ?? this.create(this.tasks, "task", SCHEDULER_SOURCE, worker);
    if (c) c.count++;
  }

  transfer(from: string, to: string, nbytes: number): void {
    let byTarget = this.transfers.get(from);
    if (!byTarget) {
      if (this.held >= MAX_FLOWS) return;
      byTarget = new Map();
      this.transfers.set(from, byTarget);
    }
    const c = byTarget.get(to) ?? this.create(byTarget, "transfer", from, to);
    if (!c) return;
    c.count++;
    c.nbytes += nbytes;
  }

  forgetWorker(worker: string): void {
    if (this.tasks.delete(worker)) this.held--;
    const from = this.transfers.get(worker);
    if (from) {
      this.held -= from.size;
      this.transfers.delete(worker);
    }
    for (const byTarget of this.transfers.values()) if (byTarget.delete(worker)) this.held--;
  }

  clear(): void {
    this.tasks.clear();
    this.transfers.clear();
    this.held = 0;
  }

  list(): FlowCount[] {
    const out: FlowCount[] = [];
    for (const c of this.tasks.values()) out.push({ ...c });
    for (const byTarget of this.transfers.values()) for (const c of byTarget.values()) out.push({ ...c });
    return out;
  }

  private create(into: Map<string, FlowCount>, kind: FlowCount["kind"], from: string, to: string): FlowCount | null {
    if (this.held >= MAX_FLOWS) return null;
    const c: FlowCount = { kind, from, to, count: 0, nbytes: 0 };
    into.set(to, c);
    this.held++;
    return c;
  }
}

export class ClusterFlows {
  private readonly total = new FlowTable();
  private current = new FlowTable();
  private previous = new FlowTable();
  private currentWindow = -1;
  private previousWindow = -1;

  constructor(readonly windowMs = FLOW_WINDOW_MS) {}

  /** Distinct flows counted in total. */
  get size(): number {
    return this.total.size;
  }

  /** `arrival` (ms since the epoch) picks the window; null counts only the total (history replay). */
  taskSent(worker: string, arrival: number | null): void {
    this.total.taskSent(worker);
    if (arrival !== null) this.windowAt(arrival).taskSent(worker);
  }

  transfer(from: string, to: string, nbytes: number, arrival: number | null): void {
    this.total.transfer(from, to, nbytes);
    if (arrival !== null) this.windowAt(arrival).transfer(from, to, nbytes);
  }

  forgetWorker(worker: string): void {
    this.total.forgetWorker(worker);
    this.current.forgetWorker(worker);
    this.previous.forgetWorker(worker);
  }

  /** The last window that ended before `now`, and the totals. */
  state(now: number): ClusterMapState {
    const last = Math.floor(now / this.windowMs) - 1;
    const recent = last === this.currentWindow ? this.current : last === this.previousWindow ? this.previous : null;
    return {
      windowMs: this.windowMs,
      windowStart: last * this.windowMs,
      recent: recent ? recent.list() : [],
      total: this.total.list(),
    };
  }

  /** Events arrive in time order, so windows only move forward; the two tables are reused. */
  private windowAt(arrival: number): FlowTable {
    const w = Math.floor(arrival / this.windowMs);
    if (w <= this.currentWindow) return this.current;
    const reuse = this.previous;
    reuse.clear();
    if (w !== this.currentWindow + 1) this.current.clear(); // nothing happened in the window before
    this.previous = this.current;
    this.previousWindow = w - 1;
    this.current = reuse;
    this.currentWindow = w;
    return this.current;
  }
}
