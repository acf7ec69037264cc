/**
 * The cluster's total memory over time, for the Worker Memory panel. Sampled when the server
 * serialises a message (there is no event per byte), one sample per bucket, in a bounded ring.
 */
import type { MemorySample } from "../protocol.js";
import { Ring } from "./ring.js";

export const MEMORY_SAMPLE_MS = 500;
/** Two minutes at 500 ms. */
const MEMORY_SAMPLES = 240;

export class MemoryHistory {
  private readonly samples: Ring<MemorySample>;

  constructor(
    readonly sampleMs = MEMORY_SAMPLE_MS,
    capacity = MEMORY_SAMPLES,
  ) {
    this.samples = new Ring(capacity);
  }

  /** Record the total at `time`; a later sample in the same bucket replaces the earlier one. */
  record(time: number, nbytes: number): void {
    const last = this.samples.last;
    if (last && Math.floor(last.time / this.sampleMs) === Math.floor(time / this.sampleMs)) {
      last.time = time;
      last.nbytes = nbytes;
      return;
    }
    this.samples.push({ time, nbytes });
  }

  list(): MemorySample[] {
    return this.samples.since(0).map((s) => ({ ...s }));
  }
}
