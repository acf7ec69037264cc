/**
 * What a notebook shows for a chunked array, after Dask's `_repr_html_`: a table of bytes,
 * shape, chunk count and dtype for the whole array and for one chunk, beside a drawing of the
 * chunk grid (the last two dimensions as a rectangle cut by chunk boundaries; a third
 * dimension as depth).
 */
import type { ChunkedArray } from "./array.js";
import { chunkBoundaries } from "./chunks.js";
import { itemsize } from "./dtype.js";

/** `1.53 MiB`, like Dask's `format_bytes`. */
export function formatBytes(n: number): string {
  const units = ["bytes", "kiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(2)} ${units[i]}`;
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const tuple = (xs: readonly number[]): string => `(${xs.join(", ")}${xs.length === 1 ? "," : ""})`;

/** The chunk grid as an SVG drawing. */
export function arraySVG(x: ChunkedArray, size = 120): string {
  const shape = x.shape;
  const dims = x.chunks.slice(-2).map((c) => [...c]);
  while (dims.length < 2) dims.unshift([1]);
  const [rows, cols] = dims as [number[], number[]];
  const total = [rows.reduce((a, b) => a + b, 0), cols.reduce((a, b) => a + b, 0)];
  // Lengths scale logarithmically when one side dwarfs the other, as in Dask.
  const ratio = total[0]! === 0 || total[1]! === 0 ? 1 : total[0]! / total[1]!;
  const clampRatio = Math.min(Math.max(ratio, 0.1), 10);
  const h = clampRatio >= 1 ? size : size * clampRatio;
  const w = clampRatio >= 1 ? size / clampRatio : size;
  const depth = x.ndim >= 3 ? 20 : 0;
  const lines: string[] = [];
  const ys = chunkBoundaries(rows).map((b) => (total[0]! === 0 ? 0 : (b / total[0]!) * h));
  const xs = chunkBoundaries(cols).map((b) => (total[1]! === 0 ? 0 : (b / total[1]!) * w));
  // Too many boundaries blur into a filled rectangle; draw at most 100 per axis.
  const thin = (v: number[]): number[] => (v.length > 101 ? v.filter((_, i) => i % Math.ceil(v.length / 100) === 0 || i === v.length - 1) : v);
  const ox = depth;
  for (const y of thin(ys)) lines.push(`<line x1="${ox}" y1="${(y + depth).toFixed(1)}" x2="${(ox + w).toFixed(1)}" y2="${(y + depth).toFixed(1)}" style="stroke-width:1" />`);
  for (const xx of thin(xs)) lines.push(`<line x1="${(ox + xx).toFixed(1)}" y1="${depth}" x2="${(ox + xx).toFixed(1)}" y2="${(depth + h).toFixed(1)}" style="stroke-width:1" />`);
  if (depth > 0) {
    lines.push(`<polygon points="0,0 ${w.toFixed(1)},0 ${(w + depth).toFixed(1)},${depth} ${depth},${depth}" style="fill:#ECB172A0;stroke-width:0" />`);
    lines.push(`<polygon points="0,0 ${depth},${depth} ${depth},${(h + depth).toFixed(1)} 0,${h.toFixed(1)}" style="fill:#ECB172A0;stroke-width:0" />`);
  }
  const rect = `<polygon points="${ox},${depth} ${(ox + w).toFixed(1)},${depth} ${(ox + w).toFixed(1)},${(depth + h).toFixed(1)} ${ox},${(depth + h).toFixed(1)}" style="fill:#ECB172A0;stroke-width:0" />`;
  const labelW = `<text x="${(ox + w / 2).toFixed(1)}" y="${(depth + h + 18).toFixed(1)}" font-size="1.0rem" text-anchor="middle">${shape[shape.length - 1] ?? 1}</text>`;
  const labelH = `<text x="${(ox + w + 12).toFixed(1)}" y="${(depth + h / 2).toFixed(1)}" font-size="1.0rem" text-anchor="middle" transform="rotate(-90,${(ox + w + 12).toFixed(1)},${(depth + h / 2).toFixed(1)})">${shape.length >= 2 ? shape[shape.length - 2] : 1}</text>`;
  const width = ox + w + 30;
  const height = depth + h + 30;
  return `<svg width="${width.toFixed(0)}" height="${height.toFixed(0)}" style="stroke:rgb(0,0,0);stroke-width:1" xmlns="http://www.w3.org/2000/svg">${rect}${lines.join("")}${labelW}${labelH}</svg>`;
}

/** Dask's HTML repr: the summary table beside the chunk diagram. */
export function arrayHTML(x: ChunkedArray): string {
  const chunkBytes = x.chunksize.reduce((a, b) => a * b, 1) * itemsize(x.dtype);
  const rows: [string, string, string][] = [
    ["Bytes", formatBytes(x.nbytes), formatBytes(chunkBytes)],
    ["Shape", tuple(x.shape), tuple(x.chunksize)],
  ];
  const layers = x.graph.layers.size;
  const tasks = x.graph.size;
  const body = rows.map(([k, a, c]) => `<tr><th>${k}</th><td>${esc(a)}</td><td>${esc(c)}</td></tr>`).join("");
  const table =
    `<table><thead><tr><td></td><th>Array</th><th>Chunk</th></tr></thead><tbody>${body}` +
    `<tr><th>Graph</th><td colspan="2">${x.npartitions} chunks in ${layers} graph layer${layers === 1 ? "" : "s"} (${tasks} tasks)</td></tr>` +
    `<tr><th>Data type</th><td colspan="2">${x.dtype} NDArray</td></tr></tbody></table>`;
  return `<table><tr><td>${table}</td><td>${arraySVG(x)}</td></tr></table>`;
}
