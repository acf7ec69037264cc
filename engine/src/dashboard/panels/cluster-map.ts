/**
 * Cluster Map: the scheduler in the centre, workers on a circle around it. Lines flash from
 * the scheduler to a worker as tasks are sent to it, and between workers as data moves (red),
 * thicker for more, then fade: Dask's "pew-pew". Each window of counts flashes once.
 */
import type { BokehApi } from "./bokeh-api.js";
import { applyTheme, hideAxes, themedFigure, TRANSFER_COLOR, type PanelDefinition } from "./common.js";
import type { ClusterMapState, DashboardMessage, FlowCount } from "../protocol.js";

const SCHEDULER = "scheduler";
const TASK_COLOR = "#1f77b4";
/** A flash halves its opacity this often, and is gone below `MIN_ALPHA`. */
const FADE_STEP_MS = 150;
const MIN_ALPHA = 0.15;

type Point = [number, number];

/** Workers evenly on the unit circle, the first at the top, clockwise. */
function positions(ids: string[]): Map<string, Point> {
  const at = new Map<string, Point>([[SCHEDULER, [0, 0]]]);
  ids.forEach((id, i) => {
    const angle = Math.PI / 2 - (2 * Math.PI * i) / ids.length;
    at.set(id, [Math.cos(angle), Math.sin(angle)]);
  });
  return at;
}

function nodeColumns(message: Pick<DashboardMessage, "workers"> & { clusterMap: Pick<ClusterMapState, "total"> }, at: Map<string, Point>): Record<string, unknown[]> {
  const sent = new Map<string, number>();
  for (const f of message.clusterMap.total) if (f.kind === "task") sent.set(f.to, f.count);
  const workers = message.workers;
  const load = (w: (typeof workers)[number]): number => Math.min(1, w.processing / Math.max(1, w.nthreads));
  return {
    id: [SCHEDULER, ...workers.map((w) => w.id)],
    x: [0, ...workers.map((w) => at.get(w.id)![0])],
    y: [0, ...workers.map((w) => at.get(w.id)![1])],
    kind: ["scheduler", ...workers.map(() => "worker")],
    nthreads: [0, ...workers.map((w) => w.nthreads)],
    processing: [workers.reduce((n, w) => n + w.processing, 0), ...workers.map((w) => w.processing)],
    sent: [[...sent.values()].reduce((a, b) => a + b, 0), ...workers.map((w) => sent.get(w.id) ?? 0)],
    size: [34, ...workers.map(() => 22)],
    color: ["#2d3e50", ...workers.map(() => TASK_COLOR)],
    // Busy workers are solid, idle ones faint.
    alpha: [1, ...workers.map((w) => 0.25 + 0.75 * load(w))],
    // Labels sit outside the circle, away from the lines.
    label_y: [-0.22, ...workers.map((w) => at.get(w.id)![1] * 1.2 - 0.05)],
    label_x: [0, ...workers.map((w) => at.get(w.id)![0] * 1.2)],
  };
}

function flowColumns(flows: FlowCount[], at: Map<string, Point>, alpha: number): Record<string, unknown[]> {
  const drawn = flows.filter((f) => at.has(f.from) && at.has(f.to));
  return {
    kind: drawn.map((f) => f.kind),
    from: drawn.map((f) => f.from),
    to: drawn.map((f) => f.to),
    count: drawn.map((f) => f.count),
    x0: drawn.map((f) => at.get(f.from)![0]),
    y0: drawn.map((f) => at.get(f.from)![1]),
    x1: drawn.map((f) => at.get(f.to)![0]),
    y1: drawn.map((f) => at.get(f.to)![1]),
    color: drawn.map((f) => (f.kind === "transfer" ? TRANSFER_COLOR : TASK_COLOR)),
    width: drawn.map((f) => Math.min(10, 1.5 + 1.5 * Math.log2(f.count))),
    alpha: drawn.map(() => alpha),
  };
}

export const clusterMap: PanelDefinition = {
  id: "cluster-map",
  title: "Cluster Map",
  create(bokeh: BokehApi, theme) {
    const nodes = new bokeh.ColumnDataSource({ data: nodeColumns({ workers: [], clusterMap: { total: [] } }, new Map()), name: "tessera-cluster-map" });
    const flows = new bokeh.ColumnDataSource({ data: flowColumns([], new Map(), 0), name: "tessera-cluster-map-flows" });
    const fig = themedFigure(bokeh, theme, { x_range: [-1.45, 1.45], y_range: [-1.35, 1.35], tools: "", match_aspect: true });
    hideAxes(fig);
    fig.segment({
      x0: { field: "x0" }, y0: { field: "y0" }, x1: { field: "x1" }, y1: { field: "y1" },
      line_color: { field: "color" }, line_width: { field: "width" }, line_alpha: { field: "alpha" }, source: flows,
    });
    const circles = fig.scatter({
      x: { field: "x" }, y: { field: "y" }, size: { field: "size" }, marker: "circle",
      fill_color: { field: "color" }, fill_alpha: { field: "alpha" }, line_color: theme.background, source: nodes,
    });
    fig.text({
      x: { field: "label_x" }, y: { field: "label_y" }, text: { field: "id" }, text_align: "center", text_baseline: "middle",
      text_font_size: "11px", text_color: theme.text, source: nodes,
    });
    fig.add_tools(
      new bokeh.HoverTool({
        renderers: [circles],
        tooltips: [["", "@id"], ["threads", "@nthreads"], ["processing", "@processing"], ["tasks sent", "@sent"]],
      }),
    );
    applyTheme(fig, theme);

    let at = new Map<string, Point>();
    let flashed = Number.NaN;
    let fade: ReturnType<typeof setTimeout> | undefined;
    const flash = (rows: FlowCount[], alpha: number): void => {
      clearTimeout(fade);
      flows.data = flowColumns(rows, at, alpha);
      if (rows.length === 0) return;
      const next = alpha / 2;
      fade = setTimeout(() => flash(next < MIN_ALPHA ? [] : rows, next), FADE_STEP_MS);
    };
    return {
      root: fig,
      update(message) {
        at = positions(message.workers.map((w) => w.id));
        nodes.data = nodeColumns(message, at);
        const map = message.clusterMap;
        if (map.windowStart !== flashed && map.recent.length > 0) {
          flashed = map.windowStart;
          flash(map.recent, 0.85);
        }
      },
    };
  },
};
