/** The dashboard: an HTTP + WebSocket server over the event stream, and its panels. */
export { DashboardServer, parseDashboardAddress, DEFAULT_DASHBOARD_PORT, type DashboardServerOptions } from "./server.js";
export { DashboardAggregator, DEFAULT_RECT_CAPACITY, type AggregatorOptions, type AggregatorStats } from "./aggregator.js";
export { startClusterDashboard, type DashboardAddress, type ClusterDashboardOptions } from "./cluster.js";
export type { DashboardMessage, DashboardSnapshot, TaskRect, PrefixProgress, WorkerRow, DashboardException, PanelInfo } from "./protocol.js";
