/**
 * An NDArray as text, the way NumPy prints one: nested brackets, aligned columns, and for
 * more than 1000 elements only the first and last 3 along each dimension around "...".
 */
import type { NDArray } from "./ndarray.js";

const THRESHOLD = 1000;
const EDGE_ITEMS = 3;

/**
 * How floats are written, chosen once for all shown values as NumPy does: fixed point with
 * the fewest decimals (at most 8) that show every value, or scientific notation when values
 * are very large or very small.
 */
interface FloatStyle {
  scientific: boolean;
  decimals: number;
}

function floatStyle(values: number[]): FloatStyle {
  const finite = values.filter((v) => Number.isFinite(v));
  const scientific = finite.some((v) => Math.abs(v) >= 1e16 || (v !== 0 && Math.abs(v) < 1e-4));
  let decimals = 0;
  for (const v of finite) {
    const text = String(Number(v.toFixed(8)));
    const dot = text.indexOf(".");
    if (dot >= 0) decimals = Math.max(decimals, text.length - dot - 1);
  }
  return { scientific, decimals };
}

function formatElement(v: number | bigint, dtype: string, style: FloatStyle | null): string {
  if (typeof v === "bigint") return v.toString();
  if (dtype === "bool") return v !== 0 ? "true" : "false";
  if (style) {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (style.scientific) return v.toExponential(8).replace(/\.?0+e/, "e");
    // Whole numbers keep NumPy's trailing "." so they still read as floats.
    return style.decimals === 0 ? `${v.toFixed(0)}.` : v.toFixed(style.decimals);
  }
  return String(v);
}

/** Positions kept along a dimension of `n`: all of them, or the edges around a gap (-1). */
function kept(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
  return [...Array.from({ length: EDGE_ITEMS }, (_, i) => i), -1, ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i)];
}

export function formatNDArray(nd: NDArray): string {
  const { shape, dtype } = nd;
  const data = nd.data as ArrayLike<number | bigint>;
  const summarize = nd.size > THRESHOLD;
  const suffix = `, dtype=${dtype})`;
  if (shape.length === 0) {
    const v = data[0]!;
    return `array(${formatElement(v, dtype, typeof v === "number" && (dtype === "float64" || dtype === "float32") ? floatStyle([v]) : null)}${suffix}`;
  }
  if (nd.size === 0) return `array([], shape=(${shape.join(", ")})${suffix}`;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  // First pass over the elements shown: one float style and one width for all, so columns line up.
  const shown: number[] = [];
  const visit = (d: number, offset: number, f: (offset: number) => void): void => {
    for (const i of kept(shape[d]!, summarize)) {
      if (i < 0) continue;
      if (d === shape.length - 1) f(offset + i * strides[d]!);
      else visit(d + 1, offset + i * strides[d]!, f);
    }
  };
  const isFloat = dtype === "float64" || dtype === "float32";
  if (isFloat) visit(0, 0, (o) => shown.push(data[o] as number));
  const style = isFloat ? floatStyle(shown) : null;
  let width = 0;
  visit(0, 0, (o) => (width = Math.max(width, formatElement(data[o]!, dtype, style).length)));
  const indent = "array(".length;
  const render = (d: number, offset: number): string => {
    const parts = kept(shape[d]!, summarize).map((i) => {
      if (i < 0) return "...";
      return d === shape.length - 1 ? formatElement(data[offset + i * strides[d]!]!, dtype, style).padStart(width) : render(d + 1, offset + i * strides[d]!);
    });
    if (d === shape.length - 1) return `[${parts.join(", ")}]`;
    // Rows of a matrix on lines of their own, one blank line more per outer dimension.
    const separator = `,${"\n".repeat(shape.length - 1 - d)}${" ".repeat(indent + d + 1)}`;
    return `[${parts.join(separator)}]`;
  };
  return `array(${render(0, 0)}${suffix}`;
}
