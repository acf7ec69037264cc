/**
 * The cluster behind the dashboard in use, as the sidebar's cluster section shows it, and the
 * two things one can do to it: scale and restart. It talks to the dashboard's cluster
 * controls (engine/src/dashboard/control.ts) along the route the panels use, so it works
 * wherever they do, and also while a cell is awaiting a long computation.
 */
import type { ServerConnection } from "@jupyterlab/services";
import { Signal, type ISignal } from "@lumino/signaling";
import type { ClusterInfo } from "../../engine/dist/dashboard/control.js";
import { dashboardFetch, type DashboardLink } from "./dashboard-route.js";

export type { ClusterInfo };

export class ClusterModel {
  private last: ClusterInfo | null = null;
  private problem: string | null = null;
  private readonly changedSignal = new Signal<this, void>(this);

  constructor(
    private readonly link: DashboardLink,
    private readonly settings: ServerConnection.ISettings,
  ) {
    link.changed.connect(() => {
      this.last = null;
      this.problem = null;
      this.changedSignal.emit();
    });
  }

  /** The cluster as last seen, or null (not asked yet, or no answer). */
  get info(): ClusterInfo | null {
    return this.last;
  }

  /** Why the last request failed, or null. */
  get error(): string | null {
    return this.problem;
  }

  get changed(): ISignal<this, void> {
    return this.changedSignal;
  }

  /** Ask the dashboard how the cluster is now. */
  async refresh(): Promise<ClusterInfo | null> {
    return this.request("GET", "api/cluster");
  }

  /** Run `workers` worker threads; resolves with the cluster once it has them. */
  async scale(workers: number): Promise<ClusterInfo | null> {
    return this.request("POST", "api/cluster/scale", { workers });
  }

  /** Replace every worker; resolves with the cluster once they are back. */
  async restart(): Promise<ClusterInfo | null> {
    return this.request("POST", "api/cluster/restart", {});
  }

  private async request(method: "GET" | "POST", path: string, body?: object): Promise<ClusterInfo | null> {
    const route = this.link.route;
    try {
      const init: RequestInit =
        method === "GET" ? { method } : { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
      const response = await dashboardFetch(route, path, init, this.settings);
      if (route !== this.link.route) return this.last; // the dashboard changed meanwhile
      const answer = (await response.json().catch(() => ({}))) as ClusterInfo & { error?: string };
      if (!response.ok) throw new Error(answer.error ?? `the dashboard answered ${response.status}`);
      this.last = answer;
      this.problem = null;
    } catch (error) {
      if (route !== this.link.route) return this.last;
      if (method === "GET") this.last = null;
      this.problem = (error as Error).message;
      this.changedSignal.emit();
      if (method === "POST") throw error;
      return null;
    }
    this.changedSignal.emit();
    return this.last;
  }
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
