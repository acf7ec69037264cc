/**
 * How a LocalCluster gets its dashboard: on 127.0.0.1:8787 (or the next free port) unless the
 * cluster was asked for another address or for none.
 */
import type { Scheduler } from "../scheduler/scheduler.js";
import { DashboardServer, parseDashboardAddress } from "./server.js";

/** `":8787"`, `"127.0.0.1:8787"`, `"0.0.0.0:8787"`, a port number; `false`/`null`: no dashboard. */
export type DashboardAddress = string | number | false | null;

export interface ClusterDashboardOptions {
  dashboardAddress?: DashboardAddress;
  /** Origins (besides the dashboard's own) allowed to stream it, e.g. JupyterLab's. */
  dashboardOrigins?: string[];
  /** Token for a dashboard bound to a non-loopback address (generated if absent). */
  dashboardToken?: string;
}

/**
 * Start the dashboard of a cluster. With the default address a failure to listen is only a
 * warning (the cluster is what the user asked for); an explicit address that cannot be bound
 * is an error.
 */
export async function startClusterDashboard(scheduler: Scheduler, opts: ClusterDashboardOptions): Promise<DashboardServer | null> {
  const address = opts.dashboardAddress === undefined ? ":8787" : opts.dashboardAddress;
  if (address === false || address === null) return null;
  const { host, port } = parseDashboardAddress(address);
  try {
    return await DashboardServer.start(scheduler.events, {
      host,
      port,
      ...(opts.dashboardToken !== undefined ? { token: opts.dashboardToken } : {}),
      ...(opts.dashboardOrigins ? { allowedOrigins: opts.dashboardOrigins } : {}),
      workers: () => scheduler.core.workerSummary(),
    });
  } catch (error) {
    if (opts.dashboardAddress !== undefined) throw error;
    process.emitWarning(`Tessera: the dashboard could not start (${(error as Error).message}); the cluster runs without it.`);
    return null;
  }
}
