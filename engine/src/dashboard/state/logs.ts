/**
 * The cluster's log, derived from its events: workers starting and stopping (with the reason),
 * graphs submitted, tasks failing. A crashed worker is a warning; a failed task an error.
 * Kept in a bounded ring; a burst of submissions (`client.map` submits a graph per future)
 * makes one line, not one each.
 */
import type { TesseraEvent } from "../../diagnostics/events.js";
import type { LogLine } from "../protocol.js";
import { SCHEDULER_SOURCE } from "./flows.js";
import { Ring } from "./ring.js";

export const DEFAULT_LOG_CAPACITY = 200;
/** Submissions this close to the first of a burst join its line. */
const SUBMISSION_BURST_MS = 1000;

export const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;

const submittedMessage = (graphs: number, tasks: number, keys: number): string =>
  `${graphs === 1 ? "graph" : `${graphs} graphs`} submitted: ${plural(tasks, "new task")}, ${plural(keys, "key")} wanted`;

/** The log line an event makes, or null for the many events that make none. */
export function logLineOf(e: TesseraEvent): LogLine | null {
  switch (e.type) {
    case "worker-added":
      return { time: e.time, level: "info", source: e.worker, message: `started with ${plural(e.threads, "thread")}` };
    case "worker-removed":
      return {
        time: e.time,
        level: e.reason.startsWith("crashed") ? "warning" : "info",
        source: e.worker,
        message: `stopped (${e.reason})`,
      };
    case "worker-restarted":
      return { time: e.time, level: "info", source: e.worker, message: `restarted (${e.reason})` };
    case "graph-submitted":
      return {
        time: e.time,
        level: "info",
        source: SCHEDULER_SOURCE,
        message: submittedMessage(1, e.ntasks, e.keys.length),
      };
    case "task-erred":
      // Only the task that failed; its dependents err with it and would flood the log.
      if (e.blame !== e.key) return null;
      return {
        time: e.time,
        level: "error",
        source: e.worker ?? SCHEDULER_SOURCE,
        message: `${e.key} failed: ${e.error.name}: ${e.error.message}`,
      };
    default:
      return null;
  }
}

export class LogBook {
  private readonly lines: Ring<LogLine>;
  /** The line of the latest burst of submissions, while nothing else was logged after it. */
  private burst: { line: LogLine; graphs: number; tasks: number; keys: number } | null = null;

  constructor(capacity = DEFAULT_LOG_CAPACITY) {
    this.lines = new Ring(capacity);
  }

  get size(): number {
    return this.lines.size;
  }

  /** Log what `e` says, if anything; true when the log changed. */
  add(e: TesseraEvent): boolean {
    const line = logLineOf(e);
    if (!line) return false;
    if (e.type === "graph-submitted") {
      const b = this.burst;
      if (b && e.time - b.line.time < SUBMISSION_BURST_MS) {
        b.graphs++;
        b.tasks += e.ntasks;
        b.keys += e.keys.length;
        b.line.message = submittedMessage(b.graphs, b.tasks, b.keys);
        return true;
      }
      this.lines.push(line);
      this.burst = { line, graphs: 1, tasks: e.ntasks, keys: e.keys.length };
      return true;
    }
    this.lines.push(line);
    this.burst = null;
    return true;
  }

  /** Log a line no event made (what was already true when the log started). */
  note(line: LogLine): void {
    this.lines.push(line);
    this.burst = null;
  }

  /** Oldest first, as copies (a burst's line changes in place). */
  list(): LogLine[] {
    return this.lines.since(0).map((l) => ({ ...l }));
  }
}
