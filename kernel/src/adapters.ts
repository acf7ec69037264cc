/**
 * Display adapters for the engine's objects: they map a Delayed, a Future, a Client or
 * LocalCluster, and the `{ dot, svg }` that `visualize()` returns, to MIME data. They live in
 * the kernel because showing things in a notebook is the kernel's job; the engine only
 * offers `toString()` (which becomes the text/plain form).
 *
 * The HTML uses JupyterLab's theme variables, with fallbacks for other front ends.
 */
import { inspect } from "node:util";

import { Client, DataFrame, Delayed, Future, LiveGraph, LocalCluster, NDArray } from "@tessera/engine";

import { dashboardData } from "./dashboard-discovery.js";
import { registerDisplayAdapter, type MimeData } from "./display.js";

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const MUTED = "color: var(--jp-ui-font-color2, #616161)";
const BOX = "font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 13px); line-height: 1.5";

function card(title: string, rows: [string, string][]): string {
  const cells = rows
    .map(([k, v]) => `<tr><th style="text-align: left; padding: 1px 12px 1px 0; ${MUTED}; font-weight: normal">${escapeHtml(k)}</th><td style="text-align: left; padding: 1px 0">${v}</td></tr>`)
    .join("");
  return `<div style="${BOX}"><strong>${escapeHtml(title)}</strong><table style="border-collapse: collapse; margin: 2px 0 0 0">${cells}</table></div>`;
}

function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

const STATUS_COLORS: Record<string, string> = {
  pending: "var(--jp-ui-font-color2, #616161)",
  finished: "var(--jp-success-color1, #388e3c)",
  error: "var(--jp-error-color1, #d32f2f)",
  cancelled: "var(--jp-warn-color1, #f57c00)",
};

export function delayedData(d: Delayed): MimeData {
  const graph = d.__tesseraGraph();
  const tasks = graph.size;
  const summary = tasks === 0 ? "held in cluster memory" : `${tasks} task${tasks === 1 ? "" : "s"} in ${graph.layers.size} layer${graph.layers.size === 1 ? "" : "s"}`;
  return {
    "text/plain": d.toString(),
    "text/html":
      `<div style="${BOX}"><strong>Delayed</strong> <code>${escapeHtml(d.key)}</code> ` +
      `<span style="${MUTED}">· ${escapeHtml(summary)}</span></div>`,
  };
}

export function futureData(f: Future): MimeData {
  const color = STATUS_COLORS[f.status] ?? "inherit";
  return {
    "text/plain": f.toString(),
    "text/html":
      `<div style="${BOX}"><strong>Future</strong> <code>${escapeHtml(f.key)}</code> ` +
      `<span style="${MUTED}">status:</span> <span style="color: ${color}">${escapeHtml(f.status)}</span></div>`,
  };
}

function clusterRows(cluster: LocalCluster): [string, string][] {
  const workers = cluster.workers();
  const threads = workers.reduce((a, w) => a + w.nthreads, 0);
  const processing = workers.reduce((a, w) => a + w.processing, 0);
  const keys = workers.reduce((a, w) => a + w.keys, 0);
  const bytes = workers.reduce((a, w) => a + w.nbytes, 0);
  return [
    ["Workers", String(workers.length)],
    ["Threads", String(threads)],
    ["Tasks processing", String(processing)],
    ["Keys in memory", `${keys} (${formatBytes(bytes)})`],
  ];
}

export function clientData(c: Client): MimeData {
  const link = c.dashboardLink;
  const rows = clusterRows(c.cluster);
  if (link !== null) rows.unshift(["Dashboard", `<a href="${escapeHtml(link)}" target="_blank">${escapeHtml(link)}</a>`]);
  // The dashboard's address also travels as its own MIME type, for the JupyterLab extension.
  return { "text/plain": c.toString(), "text/html": card("Client · LocalCluster", rows), ...dashboardData(c) };
}

export function clusterData(c: LocalCluster): MimeData {
  return { "text/plain": c.toString(), "text/html": card("LocalCluster", clusterRows(c)) };
}

/** What `visualize()` returns: Graphviz DOT and the SVG drawn from it. */
export function isGraphDrawing(value: unknown): value is { dot: string; svg: string } {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.dot === "string" && typeof v.svg === "string" && /<svg[\s>]/.test(v.svg);
}

