/** What every panel shares: its contract with a host, the theme it is drawn in, and colours. */
import type { BokehApi, Figure } from "./bokeh-api.js";
import type { DashboardMessage, GraphNodeState } from "../protocol.js";

/** Colours a host passes in, so panels follow JupyterLab's theme (or the standalone page's). */
export interface PanelTheme {
  text: string;
  background: string;
  grid: string;
  font: string;
}

export const LIGHT_THEME: PanelTheme = { text: "#333333", background: "#ffffff", grid: "#e6e6e6", font: "sans-serif" };

/** A live panel: a Bokeh model for the host to show, and a way to feed it messages. */
export interface PanelView {
  /** The Bokeh model (figure or table) to embed with `Bokeh.Plotting.show(root, element)`. */
  readonly root: unknown;
  update(message: DashboardMessage): void;
}

export interface PanelDefinition {
  /** Stable id: page path `/individual-<id>`, data source names `tessera-<id>`. */
  id: string;
  title: string;
  create(bokeh: BokehApi, theme: PanelTheme): PanelView;
}

/**
 * A colour per task prefix that stays the same across messages, panels and page loads:
 * a string hash into an 18-colour palette (Tableau 20 without its greys, which mean processing and waiting here).
 */
const PALETTE = [
  "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94",
  "#e377c2", "#f7b6d2", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5", "#393b79", "#637939",
];
export const TRANSFER_COLOR = "#d62728";
export const ERRED_COLOR = "#d62728";

/** A colour per series (worker) by its position, so neighbours never share one. */
export function seriesColor(index: number): string {
  return PALETTE[(index * 2) % PALETTE.length]!;
}

/** Task states as Tessera's `visualize` fills them (after Dask's dashboard graph). */
export const STATE_COLORS: Readonly<Record<GraphNodeState, string>> = {
  waiting: "#d9d9d9",
  processing: "#74c476",
  memory: "#ef3b2c",
  erred: "#252525",
  released: "#6baed6",
};

export function prefixColor(prefix: string): string {
  let h = 2166136261;
  for (let i = 0; i < prefix.length; i++) h = Math.imul(h ^ prefix.charCodeAt(i), 16777619);
  return PALETTE[(h >>> 0) % PALETTE.length]!;
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A responsive figure in the theme's colours, without Bokeh's logo. */
export function themedFigure(bokeh: BokehApi, theme: PanelTheme, attrs: Record<string, unknown>): Figure {
  return bokeh.Plotting.figure({
    sizing_mode: "stretch_both",
    min_height: 160,
    toolbar_location: "above",
    background_fill_color: theme.background,
    border_fill_color: theme.background,
    outline_line_color: null,
    ...attrs,
  });
}

/** Axis, grid and title colours are set after creation: figure() takes no nested theme. */
export function applyTheme(fig: Figure, theme: PanelTheme): void {
  const f = fig as unknown as {
    axis?: { major_label_text_color: string; axis_label_text_color: string; axis_line_color: string; major_tick_line_color: string }[];
    xgrid?: { grid_line_color: string }[];
    ygrid?: { grid_line_color: string }[];
    title?: { text_color: string };
    toolbar?: { logo: unknown };
  };
  for (const axis of f.axis ?? []) {
    axis.major_label_text_color = theme.text;
    axis.axis_label_text_color = theme.text;
    axis.axis_line_color = theme.grid;
    axis.major_tick_line_color = theme.grid;
  }
  for (const g of [...(f.xgrid ?? []), ...(f.ygrid ?? [])]) g.grid_line_color = theme.grid;
  if (f.title) f.title.text_color = theme.text;
  if (f.toolbar) f.toolbar.logo = null;
}

/** Set a categorical range's factors only when they changed (each set re-lays out the plot). */
export function setFactors(fig: Figure, factors: string[]): void {
  const current = fig.y_range.factors;
  if (current.length === factors.length && current.every((f, i) => f === factors[i])) return;
  fig.y_range.factors = factors;
}

/** Tick labels in bytes (KB, MB, …) on an axis. */
export function bytesFormatter(bokeh: BokehApi): unknown {
  return new bokeh.NumeralTickFormatter({ format: "0.0 b" });
}

/** Clock time on a datetime axis; Bokeh's default shows "000ms" at each whole second. */
export function clockFormatter(bokeh: BokehApi): unknown {
  return new bokeh.DatetimeTickFormatter({
    milliseconds: "%H:%M:%S.%3N",
    seconds: "%H:%M:%S",
    minsec: "%H:%M:%S",
    context: null,
  });
}

/** For drawings whose coordinates mean nothing to a reader (the cluster map, the graph). */
export function hideAxes(fig: Figure): void {
  fig.axis.visible = false;
  fig.grid.visible = false;
}
