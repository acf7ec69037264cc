/**
 * Task Graph: the graph being computed, a dot per task laid out by depth (left to right) and
 * an edge per dependency, coloured by state as tasks wait, run, finish, fail or are released.
 * The drawing is capped (as Dask's is); the panel says how many tasks it shows.
 */
import type { BokehApi } from "./bokeh-api.js";
import { applyTheme, hideAxes, STATE_COLORS, themedFigure, type PanelDefinition } from "./common.js";
import type { TaskGraphState } from "../protocol.js";

function nodeColumns(g: TaskGraphState): Record<string, unknown[]> {
  return { key: g.keys, x: g.x, y: g.y, state: g.states, color: g.states.map((s) => STATE_COLORS[s]) };
}

function edgeColumns(g: TaskGraphState): Record<string, unknown[]> {
  const x0: number[] = [];
  const y0: number[] = [];
  const x1: number[] = [];
  const y1: number[] = [];
  for (let i = 0; i + 1 < g.edges.length; i += 2) {
    const from = g.edges[i]!;
    const to = g.edges[i + 1]!;
    x0.push(g.x[from]!);
    y0.push(g.y[from]!);
    x1.push(g.x[to]!);
    y1.push(g.y[to]!);
  }
  return { x0, y0, x1, y1 };
}

function caption(g: TaskGraphState): string {
  if (g.total === 0) return "no graph yet";
  const tasks = `${g.total} task${g.total === 1 ? "" : "s"}`;
  return g.keys.length < g.total ? `${tasks}; showing the first ${g.keys.length} (drawings stop at ${g.limit} tasks)` : tasks;
}

/** Redraw edges only when the layout changed, not for every change of state. */
const layoutOf = (g: TaskGraphState): string => `${g.total}/${g.keys.length}/${g.edges.length}/${g.keys[0] ?? ""}`;

export const taskGraph: PanelDefinition = {
  id: "task-graph",
  title: "Task Graph",
  create(bokeh: BokehApi, theme) {
    const empty: TaskGraphState = { total: 0, limit: 0, keys: [], x: [], y: [], states: [], edges: [] };
    const nodes = new bokeh.ColumnDataSource({ data: nodeColumns(empty), name: "tessera-task-graph" });
    const edges = new bokeh.ColumnDataSource({ data: edgeColumns(empty), name: "tessera-task-graph-edges" });
    const fig = themedFigure(bokeh, theme, { tools: "pan,wheel_zoom,reset", title: caption(empty) });
    hideAxes(fig);
    fig.segment({ x0: { field: "x0" }, y0: { field: "y0" }, x1: { field: "x1" }, y1: { field: "y1" }, line_color: theme.grid, line_width: 1, source: edges });
    const dots = fig.scatter({
      x: { field: "x" }, y: { field: "y" }, size: 9, marker: "circle", fill_color: { field: "color" }, line_color: theme.text, line_alpha: 0.3, source: nodes,
    });
    // One entry per state present, in a row above the plot, where no node can hide under it.
    const legend = new bokeh.Legend({
      items: [new bokeh.LegendItem({ label: { field: "state" }, renderers: [dots] })],
      orientation: "horizontal", location: "top_left", label_text_font_size: "10px", label_text_color: theme.text,
      background_fill_alpha: 0, border_line_alpha: 0, padding: 0, margin: 0,
    });
    fig.add_layout(legend, "above");
    fig.add_tools(new bokeh.HoverTool({ renderers: [dots], tooltips: [["key", "@key"], ["state", "@state"]] }));
    applyTheme(fig, theme);
    let layout = "";
    return {
      root: fig,
      update(message) {
        const g = message.taskGraph;
        const next = layoutOf(g);
        if (next !== layout) {
          layout = next;
          edges.data = edgeColumns(g);
          if (fig.title) fig.title.text = caption(g);
        }
        nodes.data = nodeColumns(g);
      },
    };
  },
};
