/**
 * Progress: one bar per task prefix, split into done | in memory | processing | waiting | erred,
 * each as a fraction of the prefix's tasks (Dask's progress panel).
 */
import type { BokehApi } from "./bokeh-api.js";
import { applyTheme, ERRED_COLOR, prefixColor, setFactors, themedFigure, type PanelDefinition } from "./common.js";
import type { PrefixProgress } from "../protocol.js";

const SEGMENTS = ["done", "memory", "processing", "waiting", "erred"] as const;

function columns(progress: PrefixProgress[]): Record<string, unknown[]> {
  const rows = progress.filter((p) => p.total > 0);
  const data: Record<string, unknown[]> = {
    prefix: rows.map((p) => p.prefix),
    total: rows.map((p) => p.total),
    color: rows.map((p) => prefixColor(p.prefix)),
  };
  for (const s of SEGMENTS) data[s] = rows.map((p) => p[s]);
  // Cumulative edges: segment s spans [s_left, s_right] as a fraction of the prefix's total.
  const edge = rows.map(() => 0);
  for (const s of SEGMENTS) {
    data[`${s}_left`] = [...edge];
    rows.forEach((p, i) => (edge[i]! += p[s] / p.total));
    data[`${s}_right`] = [...edge];
  }
  return data;
}

export const progress: PanelDefinition = {
  id: "progress",
  title: "Progress",
  create(bokeh: BokehApi, theme) {
    const source = new bokeh.ColumnDataSource({ data: columns([]), name: "tessera-progress" });
    const fig = themedFigure(bokeh, theme, { x_range: [0, 1], y_range: new bokeh.FactorRange({ factors: [] }), tools: "" });
    const styles: Record<(typeof SEGMENTS)[number], Record<string, unknown>> = {
      done: { fill_color: { field: "color" }, fill_alpha: 0.6 },
      memory: { fill_color: { field: "color" }, fill_alpha: 1 },
      processing: { fill_color: "#888888", fill_alpha: 0.5 },
      waiting: { fill_color: "#888888", fill_alpha: 0.15 },
      erred: { fill_color: ERRED_COLOR, fill_alpha: 1 },
    };
    for (const s of SEGMENTS) {
      fig.hbar({ y: { field: "prefix" }, left: { field: `${s}_left` }, right: { field: `${s}_right` }, height: 0.8, line_color: null, source, ...styles[s] });
    }
    fig.add_tools(
      new bokeh.HoverTool({
        tooltips: [["prefix", "@prefix"], ["done", "@done / @total"], ["in memory", "@memory"], ["processing", "@processing"], ["waiting", "@waiting"], ["erred", "@erred"]],
      }),
    );
    applyTheme(fig, theme);
    return {
      root: fig,
      update(message) {
        const data = columns(message.progress);
        source.data = data;
        setFactors(fig, (data["prefix"] as string[]).slice().reverse());
      },
    };
  },
};
