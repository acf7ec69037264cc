/**
 * The Progress panel's counters: tasks of each prefix by state. Every task event passes
 * through here on the scheduler's thread, so the per-key record is a small integer in one Map
 * (prefix number × 4 + state) and the counters are typed arrays: no object per key, no
 * property looked up by a state's name (profiled on 100k no-op tasks: a quarter less time
 * than an object per key, and less garbage).
 */
import type { Key } from "../../graph/task.js";
import type { PrefixProgress } from "../protocol.js";

export const WAITING = 0;
export const PROCESSING = 1;
export const MEMORY = 2;
export const ERRED = 3;
export type Bucket = typeof WAITING | typeof PROCESSING | typeof MEMORY | typeof ERRED;

/** Beyond this many distinct prefixes, new ones are counted together as "other". */
const MAX_PREFIXES = 500;
const OTHER_PREFIX = "other";
/** Raw prefixes remembered with their group (keys numbered by hand can make many). */
const MAX_RAW_PREFIXES = 4096;

/**
 * The progress bar a prefix belongs to. The scheduler strips hex tokens (`inc-1a2b3c4d…` → `inc`);
 * keys numbered by hand (`x-1`, `x-2`, `chunk-3-7`) would each get a bar of their own, so
 * trailing numeric parts are stripped too, as Dask's `key_split` does.
 */
export function groupName(prefix: string): string {
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

export class ProgressCounts {
  private readonly names: string[] = [];
  /** Per prefix number: waiting, processing, memory, erred, total, done. */
  private counts = new Int32Array(6 * 16);
  private readonly byName = new Map<string, number>();
  private readonly byRawPrefix = new Map<string, number>();
  private readonly keys = new Map<Key, number>();

  get size(): number {
    return this.names.length;
  }

  get liveKeys(): number {
    return this.keys.size;
  }

  private prefixNumber(rawPrefix: string): number {
    const known = this.byRawPrefix.get(rawPrefix);
    if (known !== undefined) return known;
    const group = groupName(rawPrefix);
    const name = this.byName.has(group) || this.names.length < MAX_PREFIXES ? group : OTHER_PREFIX;
    let n = this.byName.get(name);
    if (n === undefined) {
      n = this.names.push(name) - 1;
      this.byName.set(name, n);
      if (6 * this.names.length > this.counts.length) {
        const grown = new Int32Array(this.counts.length * 2);
        grown.set(this.counts);
        this.counts = grown;
      }
    }
    if (this.byRawPrefix.size < MAX_RAW_PREFIXES) this.byRawPrefix.set(rawPrefix, n);
    return n;
  }

  /** Move `key` to `bucket`, counting it in its prefix's total if it is new. */
  move(key: Key, rawPrefix: string, bucket: Bucket): void {
    const c = this.counts;
    const record = this.keys.get(key);
    if (record !== undefined) {
      const base = (record >> 2) * 6;
      c[base + (record & 3)]!--;
      c[base + bucket]!++;
      this.keys.set(key, (record & ~3) | bucket);
      return;
    }
    const n = this.prefixNumber(rawPrefix);
    this.counts[n * 6 + bucket]!++;
    this.counts[n * 6 + 4]!++;
    this.keys.set(key, (n << 2) | bucket);
  }

  /** `key` released (`done`: a result that was in memory is finished) or cancelled. */
  forget(key: Key, done: boolean): void {
    const record = this.keys.get(key);
    if (record === undefined) return;
    const c = this.counts;
    const base = (record >> 2) * 6;
    const bucket = record & 3;
    c[base + bucket]!--;
    if (done && bucket === MEMORY) c[base + 5]!++;
    else c[base + 4]!--;
    this.keys.delete(key);
  }

  list(): PrefixProgress[] {
    const c = this.counts;
    return this.names.map((prefix, n) => ({
      prefix,
      waiting: c[n * 6 + WAITING]!,
      processing: c[n * 6 + PROCESSING]!,
      memory: c[n * 6 + MEMORY]!,
      erred: c[n * 6 + ERRED]!,
      total: c[n * 6 + 4]!,
      done: c[n * 6 + 5]!,
    }));
  }
}