export function graphDrawingData(g: { dot: string; svg: string }): MimeData {
  const nodes = (g.dot.match(/^\s*"?[^\s"]+"?\s*\[/gm) ?? []).length;
  return { "text/plain": `<task graph drawing: ${nodes} nodes; .dot holds the Graphviz source>`, "image/svg+xml": g.svg };
}

/** A live graph: its current drawing, with the states of its tasks in the plain text. */
export function liveGraphData(g: LiveGraph): MimeData {
  return { ...graphDrawingData(g), "text/plain": g.toString() };
}

function htmlTable(header: string[], rows: string[][]): string {
  const th = header.map((h) => `<th style="text-align: left; padding: 1px 10px 1px 0">${escapeHtml(h)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td style="text-align: left; padding: 1px 10px 1px 0">${escapeHtml(c)}</td>`).join("")}</tr>`)
    .join("");
  return `<table style="border-collapse: collapse; margin: 2px 0 0 0"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A lazy DataFrame, as Dask shows one: its partitions, columns and types, nothing computed. */
export function dataFrameData(df: DataFrame): MimeData {
  const dtypes = Object.entries(df.dtypes);
  const title = `Tessera DataFrame · ${df.npartitions} partition${df.npartitions === 1 ? "" : "s"} · ${dtypes.length} columns`;
  return {
    "text/plain": `${title}\n${dtypes.map(([c, t]) => `  ${c}: ${t}`).join("\n")}`,
    "text/html": `<div style="${BOX}"><strong>${escapeHtml(title)}</strong>${htmlTable(["column", "type"], dtypes.map(([c, t]) => [c, t]))}</div>`,
  };
}

/** The part of an Apache Arrow Table the repr reads (the kernel does not load Arrow itself). */
interface ArrowTableLike {
  numRows: number;
  schema: { fields: { name: string }[] };
  slice(begin: number, end: number): { toArray(): Record<string, unknown>[] };
}

function isArrowTable(value: unknown): value is ArrowTableLike {
  const v = value as Record<string, unknown> | null;
  return !!v && typeof v === "object" && typeof v.numRows === "number" && typeof v.slice === "function" && typeof v.getChild === "function" && !!v.schema;
}

const SHOW_ROWS = 10;

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));
  return String(v);
}

/** A computed table: its first rows and its shape. */
export function arrowTableData(t: ArrowTableLike): MimeData {
  const names = t.schema.fields.map((f) => f.name);
  const rows = t
    .slice(0, SHOW_ROWS)
    .toArray()
    .map((r) => names.map((n) => cellText(r[n])));
  const shape = `${t.numRows} rows × ${names.length} columns`;
  const more = t.numRows > SHOW_ROWS ? `… ${t.numRows - SHOW_ROWS} more rows` : "";
  const text = [names.join("\t"), ...rows.map((r) => r.join("\t")), ...(more ? [more] : []), `[${shape}]`].join("\n");
  return {
    "text/plain": text,
    "text/html": `<div style="${BOX}">${htmlTable(names, rows)}<div style="${MUTED}">${escapeHtml(more ? `${more} · ${shape}` : shape)}</div></div>`,
  };
}

/** A computed n-d array: shape and type, then its values as NumPy prints them (summarized when large). */
export function ndarrayData(a: NDArray): MimeData {
  const summary = `NDArray shape=(${a.shape.join(", ")}) dtype=${a.dtype}`;
  const values = inspect(a);
  return {
    "text/plain": `${summary}\n${values}`,
    "text/html": `<div style="${BOX}"><strong>${escapeHtml(summary)}</strong><pre style="margin: 4px 0 0">${escapeHtml(values)}</pre></div>`,
  };
}

/** The engine's objects as MIME data, or undefined for anything else. */
export function engineDisplayAdapter(value: unknown): MimeData | undefined {
  if (value instanceof DataFrame) return dataFrameData(value);
  if (value instanceof NDArray) return ndarrayData(value);
  if (isArrowTable(value)) return arrowTableData(value);
  if (value instanceof Delayed) return delayedData(value);
  if (value instanceof Future) return futureData(value);
  if (value instanceof Client) return clientData(value);
  if (value instanceof LocalCluster) return clusterData(value);
  if (value instanceof LiveGraph) return liveGraphData(value);
  if (isGraphDrawing(value)) return graphDrawingData(value);
  return undefined;
}

let registered = false;

/** Register the engine's display adapters with the kernel (idempotent). */
export function registerEngineAdapters(): void {
  if (registered) return;
  registered = true;
  registerDisplayAdapter(engineDisplayAdapter);
}
