/**
 * `readParquet`'s `filters`, in pyarrow's and Dask's form: a list of `[column, op, value]`
 * predicates that must all hold, or a list of such lists of which one must hold
 * (disjunctive normal form). They are used twice: to skip whole row groups whose statistics
 * (min/max) prove that no row can match, then, in the workers, to drop the rows that do not.
 */
import type { Expr, Scalar } from "../kernels/dataframe-expr.js";

export type FilterOp = "==" | "=" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in";
export type FilterValue = number | string | boolean | bigint;
export type Predicate = [column: string, op: FilterOp, value: FilterValue | FilterValue[]];
/** `[p, q]` means p AND q; `[[p, q], [r]]` means (p AND q) OR r. */
export type Filters = Predicate[] | Predicate[][];

const OPS = new Set<string>(["==", "=", "!=", "<", "<=", ">", ">=", "in", "not in"]);

/** Filters as a disjunction of conjunctions, validated. */
export function normalizeFilters(filters: Filters | undefined): Predicate[][] {
  if (!filters || filters.length === 0) return [];
  const isPredicate = (x: unknown): x is Predicate => Array.isArray(x) && typeof x[0] === "string" && typeof x[1] === "string";
  const dnf: Predicate[][] = isPredicate(filters[0]) ? [filters as Predicate[]] : (filters as Predicate[][]);
  for (const conj of dnf) {
    if (!Array.isArray(conj)) throw new Error(`readParquet: filters must be [column, op, value] triples, or lists of them`);
    for (const p of conj) {
      if (!isPredicate(p) || p.length !== 3) {
        throw new Error(`readParquet: a filter must be [column, op, value], got ${JSON.stringify(p, bigintJson)}`);
      }
      if (!OPS.has(p[1])) throw new Error(`readParquet: unknown filter operator "${p[1]}" (use one of ${[...OPS].join(", ")})`);
      if ((p[1] === "in" || p[1] === "not in") !== Array.isArray(p[2])) {
        throw new Error(`readParquet: "${p[1]}" ${p[1].endsWith("in") ? "needs a list" : "needs a single value"} in ${JSON.stringify(p, bigintJson)}`);
      }
    }
  }
  return dnf;
}

function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? `${v}n` : v;
}

/** Columns the filters read. */
export function filterColumns(dnf: Predicate[][]): string[] {
  return [...new Set(dnf.flat().map((p) => p[0]))];
}

const col = (name: string): Expr => ({ op: "col", name });
const lit = (value: Scalar): Expr => ({ op: "lit", value });
const bin = (fn: Exclude<Expr & { op: "bin" }, never>["fn"], left: Expr, right: Expr): Expr => ({ op: "bin", fn, left, right });

function predicateExpr([name, op, value]: Predicate): Expr {
  switch (op) {
    case "==":
    case "=":
      return bin("eq", col(name), lit(value as Scalar));
    case "!=":
      return bin("ne", col(name), lit(value as Scalar));
    case "<":
      return bin("lt", col(name), lit(value as Scalar));
    case "<=":
      return bin("le", col(name), lit(value as Scalar));
    case ">":
      return bin("gt", col(name), lit(value as Scalar));
    case ">=":
      return bin("ge", col(name), lit(value as Scalar));
    case "in":
    case "not in": {
      const values = value as FilterValue[];
      const any = values.length === 0 ? lit(false) : values.map((v) => bin("eq", col(name), lit(v))).reduce((a, b) => bin("or", a, b));
      return op === "in" ? any : { op: "not", arg: any };
    }
  }
}

/** The row condition of the filters (null when there are none). */
export function filtersToExpr(dnf: Predicate[][]): Expr | null {
  if (dnf.length === 0) return null;
  const conj = (ps: Predicate[]): Expr => (ps.length === 0 ? lit(true) : ps.map(predicateExpr).reduce((a, b) => bin("and", a, b)));
  return dnf.map(conj).reduce((a, b) => bin("or", a, b));
}

// ---------------------------------------------------------------------------------------------
// Row-group statistics

/** Min and max of a column in a row group, when the file records them. */
export interface ColumnStats {
  min: unknown;
  max: unknown;
}

/** Comparable form of a statistic or a filter value, or undefined when they cannot be compared. */
function comparable(x: unknown): number | string | undefined {
  if (typeof x === "number") return Number.isNaN(x) ? undefined : x;
  if (typeof x === "bigint") return Number(x);
  if (typeof x === "boolean") return x ? 1 : 0;
  if (typeof x === "string") return x;
  // Dates, byte arrays and the rest: no skipping (a wrong skip would lose rows).
  return undefined;
}

/** Whether statistics prove that no row of the group satisfies the predicate. */
function impossible(p: Predicate, stats: ColumnStats | undefined): boolean {
  if (!stats) return false;
  const min = comparable(stats.min);
  const max = comparable(stats.max);
  if (min === undefined || max === undefined || typeof min !== typeof max) return false;
  const values = Array.isArray(p[2]) ? p[2] : [p[2]];
  const vs = values.map(comparable);
  if (vs.some((v) => v === undefined || typeof v !== typeof min)) return false;
  const [v] = vs as (number | string)[];
  switch (p[1]) {
    case "==":
    case "=":
      return v! < min || v! > max;
    case "!=":
      return min === max && v === min;
    case "<":
      return min >= v!;
    case "<=":
      return min > v!;
    case ">":
      return max <= v!;
    case ">=":
      return max < v!;
    case "in":
      return (vs as (number | string)[]).every((x) => x < min || x > max);
    case "not in":
      return min === max && (vs as (number | string)[]).includes(min);
  }
}

/** Whether a row group may hold matching rows, given its per-column statistics. */
export function rowGroupMayMatch(dnf: Predicate[][], stats: Map<string, ColumnStats>): boolean {
  if (dnf.length === 0) return true;
  return dnf.some((conj) => !conj.some((p) => impossible(p, stats.get(p[0]))));
}
