/**
 * The task graph the Task Graph panel draws, laid out as Dask's dashboard lays it out: a task
 * with no drawn dependencies starts a new row at x = 0; any other task sits one column right of
 * its deepest dependency, at the mean height of its dependencies (nudged when the spot is
 * taken), so trees look like trees and chains run straight.
 *
 * Bounded, as Dask's graph panel is: at most `limit` nodes and 4 × `limit` edges are kept;
 * tasks beyond that are only counted. A submission starts a new drawing when nothing drawn is
 * still waiting or running; otherwise its tasks join the current one (futures submitted one by
 * one, a compute that reuses persisted results). Laying out a submission costs time in the
 * number of tasks drawn and their dependencies, and a state change is one map lookup.
 */
import type { Key } from "../../graph/task.js";
import type { GraphNodeState, TaskGraphState } from "../protocol.js";

export const TASK_GRAPH_LIMIT = 1000;

interface GraphNode {
  readonly index: number;
  readonly x: number;
  readonly y: number;
  state: GraphNodeState;
}

/** Height added to a task whose spot is taken by another (Dask's nudge). */
const NUDGE = 0.1;

export interface SubmittedTask {
  readonly key: Key;
  readonly dependencies: readonly Key[];
}

const isActive = (s: GraphNodeState): boolean => s === "waiting" || s === "processing";

export class TaskGraphLayout {
  private readonly nodes = new Map<Key, GraphNode>();
  private keys: Key[] = [];
  private drawn: GraphNode[] = [];
  private edges: number[] = [];
  /** Row of the next task without drawn dependencies. */
  private nextRow = 0;
  /** Where the latest task aimed at a spot ("x:y") ended up, so the next one goes past it. */
  private spots = new Map<string, number>();
  private total = 0;
  /** Drawn nodes that are waiting or processing. */
  private active = 0;

  constructor(readonly limit = TASK_GRAPH_LIMIT) {}

  get size(): number {
    return this.drawn.length;
  }

  /** A graph was submitted: `ntasks` new tasks, of which `tasks` (when known) are laid out. */
  submitted(ntasks: number, tasks: readonly SubmittedTask[] | undefined): void {
    if (ntasks === 0) return;
    if (this.active === 0) this.clear();
    this.total += ntasks;
    const room = this.limit - this.drawn.length;
    if (!tasks || room <= 0) return;
    const fresh = new Map<Key, readonly Key[]>();
    for (const t of tasks) {
      if (fresh.size >= room) break;
      if (!this.nodes.has(t.key)) fresh.set(t.key, t.dependencies);
    }
    const edgeLimit = 4 * this.limit;
    for (const key of this.dependenciesFirst(fresh)) {
      const deps: GraphNode[] = [];
      for (const dep of fresh.get(key)!) {
        const node = this.nodes.get(dep);
        if (node) deps.push(node);
      }
      let x = 0;
      let y: number;
      if (deps.length === 0) y = this.nextRow++;
      else {
        y = 0;
        for (const d of deps) {
          x = Math.max(x, d.x + 1);
          y += d.y;
        }
        y /= deps.length;
      }
      const spot = `${x}:${y}`;
      const taken = this.spots.get(spot);
      if (taken !== undefined) y = taken + NUDGE;
      this.spots.set(spot, y);
      const node: GraphNode = { index: this.drawn.length, x, y, state: "released" };
      this.nodes.set(key, node);
      this.keys.push(key);
      this.drawn.push(node);
      for (const dep of deps) {
        if (this.edges.length >= 2 * edgeLimit) break;
        this.edges.push(dep.index, node.index);
      }
    }
  }

  /** A drawn task changed state (other keys are ignored). */
  setState(key: Key, state: GraphNodeState): void {
    const node = this.nodes.get(key);
    if (!node || node.state === state) return;
    if (isActive(node.state)) this.active--;
    if (isActive(state)) this.active++;
    node.state = state;
  }

  state(): TaskGraphState {
    const n = this.drawn.length;
    const x = new Array<number>(n);
    const y = new Array<number>(n);
    const states = new Array<GraphNodeState>(n);
    for (let i = 0; i < n; i++) {
      const node = this.drawn[i]!;
      x[i] = node.x;
      y[i] = node.y;
      states[i] = node.state;
    }
    return { total: this.total, limit: this.limit, keys: this.keys.slice(), x, y, states, edges: this.edges.slice() };
  }

  private clear(): void {
    this.nodes.clear();
    this.keys = [];
    this.drawn = [];
    this.edges = [];
    this.nextRow = 0;
    this.spots = new Map();
    this.total = 0;
    this.active = 0;
  }

  /**
   * The new tasks, each after its new dependencies (a post-order walk). An explicit stack (a
   * long chain must not overflow the call stack) with a cursor into each task's dependencies,
   * so every dependency is looked at once.
   */
  private dependenciesFirst(fresh: Map<Key, readonly Key[]>): Key[] {
    const order: Key[] = [];
    const placed = new Set<Key>();
    const onStack = new Set<Key>();
    for (const root of fresh.keys()) {
      if (placed.has(root)) continue;
      const stack: { key: Key; deps: readonly Key[]; next: number }[] = [{ key: root, deps: fresh.get(root)!, next: 0 }];
      onStack.add(root);
      while (stack.length > 0) {
        const top = stack.at(-1)!;
        let descended = false;
        while (top.next < top.deps.length) {
          const dep = top.deps[top.next++]!;
          // Dependencies drawn before, held from earlier graphs or beyond the cap need no visit.
          if (fresh.has(dep) && !placed.has(dep) && !onStack.has(dep)) {
            stack.push({ key: dep, deps: fresh.get(dep)!, next: 0 });
            onStack.add(dep);
            descended = true;
            break;
          }
        }
        if (descended) continue;
        order.push(top.key);
        placed.add(top.key);
        onStack.delete(top.key);
        stack.pop();
      }
    }
    return order;
  }
}
