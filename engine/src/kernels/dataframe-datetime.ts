/**
 * Datetime kernels of `Series.dt` (pandas' `.dt` accessor) on Arrow Timestamp and Date
 * columns: calendar parts as Int32 columns, the date, and flooring to a unit.
 *
 * UTC semantics: a timestamp is read as the instant it stores (Arrow stores UTC for zoned
 * timestamps and wall-clock time for naive ones), so a naive timestamp's parts are its
 * wall-clock parts, as pandas and DuckDB give them, and a zoned one's are its UTC parts
 * (pandas would convert to the zone first).
 *
 * Nothing makes a `Date` per row: 64-bit values are read as two 32-bit words, divided exactly
 * into whole seconds (nanosecond timestamps exceed float64's exact integers), and days become
 * year/month/day with Howard Hinnant's `civil_from_days` integer algorithm.
 */
import { type Data, DateDay, type DataType, Int32, type Timestamp, TimeUnit, Type } from "apache-arrow";
import { fixedData, numericValues, sharedArray, validityBytes } from "./dataframe-arrow.js";

export type DtPart = "year" | "month" | "day" | "hour" | "minute" | "second" | "dayofweek" | "dayofyear" | "quarter";
export const DT_PARTS: readonly DtPart[] = ["year", "month", "day", "hour", "minute", "second", "dayofweek", "dayofyear", "quarter"];

/** Units `dt.floor` accepts (pandas frequency aliases). */
export type FloorUnit = "D" | "h" | "min" | "s" | "ms";
export const FLOOR_UNITS: readonly FloorUnit[] = ["D", "h", "min", "s", "ms"];

export const isDatetimeType = (t: DataType): boolean => t.typeId === Type.Timestamp || t.typeId === Type.Date;

const TICKS_PER_SECOND: Record<TimeUnit, number> = {
  [TimeUnit.SECOND]: 1,
  [TimeUnit.MILLISECOND]: 1e3,
  [TimeUnit.MICROSECOND]: 1e6,
  [TimeUnit.NANOSECOND]: 1e9,
};

/** How a column's values count time: `ticks` of it make a second, or it counts days. */
function clockOf(type: DataType): { days: true } | { days: false; ticks: number } {
  if (type.typeId === Type.Date) {
    // Date32 counts days; Date64 counts milliseconds.
    return (type as unknown as { unit: number }).unit === 0 ? { days: true } : { days: false, ticks: 1e3 };
  }
  if (type.typeId === Type.Timestamp) return { days: false, ticks: TICKS_PER_SECOND[(type as Timestamp).unit] };
  throw new Error(`Internal: ${String(type)} is not a datetime type`);
}

/**
 * Exact floor division of the signed 64-bit integer `hi·2³² + lo` by `d` (≤ 2³⁶): the
 * quotient and remainder (0 ≤ r < d). The quotient is estimated in float64 (off by at most
 * one) and corrected with a remainder computed from 16-bit halves, each step exact.
 */
export function floorDiv64(hi: number, lo: number, d: number, out: Float64Array): void {
  let q = Math.floor((hi * 4294967296 + lo) / d);
  const qh = Math.floor(q / 65536);
  const ql = q - qh * 65536;
  let r = (hi * 65536 - qh * d) * 65536 - ql * d + lo;
  while (r < 0) {
    q--;
    r += d;
  }
  while (r >= d) {
    q++;
    r -= d;
  }
  out[0] = q;
  out[1] = r;
}

/** Whole seconds since the epoch (or whole days, for Date32) of every value, exactly. */
function epochUnits(data: Data): { units: Float64Array; days: boolean } {
  const clock = clockOf(data.type);
  const n = data.length;
  const v = data.values as unknown;
  const units = new Float64Array(n);
  if (clock.days) {
    units.set(numericValues(data));
    return { units, days: true };
  }
  if (v instanceof BigInt64Array) {
    const words = new Int32Array(v.buffer, v.byteOffset, 2 * n);
    const qr = new Float64Array(2);
    const d = clock.ticks;
    if (d === 1) {
      for (let i = 0; i < n; i++) units[i] = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
    } else {
      for (let i = 0; i < n; i++) {
        const hi = words[2 * i + 1]!;
        const lo = words[2 * i]! >>> 0;
        // Below 2^53 (every ms and µs timestamp of years 1685–2255) float64 is exact and so
        // is the floor of one division; only larger values (nanoseconds) need the exact path.
        if (hi < 2097152 && hi >= -2097152) units[i] = Math.floor((hi * 4294967296 + lo) / d);
        else {
          floorDiv64(hi, lo, d, qr);
          units[i] = qr[0]!;
        }
      }
    }
    return { units, days: false };
  }
  const x = numericValues(data);
  for (let i = 0; i < n; i++) units[i] = Math.floor(x[i]! / clock.ticks);
  return { units, days: false };
}

/** Year, month (1–12) and day (1–31) of a day count since 1970-01-01, into `out`. */
export function civilFromDays(days: number, out: Int32Array): void {
  // civil_from_days (http://howardhinnant.github.io/date_algorithms.html)
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  out[0] = yoe + era * 400 + (month <= 2 ? 1 : 0);
  out[1] = month;
  out[2] = doy - Math.floor((153 * mp + 2) / 5) + 1;
}

