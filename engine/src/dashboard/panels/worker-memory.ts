/** Worker Memory: bytes of results each worker holds, and the cluster's total over time. */
import type { BokehApi } from "./bokeh-api.js";
import { applyTheme, bytesFormatter, clockFormatter, formatBytes, setFactors, themedFigure, type PanelDefinition } from "./common.js";
import type { MemorySample, WorkerRow } from "../protocol.js";

function columns(workers: WorkerRow[]): Record<string, unknown[]> {
  return {
    worker: workers.map((w) => w.id),
    nbytes: workers.map((w) => w.nbytes),
    label: workers.map((w) => formatBytes(w.nbytes)),
    keys: workers.map((w) => w.keys),
  };
}

function totalColumns(samples: MemorySample[]): Record<string, unknown[]> {
  return {
    time: samples.map((s) => s.time),
    nbytes: samples.map((s) => s.nbytes),
    label: samples.map((s) => formatBytes(s.nbytes)),
  };
}

export const workerMemory: PanelDefinition = {
  id: "worker-memory",
  title: "Worker Memory",
  create(bokeh: BokehApi, theme) {
    const source = new bokeh.ColumnDataSource({ data: columns([]), name: "tessera-worker-memory" });
    const fig = themedFigure(bokeh, theme, { y_range: new bokeh.FactorRange({ factors: [] }), tools: "", x_axis_label: "bytes held", min_height: 120 });
    fig.xaxis.formatter = bytesFormatter(bokeh);
    fig.hbar({ y: { field: "worker" }, left: 0, right: { field: "nbytes" }, height: 0.8, fill_color: "#1f77b4", line_color: null, source });
    fig.add_tools(new bokeh.HoverTool({ tooltips: [["worker", "@worker"], ["memory", "@label"], ["keys", "@keys"]] }));
    applyTheme(fig, theme);

    const total = new bokeh.ColumnDataSource({ data: totalColumns([]), name: "tessera-worker-memory-total" });
    const totalFig = themedFigure(bokeh, theme, { x_axis_type: "datetime", tools: "", y_axis_label: "cluster total", min_height: 120 });
    totalFig.xaxis.formatter = clockFormatter(bokeh);
    totalFig.yaxis.formatter = bytesFormatter(bokeh);
    totalFig.line({ x: { field: "time" }, y: { field: "nbytes" }, line_color: "#1f77b4", line_width: 2, source: total });
    totalFig.add_tools(new bokeh.HoverTool({ tooltips: [["cluster total", "@label"]] }));
    applyTheme(totalFig, theme);

    return {
      root: new bokeh.Column({ children: [fig, totalFig], sizing_mode: "stretch_both" }),
      update(message) {
        source.data = columns(message.workers);
        setFactors(fig, message.workers.map((w) => w.id));
        total.data = totalColumns(message.memory);
      },
    };
  },
};
