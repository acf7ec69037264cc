/**
 * `Series.str` and `Series.dt`: pandas' string and datetime accessors. Each method records one
 * more step of the Series' expression, so it runs inside the task of whatever uses the Series
 * (a filter, an assign, a groupby key, a reduction), fused with the partition's other
 * row-wise work; nulls stay null.
 *
 *   df.filter(df.col("origin").str.startsWith("S"))
 *   df.assign({ month: df.col("date").dt.month }).groupby("month").size()
 */
import type { Expr } from "../../kernels/dataframe-expr.js";
import type { DtPart, FloorUnit } from "../../kernels/dataframe-datetime.js";
import { FLOOR_UNITS } from "../../kernels/dataframe-datetime.js";
import type { StrFn, StrOptions } from "../../kernels/dataframe-strings.js";
import type { Series } from "./series.js";

/** A Series with one more expression step (type-checked now, on the empty meta). */
export interface DerivesSeries {
  readonly expr: Expr;
  derive(expr: Expr): Series;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

function checkText(op: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`str.${op}: expected a string, got ${value === null ? "null" : typeof value}`);
  return value;
}

/**
 * Vectorized string methods (pandas `Series.str`), on Utf8 columns and dictionary-encoded
 * string columns. On a dictionary column each method runs once per dictionary entry and the
 * result is looked up per row; `lower`, `upper` and the strips keep the column encoded.
 */
export class StringMethods {
  constructor(private readonly series: DerivesSeries) {}

  private op(fn: StrFn, opts: StrOptions = {}): Series {
    return this.series.derive({ op: "str", fn, arg: this.series.expr, opts });
  }

  /** True where the value starts with `pat` (literal text). */
  startsWith(pat: string): Series {
    return this.op("startsWith", { pat: checkText("startsWith", pat) });
  }

  /** True where the value ends with `pat` (literal text). */
  endsWith(pat: string): Series {
    return this.op("endsWith", { pat: checkText("endsWith", pat) });
  }

  /**
   * True where the value contains `pat`: literal text by default (unlike pandas, whose default
   * is a regular expression); `{ regex: true }` or a `RegExp` makes it a JavaScript regular
   * expression, and `{ case: false }` ignores case.
   */
  contains(pat: string | RegExp, opts: { regex?: boolean; case?: boolean } = {}): Series {
    const ignoreCase = opts.case === false;
    if (pat instanceof RegExp) {
      const flags = pat.flags.replace(/[gy]/g, "") + (ignoreCase && !pat.flags.includes("i") ? "i" : "");
      return this.op("contains", { pat: pat.source, regex: { flags } });
    }
    const text = checkText("contains", pat);
    if (opts.regex) {
      try {
        new RegExp(text);
      } catch (err) {
        throw new Error(`str.contains: invalid regular expression ${JSON.stringify(text)}: ${(err as Error).message}`);
      }
      return this.op("contains", { pat: text, regex: { flags: ignoreCase ? "i" : "" } });
    }
    if (ignoreCase) return this.op("contains", { pat: escapeRegExp(text), regex: { flags: "i" } });
    return this.op("contains", { pat: text });
  }

  /** Lower-cased values (Unicode case mapping; ASCII without decoding). */
  lower(): Series {
    return this.op("lower");
  }

  /** Upper-cased values. */
  upper(): Series {
    return this.op("upper");
  }

  /** Number of characters (Unicode code points) of each value, as Int64. */
  len(): Series {
    return this.op("len");
  }

  /** Values without leading and trailing whitespace (Python's definition), or without the characters in `chars`. */
  strip(chars?: string): Series {
    return this.op("strip", { chars: chars === undefined ? null : checkText("strip", chars) });
  }

  /** Values without leading whitespace (or `chars`). */
  lstrip(chars?: string): Series {
    return this.op("lstrip", { chars: chars === undefined ? null : checkText("lstrip", chars) });
  }

  /** Values without trailing whitespace (or `chars`). */
  rstrip(chars?: string): Series {
    return this.op("rstrip", { chars: chars === undefined ? null : checkText("rstrip", chars) });
  }
}

/**
 * Datetime parts (pandas `Series.dt`) of Timestamp and Date columns, as Int32 columns.
 * UTC semantics: parts are those of the stored value, which for a naive timestamp is its
 * wall-clock time (as pandas and DuckDB read it) and for a zoned one the UTC instant (pandas
 * would first convert to the zone).
 */
export class DatetimeMethods {
  constructor(private readonly series: DerivesSeries) {}

  private part(part: DtPart | "date"): Series {
    return this.series.derive({ op: "dt", part, arg: this.series.expr });
  }

  get year(): Series {
    return this.part("year");
  }
  /** 1–12. */
  get month(): Series {
    return this.part("month");
  }
  /** Day of the month, 1–31. */
  get day(): Series {
    return this.part("day");
  }
  get hour(): Series {
    return this.part("hour");
  }
  get minute(): Series {
    return this.part("minute");
  }
  get second(): Series {
    return this.part("second");
  }
  /** Day of the week, Monday = 0 … Sunday = 6 (as pandas). */
  get dayofweek(): Series {
    return this.part("dayofweek");
  }
  /** Day of the year, 1–366. */
  get dayofyear(): Series {
    return this.part("dayofyear");
  }
  /** Quarter of the year, 1–4. */
  get quarter(): Series {
    return this.part("quarter");
  }
  /** The date alone, as a Date32 column. */
  get date(): Series {
    return this.part("date");
  }

  /** Values rounded down to a multiple of `unit` (pandas `dt.floor`): `"D"`, `"h"`, `"min"`, `"s"`, `"ms"`. */
  floor(unit: FloorUnit): Series {
    if (!FLOOR_UNITS.includes(unit)) throw new Error(`dt.floor: unknown unit "${String(unit)}" (use one of ${FLOOR_UNITS.join(", ")})`);
    return this.series.derive({ op: "dt", part: "floor", arg: this.series.expr, unit });
  }
}