/**
 * How many of a column's ticks make a second (1 for Date32, whose values are days), and
 * whether its values are days.
 */
export function datetimeClock(type: DataType): { days: boolean; ticks: number } {
  const c = clockOf(type);
  return c.days ? { days: true, ticks: 1 } : { days: false, ticks: c.ticks };
}

/** One calendar part of every value, as Int32 (pandas' dtype for these parts). */
export function datetimePart(data: Data, part: DtPart): Data {
  const n = data.length;
  const { units, days: isDays } = epochUnits(data);
  const out = sharedArray(Int32Array, n);
  if (part === "hour" || part === "minute" || part === "second") {
    if (!isDays) {
      for (let i = 0; i < n; i++) {
        const s = units[i]!;
        const sod = s - Math.floor(s / 86400) * 86400;
        out[i] = part === "hour" ? Math.floor(sod / 3600) : part === "minute" ? Math.floor(sod / 60) % 60 : sod % 60;
      }
    }
    return fixedData(new Int32(), out, n, validityBytes(data));
  }
  const ymd = new Int32Array(3);
  // Rows of one day often come together (data sorted or grouped by time): convert a day once.
  let lastDays = NaN;
  for (let i = 0; i < n; i++) {
    const days = isDays ? units[i]! : Math.floor(units[i]! / 86400);
    if (part === "dayofweek") {
      // 1970-01-01 was a Thursday; Monday is 0, as in pandas.
      out[i] = (((days + 3) % 7) + 7) % 7;
      continue;
    }
    if (days !== lastDays) {
      civilFromDays(days, ymd);
      lastDays = days;
    }
    const year = ymd[0]!;
    const month = ymd[1]!;
    if (part === "year") out[i] = year;
    else if (part === "month") out[i] = month;
    else if (part === "day") out[i] = ymd[2]!;
    else if (part === "quarter") out[i] = Math.floor((month - 1) / 3) + 1;
    else {
      // Day of the year from 1: days since January 1st of `year`.
      const y = year - 1;
      const jan1 = y * 365 + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) - 719162;
      out[i] = days - jan1 + 1;
    }
  }
  return fixedData(new Int32(), out, n, validityBytes(data));
}

/** The date of every value, as Date32 (days since the epoch). */
export function datetimeDate(data: Data): Data {
  const n = data.length;
  const { units, days: isDays } = epochUnits(data);
  const out = sharedArray(Int32Array, n);
  for (let i = 0; i < n; i++) out[i] = isDays ? units[i]! : Math.floor(units[i]! / 86400);
  return fixedData(new DateDay(), out, n, validityBytes(data));
}

const FLOOR_SECONDS: Record<FloorUnit, number> = { D: 86400, h: 3600, min: 60, s: 1, ms: 1e-3 };

/** Every value floored to a multiple of `unit` (pandas `dt.floor`), in the column's own type. */
export function datetimeFloor(data: Data, unit: FloorUnit): Data {
  const type = data.type;
  const n = data.length;
  const clock = clockOf(type);
  if (clock.days) {
    if (unit !== "D") throw new Error(`dt.floor("${unit}"): a Date32 column holds whole days only`);
    return data;
  }
  const step = FLOOR_SECONDS[unit] * clock.ticks;
  if (step < 1 || !Number.isInteger(step)) throw new Error(`dt.floor("${unit}"): finer than the column's unit (${String(type)})`);
  const v = data.values as unknown;
  if (!(v instanceof BigInt64Array)) throw new Error(`dt.floor: unsupported storage for ${String(type)}`);
  const words = new Int32Array(v.buffer, v.byteOffset, 2 * n);
  const out = sharedArray(BigInt64Array, n);
  const ow = new Int32Array(out.buffer, 0, 2 * n);
  const qr = new Float64Array(2);
  // floorDiv64 is exact for divisors up to 2^36; hours and days of microseconds or
  // nanoseconds are divided in two steps, first into whole seconds.
  const direct = step <= 2 ** 36;
  const perUnit = FLOOR_SECONDS[unit];
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    const lo = words[2 * i]! >>> 0;
    let r: number;
    if (direct) {
      floorDiv64(hi, lo, step, qr);
      r = qr[1]!;
    } else {
      floorDiv64(hi, lo, clock.ticks, qr);
      const s = qr[0]!;
      r = (s - Math.floor(s / perUnit) * perUnit) * clock.ticks + qr[1]!;
    }
    // value − remainder, in 32-bit words with a borrow (the remainder is below 2^53).
    const rHi = Math.floor(r / 4294967296);
    const rLo = r - rHi * 4294967296;
    let nlo = lo - rLo;
    let borrow = 0;
    if (nlo < 0) {
      nlo += 4294967296;
      borrow = 1;
    }
    ow[2 * i] = nlo | 0;
    ow[2 * i + 1] = (hi - rHi - borrow) | 0;
  }
  return fixedData(type, out, n, validityBytes(data));
}
