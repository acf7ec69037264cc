/** Panels that are tables: Workers and Exceptions (and the helper the Logs panel shares). */
import type { BokehApi } from "./bokeh-api.js";
import { formatBytes, type PanelDefinition, type PanelTheme } from "./common.js";

/** A table over a source named `name`; fields are [field, title, relative width?]. */
export function dataTable(
  bokeh: BokehApi,
  name: string,
  fields: [field: string, title: string, width?: number][],
  _theme: PanelTheme,
): { source: InstanceType<BokehApi["ColumnDataSource"]>; root: unknown } {
  const source = new bokeh.ColumnDataSource({ data: Object.fromEntries(fields.map(([f]) => [f, []])), name });
  const columns = fields.map(([field, title, width]) => new bokeh.Tables.TableColumn({ field, title, ...(width ? { width } : {}) }));
  const root = new bokeh.Tables.DataTable({ source, columns, sizing_mode: "stretch_both", index_position: null });
  return { source, root };
}

export const workersTable: PanelDefinition = {
  id: "workers",
  title: "Workers",
  create(bokeh, theme) {
    const { source, root } = dataTable(
      bokeh,
      "tessera-workers",
      [["id", "worker"], ["nthreads", "threads"], ["processing", "processing"], ["keys", "keys"], ["memory", "memory"]],
      theme,
    );
    return {
      root,
      update(message) {
        const w = message.workers;
        source.data = {
          id: w.map((x) => x.id),
          nthreads: w.map((x) => x.nthreads),
          processing: w.map((x) => x.processing),
          keys: w.map((x) => x.keys),
          memory: w.map((x) => formatBytes(x.nbytes)),
        };
      },
    };
  },
};

export const exceptions: PanelDefinition = {
  id: "exceptions",
  title: "Exceptions",
  create(bokeh, theme) {
    const { source, root } = dataTable(bokeh, "tessera-exceptions", [["time", "time"], ["key", "key"], ["name", "error"], ["message", "message"], ["worker", "worker"]], theme);
    return {
      root,
      update(message) {
        const e = [...message.exceptions].reverse();
        source.data = {
          time: e.map((x) => new Date(x.time).toLocaleTimeString()),
          key: e.map((x) => x.key),
          name: e.map((x) => x.name),
          message: e.map((x) => x.message),
          worker: e.map((x) => x.worker ?? ""),
        };
      },
    };
  },
};
