/**
 * CPU / Occupancy: for each worker, the fraction of its threads' time spent running tasks,
 * per half second over the last minute; a line per worker.
 */
import type { BokehApi } from "./bokeh-api.js";
import { applyTheme, clockFormatter, seriesColor, themedFigure, type PanelDefinition } from "./common.js";
import type { OccupancyState } from "../protocol.js";

const MAX_LEGEND_ENTRIES = 8;

function columns(occupancy: OccupancyState): Record<string, unknown[]> {
  const { bucketMs, start, workers } = occupancy;
  // Each value is drawn at the middle of its bucket.
  const xs = workers.map((w) => w.busy.map((_, i) => start + (i + 0.5) * bucketMs));
  return {
    worker: workers.map((w) => w.id),
    nthreads: workers.map((w) => w.nthreads),
    xs,
    ys: workers.map((w) => w.busy),
    latest: workers.map((w) => (w.busy.length > 0 ? w.busy[w.busy.length - 1]! : 0)),
    color: workers.map((_, i) => seriesColor(i)),
  };
}

export const occupancy: PanelDefinition = {
  id: "occupancy",
  title: "CPU / Occupancy",
  create(bokeh: BokehApi, theme) {
    const source = new bokeh.ColumnDataSource({ data: columns({ bucketMs: 1, start: 0, workers: [] }), name: "tessera-occupancy" });
    const fig = themedFigure(bokeh, theme, { x_axis_type: "datetime", y_range: [0, 1.05], tools: "", y_axis_label: "busy fraction" });
    fig.xaxis.formatter = clockFormatter(bokeh);
    fig.yaxis.formatter = new bokeh.NumeralTickFormatter({ format: "0%" });
    fig.multi_line({ xs: { field: "xs" }, ys: { field: "ys" }, line_color: { field: "color" }, line_width: 2, legend_field: "worker", source });
    const legend = fig.legend as { visible: boolean };
    Object.assign(legend, { location: "top_left", background_fill_alpha: 0.6, label_text_font_size: "10px", label_text_color: theme.text, border_line_alpha: 0 });
    fig.add_tools(new bokeh.HoverTool({ tooltips: [["worker", "@worker"], ["threads", "@nthreads"], ["busy now", "@latest{0%}"]] }));
    applyTheme(fig, theme);
    return {
      root: fig,
      update(message) {
        source.data = columns(message.occupancy);
        // A legend of many workers would hide the lines; hover still names them.
        legend.visible = message.occupancy.workers.length <= MAX_LEGEND_ENTRIES;
      },
    };
  },
};
