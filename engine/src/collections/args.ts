/**
 * Turning call arguments into task nodes. Delayed values and futures inside arguments
 * (also nested in arrays and plain objects, as Dask traverses lists and dicts) become
 * references to their keys; everything else travels as a literal.
 */
import type { HighLevelGraph } from "../graph/hlg.js";
import { lit, ref, type TaskNode } from "../graph/task.js";
import { isCollection } from "./collection.js";

export interface ArgScan {
  nodes: TaskNode[];
  /** Graphs of the collections found in the arguments. */
  graphs: HighLevelGraph[];
}

export function argsToNodes(args: readonly unknown[]): ArgScan {
  const graphs: HighLevelGraph[] = [];
  const nodes = args.map((a, i) => toNode(a, graphs, `argument ${i}`, 0));
  return { nodes, graphs };
}

function toNode(value: unknown, graphs: HighLevelGraph[], where: string, depth: number): TaskNode {
  if (value === null || typeof value !== "object") {
    if (typeof value === "function" && !isCollection(value)) {
      throw new TypeError(
        `A function cannot be passed as ${where}: it would have to be shipped to another thread. ` +
          `Call it inside the task, or wrap it with delayed() and pass its result.`,
      );
    }
    return lit(value);
  }
  if (isCollection(value)) {
    const keys = value.__tesseraKeys();
    if (keys.length !== 1) {
      throw new TypeError(
        `A collection with ${keys.length} partitions was passed as ${where}; pass one partition ` +
          `or a single-key value (a Delayed or a Future).`,
      );
    }
    graphs.push(value.__tesseraGraph());
    return ref(keys[0]!);
  }
  if (depth > 32) return lit(value);
  if (Array.isArray(value)) {
    const items = value.map((v, i) => toNode(v, graphs, `${where}[${i}]`, depth + 1));
    return items.every((n) => n.t === "lit") ? lit(value) : { t: "list", items };
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value);
    const values = keys.map((k) => toNode((value as Record<string, unknown>)[k], graphs, `${where}.${k}`, depth + 1));
    return values.every((n) => n.t === "lit") ? lit(value) : { t: "dict", keys, values };
  }
  return lit(value);
}
