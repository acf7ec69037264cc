/** Worker Memory: bytes of results each worker holds. */
import type { BokehApi } from "./bokeh-api.js";
import { applyTheme, formatBytes, setFactors, themedFigure, type PanelDefinition } from "./common.js";
import type { WorkerRow } from "../protocol.js";

function columns(workers: WorkerRow[]): Record<string, unknown[]> {
  return {
    worker: workers.map((w) => w.id),
    nbytes: workers.map((w) => w.nbytes),
    label: workers.map((w) => formatBytes(w.nbytes)),
    keys: workers.map((w) => w.keys),
  };
}

export const workerMemory: PanelDefinition = {
  id: "worker-memory",
  title: "Worker Memory",
  create(bokeh: BokehApi, theme) {
    const source = new bokeh.ColumnDataSource({ data: columns([]), name: "tessera-worker-memory" });
    const fig = themedFigure(bokeh, theme, { y_range: new bokeh.FactorRange({ factors: [] }), tools: "", x_axis_label: "bytes held" });
    fig.hbar({ y: { field: "worker" }, left: 0, right: { field: "nbytes" }, height: 0.8, fill_color: "#1f77b4", line_color: null, source });
    fig.add_tools(new bokeh.HoverTool({ tooltips: [["worker", "@worker"], ["memory", "@label"], ["keys", "@keys"]] }));
    applyTheme(fig, theme);
    return {
      root: fig,
      update(message) {
        source.data = columns(message.workers);
        setFactors(fig, message.workers.map((w) => w.id));
      },
    };
  },
};
