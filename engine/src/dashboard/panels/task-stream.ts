/**
 * Task Stream: one row per worker thread, one bar per task over time, coloured by prefix;
 * transfers into a worker are red. Keeps the last `rectCapacity` bars, as Dask does.
 */
import type { BokehApi } from "./bokeh-api.js";
import { applyTheme, clockFormatter, prefixColor, setFactors, themedFigure, TRANSFER_COLOR, type PanelDefinition } from "./common.js";
import type { TaskRect } from "../protocol.js";

const rowOf = (r: TaskRect): string => (r.kind === "transfer" ? `${r.worker} transfers` : `${r.worker}-${r.thread}`);

function columns(rects: TaskRect[]): Record<string, unknown[]> {
  return {
    key: rects.map((r) => r.key),
    prefix: rects.map((r) => r.prefix),
    row: rects.map(rowOf),
    start: rects.map((r) => r.start),
    stop: rects.map((r) => r.stop),
    duration: rects.map((r) => r.stop - r.start),
    color: rects.map((r) => (r.kind === "transfer" ? TRANSFER_COLOR : prefixColor(r.prefix))),
  };
}

export const taskStream: PanelDefinition = {
  id: "task-stream",
  title: "Task Stream",
  create(bokeh: BokehApi, theme) {
    const source = new bokeh.ColumnDataSource({ data: columns([]), name: "tessera-task-stream" });
    const rows = new Set<string>();
    const fig = themedFigure(bokeh, theme, {
      x_axis_type: "datetime",
      y_range: new bokeh.FactorRange({ factors: [] }),
      tools: "xpan,xwheel_zoom,reset",
    });
    fig.xaxis.formatter = clockFormatter(bokeh);
    fig.hbar({ y: { field: "row" }, left: { field: "start" }, right: { field: "stop" }, height: 0.9, fill_color: { field: "color" }, line_color: null, source });
    fig.add_tools(new bokeh.HoverTool({ tooltips: [["key", "@key"], ["duration", "@duration{0.00} ms"]] }));
    applyTheme(fig, theme);
    return {
      root: fig,
      update(message) {
        if (message.type === "snapshot") source.data = columns(message.rects);
        else if (message.rects.length > 0) source.stream(columns(message.rects), message.rectCapacity);
        for (const r of message.rects) rows.add(rowOf(r));
        setFactors(fig, [...rows].sort());
      },
    };
  },
};
