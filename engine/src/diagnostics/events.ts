/**
 * The engine's event stream (DESIGN idea 5). Every state transition is a typed event;
 * progress bars, the task stream and the dashboard only ever consume these.
 *
 * Emitting is guarded by `EventLog.active`, so with no subscriber and no history the
 * scheduler pays one boolean check per transition and allocates nothing.
 */
import type { Key } from "../graph/task.js";

export type WorkerId = string;

interface Stamp {
  /** Milliseconds since the Unix epoch (performance.timeOrigin + performance.now()). */
  time: number;
}

export type TesseraEvent =
  | (Stamp & {
      type: "graph-submitted";
      ntasks: number;
      keys: Key[];
      /** The tasks this submission added, with the keys each depends on (for graph drawings). */
      tasks?: { key: Key; dependencies: readonly Key[] }[];
    })
  | (Stamp & { type: "task-queued"; key: Key; prefix: string })
  | (Stamp & { type: "task-assigned"; key: Key; prefix: string; worker: WorkerId })
  | (Stamp & { type: "task-started"; key: Key; prefix: string; worker: WorkerId; thread: number })
  | (Stamp & {
      type: "task-finished";
      key: Key;
      prefix: string;
      worker: WorkerId;
      thread: number;
      start: number;
      stop: number;
      nbytes: number;
    })
  | (Stamp & {
      type: "task-erred";
      key: Key;
      prefix: string;
      worker: WorkerId | null;
      error: { name: string; message: string };
      /** The key whose failure caused this one (itself if it failed on its own). */
      blame: Key;
    })
  | (Stamp & { type: "task-released"; key: Key; prefix: string })
  | (Stamp & { type: "task-cancelled"; key: Key; prefix: string })
  | (Stamp & {
      type: "transfer";
      key: Key;
      from: WorkerId;
      to: WorkerId;
      nbytes: number;
      start: number;
      stop: number;
    })
  | (Stamp & { type: "worker-added"; worker: WorkerId; threads: number })
  | (Stamp & { type: "worker-removed"; worker: WorkerId; reason: string })
  | (Stamp & { type: "worker-restarted"; worker: WorkerId; reason: string });

export type EventType = TesseraEvent["type"];

/** A distributive Omit, so `emit({ type: "…", … })` is checked per event type. */
export type EventBody = TesseraEvent extends infer E ? (E extends TesseraEvent ? Omit<E, "time"> : never) : never;

export const now = (): number => performance.timeOrigin + performance.now();

type Listener = (event: TesseraEvent) => void;

/**
 * Fan-out of events to listeners plus a bounded ring buffer of recent history.
 * History is off until someone asks for it (`keepHistory`), so an unobserved
 * scheduler stays allocation-free.
 */
export class EventLog {
  private readonly listeners = new Set<Listener>();
  private ring: TesseraEvent[] = [];
  private ringStart = 0;
  private historyCapacity = 0;
  /** True when anything consumes events; emitters check it before building an event. */
  active = false;

  /** Keep the last `capacity` events (0 turns history off). */
  keepHistory(capacity: number): void {
    const kept = this.history();
    this.historyCapacity = Math.max(0, Math.floor(capacity));
    this.ring = this.historyCapacity > 0 ? kept.slice(-this.historyCapacity) : [];
    this.ringStart = 0;
    this.refresh();
  }

  /** Stamp `body` with the current time and record it. `body` must be a fresh object: it becomes the event. */
  emit(body: EventBody): void {
    if (!this.active) return;
    (body as TesseraEvent).time = now();
    this.record(body as TesseraEvent);
  }

  /** Emit an event that already carries its time (e.g. measured in a worker). */
  record(event: TesseraEvent): void {
    if (!this.active) return;
    if (this.historyCapacity > 0) {
      if (this.ring.length < this.historyCapacity) this.ring.push(event);
      else {
        this.ring[this.ringStart] = event;
        this.ringStart = (this.ringStart + 1) % this.historyCapacity;
      }
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A faulty consumer must never break the scheduler.
      }
    }
  }

  /** Recent events, oldest first. */
  history(): TesseraEvent[] {
    return [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.refresh();
    return () => {
      this.listeners.delete(listener);
      this.refresh();
    };
  }

  /**
   * An async iterator over events from now on. Events queue up while the consumer is
   * busy, up to `bufferSize`; beyond that the oldest are dropped (and counted in
   * `dropped`) so a slow consumer can never make the scheduler hold unbounded memory.
   */
  stream(opts: { bufferSize?: number; signal?: AbortSignal; types?: EventType[] } = {}): EventStream {
    return new EventStream(this, opts.bufferSize ?? 100_000, opts.signal, opts.types);
  }

  private refresh(): void {
    this.active = this.listeners.size > 0 || this.historyCapacity > 0;
  }
}

export class EventStream implements AsyncIterableIterator<TesseraEvent> {
  private readonly queue: TesseraEvent[] = [];
  private head = 0;
  private wake: ((r: IteratorResult<TesseraEvent>) => void) | null = null;
  private readonly unsubscribe: () => void;
  private closed = false;
  dropped = 0;

  constructor(
    log: EventLog,
    private readonly bufferSize: number,
    signal?: AbortSignal,
    types?: EventType[],
  ) {
    const wanted = types ? new Set<string>(types) : null;
    this.unsubscribe = log.subscribe((event) => {
      if (wanted && !wanted.has(event.type)) return;
      if (this.wake) {
        const wake = this.wake;
        this.wake = null;
        wake({ value: event, done: false });
        return;
      }
      this.queue.push(event);
      if (this.queue.length - this.head > this.bufferSize) {
        this.head++;
        this.dropped++;
      }
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
    });
    if (signal?.aborted) void this.return();
    else if (signal) {
      const onAbort = (): void => void this.return();
      signal.addEventListener("abort", onAbort, { once: true });
      this.detachSignal = () => signal.removeEventListener("abort", onAbort);
    }
  }

  private detachSignal: (() => void) | null = null;

  next(): Promise<IteratorResult<TesseraEvent>> {
    if (this.head < this.queue.length) {
      return Promise.resolve({ value: this.queue[this.head++]!, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.wake = resolve));
  }

  return(): Promise<IteratorResult<TesseraEvent>> {
    if (!this.closed) {
      this.closed = true;
      this.unsubscribe();
      this.detachSignal?.();
      this.wake?.({ value: undefined, done: true });
      this.wake = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
