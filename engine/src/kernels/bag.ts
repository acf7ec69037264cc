/**
 * Bag kernels: a partition is a plain JavaScript array of items. User functions arrive as
 * shipped `FnRef`s and are resolved once per task (see `array-user.ts`).
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { FnRef } from "../graph/task.js";
import { userFunction } from "./array-user.js";
import { registerKernel } from "./registry.js";

/** How a key is taken from an item: a property name, or a shipped function. */
export type KeySpec = { prop: string | number } | { fn: FnRef };

function keyOf(spec: KeySpec): (item: unknown) => unknown {
  if ("prop" in spec) {
    const p = spec.prop;
    return (item) => (item as Record<string | number, unknown>)[p];
  }
  return userFunction(spec.fn) as (item: unknown) => unknown;
}

/** Items compared by value: primitives as they are, objects and arrays by their JSON. */
const identity = (v: unknown): unknown => (v !== null && typeof v === "object" ? `\u0000json:${JSON.stringify(v)}` : v);

/** The lines of a text file (`.gz` decompressed), without line endings; JSON-parsed for `readJson`. */
export function readTextPartition(path: string, json: boolean): unknown[] {
  let bytes: Uint8Array = readFileSync(path);
  if (path.endsWith(".gz")) bytes = gunzipSync(bytes);
  const text = new TextDecoder().decode(bytes);
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  if (!json) return lines;
  const out: unknown[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      out.push(JSON.parse(line));
    } catch (err) {
      throw new Error(`${path}:${i + 1}: not a JSON line (${(err as Error).message})`);
    }
  });
  return out;
}

export type BagReduction =
  | { op: "count" | "sum" | "mean" | "min" | "max" | "distinct" | "frequencies" }
  | { op: "topk"; k: number; key?: KeySpec }
  | { op: "foldby"; key: KeySpec; binop: FnRef; initial: unknown; combine?: FnRef; combineInitial?: unknown }
  | { op: "groupby"; key: KeySpec };

type Pairs = [unknown, unknown][];

/** Reduce one partition to a partial result. */
export function bagPartial(spec: BagReduction, part: unknown[]): unknown {
  switch (spec.op) {
    case "count":
      return part.length;
    case "sum":
      return part.reduce((a: number, b) => a + (b as number), 0);
    case "mean":
      return [part.reduce((a: number, b) => a + (b as number), 0), part.length];
    case "min":
    case "max": {
      let best: unknown = undefined;
      for (const v of part) if (best === undefined || (spec.op === "min" ? (v as number) < (best as number) : (v as number) > (best as number))) best = v;
      return best === undefined ? [] : [best];
    }
    case "distinct": {
      const seen = new Map<unknown, unknown>();
      for (const v of part) if (!seen.has(identity(v))) seen.set(identity(v), v);
      return [...seen.values()];
    }
    case "frequencies": {
      const counts = new Map<unknown, [unknown, number]>();
      for (const v of part) {
        const k = identity(v);
        const e = counts.get(k);
        if (e) e[1]++;
        else counts.set(k, [v, 1]);
      }
      return [...counts.values()];
    }
    case "topk":
      return topk(part, spec.k, spec.key);
    case "foldby": {
      const key = keyOf(spec.key);
      const binop = userFunction(spec.binop);
      const accs = new Map<unknown, [unknown, unknown]>();
      for (const v of part) {
        const k = key(v);
        const e = accs.get(identity(k));
        if (e) e[1] = binop(e[1], v);
        else accs.set(identity(k), [k, binop(structuredClone(spec.initial), v)]);
      }
      return [...accs.values()];
    }
    case "groupby": {
      const key = keyOf(spec.key);
      const groups = new Map<unknown, [unknown, unknown[]]>();
      for (const v of part) {
        const k = key(v);
        const e = groups.get(identity(k));
        if (e) e[1].push(v);
        else groups.set(identity(k), [k, [v]]);
      }
      return [...groups.values()];
    }
  }
}

function topk(items: unknown[], k: number, keySpec: KeySpec | undefined): unknown[] {
  const key = keySpec ? keyOf(keySpec) : (v: unknown) => v;
  const keyed = items.map((v) => [key(v), v] as const);
  keyed.sort((a, b) => ((a[0] as number) < (b[0] as number) ? 1 : (a[0] as number) > (b[0] as number) ? -1 : 0));
  return keyed.slice(0, k).map((e) => e[1]);
}

/** Combine partials of the same reduction. */
export function bagCombine(spec: BagReduction, ...parts: unknown[]): unknown {
  switch (spec.op) {
    case "count":
    case "sum":
      return (parts as number[]).reduce((a, b) => a + b, 0);
    case "mean":
      return (parts as [number, number][]).reduce((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);
    case "min":
    case "max":
      return bagPartial(spec, (parts as unknown[][]).flat());
    case "distinct":
      return bagPartial(spec, (parts as unknown[][]).flat());
    case "topk":
      return topk((parts as unknown[][]).flat(), spec.k, spec.key);
    case "frequencies":
    case "foldby":
    case "groupby": {
      const merge =
        spec.op === "frequencies"
          ? (a: unknown, b: unknown) => (a as number) + (b as number)
          : spec.op === "groupby"
            ? (a: unknown, b: unknown) => (a as unknown[]).concat(b as unknown[])
            : userFunction((spec as Extract<BagReduction, { op: "foldby" }>).combine ?? (spec as Extract<BagReduction, { op: "foldby" }>).binop);
      const out = new Map<unknown, [unknown, unknown]>();
      for (const pairs of parts as Pairs[]) {
        for (const [k, v] of pairs) {
          const e = out.get(identity(k));
          if (e) e[1] = merge(e[1], v);
          else {
            const start = spec.op === "foldby" && spec.combine !== undefined && "combineInitial" in spec ? merge(structuredClone(spec.combineInitial), v) : v;
            out.set(identity(k), [k, start]);
          }
        }
      }
      return [...out.values()];
    }
  }
}

/** The result of a reduction from the last partials: a value (count, sum…) or the items of a one-partition bag. */
export function bagFinal(spec: BagReduction, ...parts: unknown[]): unknown {
  const p = bagCombine(spec, ...parts);
  switch (spec.op) {
    case "mean": {
      const [s, n] = p as [number, number];
      return n === 0 ? NaN : s / n;
    }
    case "min":
    case "max": {
      const [v] = p as unknown[];
      if (v === undefined) throw new Error(`${spec.op} of an empty bag`);
      return v;
    }
    case "frequencies":
      return (p as [unknown, number][]).sort((a, b) => b[1] - a[1]);
    default:
      return p;
  }
}

registerKernel("bag.fromList", (items: unknown[]) => items);
registerKernel("bag.readText", readTextPartition);
registerKernel("bag.map", (part: unknown[], fn: FnRef) => {
  const f = userFunction(fn);
  return part.map((v) => f(v));
});
registerKernel("bag.filter", (part: unknown[], fn: FnRef) => {
  const f = userFunction(fn);
  return part.filter((v) => f(v));
});
registerKernel("bag.flatten", (part: unknown[]) => part.flatMap((v) => (Array.isArray(v) ? v : [...(v as Iterable<unknown>)])));
registerKernel("bag.pluck", (part: unknown[], key: string | number) => part.map((v) => (v as Record<string | number, unknown>)[key]));
registerKernel("bag.partial", bagPartial);
registerKernel("bag.combine", bagCombine);
registerKernel("bag.final", bagFinal);
registerKernel("bag.concat", (...parts: unknown[][]) => parts.flat());
