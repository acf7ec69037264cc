/**
 * Every dashboard panel, in the order they are listed. Each panel is a browser module that
 * draws with the BokehJS it is given; the standalone page and the JupyterLab extension both
 * import this list.
 */
import type { PanelDefinition } from "./common.js";
import { progress } from "./progress.js";
import { exceptions, workersTable } from "./tables.js";
import { taskStream } from "./task-stream.js";
import { workerMemory } from "./worker-memory.js";

export const PANELS: readonly PanelDefinition[] = [taskStream, progress, workerMemory, workersTable, exceptions];

export { LIGHT_THEME, prefixColor, type PanelDefinition, type PanelTheme, type PanelView } from "./common.js";
export type { BokehApi } from "./bokeh-api.js";
export { connectDashboard, type DashboardConnection } from "./connect.js";
