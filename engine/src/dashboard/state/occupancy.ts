/**
 * Busy fraction of each worker over time, for the CPU / Occupancy panel: the thread-time its
 * finished tasks spent in each time bucket, over its threads × the bucket's length.
 *
 * Tasks are reported when they finish, so a bucket keeps filling after it ends; the whole
 * (bounded) series is sent each time. A task adds to the few buckets it overlaps (at most the
 * ring's length), slots are reused as time moves on, and workers are capped.
 */
import type { OccupancyState, WorkerOccupancy } from "../protocol.js";

export const OCCUPANCY_BUCKET_MS = 500;
/** One minute of history at 500 ms. */
const OCCUPANCY_BUCKETS = 120;
const MAX_WORKERS = 256;

export class OccupancySeries {
  /** Which bucket each slot holds now (-1: none). */
  private readonly slotBucket: Float64Array;
  /** Busy milliseconds per worker, per slot. */
  private readonly busy = new Map<string, Float64Array>();
  /** The series starts here: when the dashboard started, or earlier if older work was replayed. */
  private firstBucket: number;

  constructor(
    startedAt: number,
    readonly bucketMs = OCCUPANCY_BUCKET_MS,
    readonly capacity = OCCUPANCY_BUCKETS,
  ) {
    this.slotBucket = new Float64Array(capacity).fill(-1);
    this.firstBucket = Math.floor(startedAt / bucketMs);
  }

  get workers(): number {
    return this.busy.size;
  }

  addWorker(id: string): void {
    this.seriesOf(id);
  }

  removeWorker(id: string): void {
    this.busy.delete(id);
  }

  /** A task ran on `worker` from `start` to `stop` (ms since the epoch). */
  addBusy(worker: string, start: number, stop: number): void {
    if (!(stop > start)) return;
    const series = this.seriesOf(worker);
    if (!series) return;
    const B = this.bucketMs;
    const last = Math.floor(stop / B);
    const first = Math.max(Math.floor(start / B), last - this.capacity + 1);
    for (let b = first; b <= last; b++) {
      const overlap = Math.min(stop, (b + 1) * B) - Math.max(start, b * B);
      if (overlap <= 0) continue;
      const slot = b % this.capacity;
      const held = this.slotBucket[slot]!;
      if (held > b) continue; // older than anything kept
      if (held < b) this.claim(slot, b);
      series[slot]! += overlap;
    }
    if (first < this.firstBucket) this.firstBucket = first;
  }

  /**
   * Complete buckets up to `now`, for the workers seen and those in `live` (which may not have
   * run anything yet). `threadsOf` says how many threads a worker has (default 1).
   */
  state(now: number, live: readonly string[], threadsOf: (id: string) => number | undefined): OccupancyState {
    const B = this.bucketMs;
    const end = Math.floor(now / B) - 1;
    const start = Math.max(this.firstBucket, end - this.capacity + 1);
    const ids = new Set([...this.busy.keys(), ...live]);
    const workers: WorkerOccupancy[] = [];
    for (const id of [...ids].sort()) {
      const nthreads = Math.max(1, threadsOf(id) ?? 1);
      const series = this.busy.get(id);
      const busy: number[] = [];
      for (let b = start; b <= end; b++) {
        const slot = b % this.capacity;
        const ms = series && this.slotBucket[slot] === b ? series[slot]! : 0;
        busy.push(Math.min(1, Math.round((ms / (nthreads * B)) * 1000) / 1000));
      }
      workers.push({ id, nthreads, busy });
    }
    return { bucketMs: B, start: start * B, workers };
  }

  private seriesOf(worker: string): Float64Array | null {
    let series = this.busy.get(worker);
    if (series) return series;
    if (this.busy.size >= MAX_WORKERS) return null;
    series = new Float64Array(this.capacity);
    // Slots already claimed hold other workers' buckets; this worker was idle in them.
    this.busy.set(worker, series);
    return series;
  }

  /** Give `slot` to bucket `b`: what every worker had there belongs to a bucket now too old. */
  private claim(slot: number, b: number): void {
    this.slotBucket[slot] = b;
    for (const series of this.busy.values()) series[slot] = 0;
  }
}
