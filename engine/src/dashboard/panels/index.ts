/**
 * Every dashboard panel, in the order they are listed. Each panel is a browser module that
 * draws with the BokehJS it is given; the standalone page and the JupyterLab extension both
 * import this list.
 */
import { clusterMap } from "./cluster-map.js";
import type { PanelDefinition } from "./common.js";
import { logs } from "./logs.js";
import { occupancy } from "./occupancy.js";
import { progress } from "./progress.js";
import { exceptions, workersTable } from "./tables.js";
import { taskGraph } from "./task-graph.js";
import { taskStream } from "./task-stream.js";
import { workerMemory } from "./worker-memory.js";

export const PANELS: readonly PanelDefinition[] = [
  taskStream,
  progress,
  workerMemory,
  workersTable,
  clusterMap,
  occupancy,
  taskGraph,
  logs,
  exceptions,
];

export { LIGHT_THEME, prefixColor, type PanelDefinition, type PanelTheme, type PanelView } from "./common.js";
export type { BokehApi } from "./bokeh-api.js";
export { connectDashboard, type DashboardConnection } from "./connect.js";
