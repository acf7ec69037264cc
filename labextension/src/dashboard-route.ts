/**
 * How this page reaches the dashboard it shows. A dashboard listens on the kernel's machine,
 * usually on its loopback (`http://127.0.0.1:8787/`), which a browser elsewhere (JupyterLab
 * opened from another host, JupyterHub, an SSH tunnel to Jupyter's port only) cannot reach.
 * JupyterLab's own server can: with jupyter-server-proxy, `<baseUrl>proxy/<port>/…` forwards
 * HTTP and WebSockets to that port on its machine, behind JupyterLab's own login.
 *
 * So for a loopback dashboard the proxy is tried first and the direct address second; the
 * first that answers `panels.json` is used. Other addresses are used directly. Panels, the
 * sidebar and the cluster controls all go through the route chosen here.
 */
import { ServerConnection } from "@jupyterlab/services";
import { Signal, type ISignal } from "@lumino/signaling";
import type { DashboardAddress } from "./dashboard-address.js";

export type RouteKind = "proxy" | "direct";

export interface DashboardRoute {
  /** The dashboard's own address, as the kernel or the user named it. */
  dashboard: string;
  /** The base URL this page uses for the dashboard's HTTP routes and its WebSocket. */
  base: string;
  via: RouteKind;
  /** The dashboard's access token (only off loopback), sent as `?token=`. */
  token: string | null;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** `<baseUrl>proxy/<port>/` for a dashboard on the Jupyter server's loopback, else null. */
export function proxyBase(dashboard: string, serverBaseUrl: string): string | null {
  const url = new URL(dashboard);
  if (!LOOPBACK.test(url.hostname)) return null;
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const base = serverBaseUrl.endsWith("/") ? serverBaseUrl : `${serverBaseUrl}/`;
  return new URL(`proxy/${port}${url.pathname}`, new URL(base, window.location.href)).toString();
}

/** How long a question to the dashboard may go unanswered (a port held by something else may never answer). */
export const ASK_TIMEOUT_MS = 5000;

/**
 * A request to the dashboard along `route`. Through the proxy it is a request to JupyterLab's
 * server, so it carries JupyterLab's credentials (ServerConnection adds them); directly it
 * carries none of them: JupyterLab's token is not the dashboard's business. GET requests give
 * up after ASK_TIMEOUT_MS.
 */
export function dashboardFetch(route: DashboardRoute, path: string, init: RequestInit, settings: ServerConnection.ISettings): Promise<Response> {
  const url = new URL(path, route.base);
  if (route.token) url.searchParams.set("token", route.token);
  const asks = (init.method ?? "GET") === "GET";
  const options: RequestInit = { cache: "no-store", ...(asks ? { signal: AbortSignal.timeout(ASK_TIMEOUT_MS) } : {}), ...init };
  if (route.via === "proxy") return ServerConnection.makeRequest(url.toString(), options, settings);
  return fetch(url.toString(), options);
}

/** The route in use for the address in use, found again when the address changes. */
export class DashboardLink {
  private current: DashboardRoute;
  private resolving: Promise<DashboardRoute> | null = null;
  private readonly changedSignal = new Signal<this, DashboardRoute>(this);

  constructor(
    readonly address: DashboardAddress,
    readonly settings: ServerConnection.ISettings,
  ) {
    this.current = this.initial();
    address.changed.connect(() => {
      this.current = this.initial();
      this.changedSignal.emit(this.current);
      void this.refresh();
    });
    void this.refresh();
  }

  get route(): DashboardRoute {
    return this.current;
  }

  /** Emitted when the route in use changes (another address, or proxy ↔ direct). */
  get changed(): ISignal<this, DashboardRoute> {
    return this.changedSignal;
  }

  /** Probe again which way answers (e.g. when the dashboard did not); resolves to the route in use. */
  refresh(): Promise<DashboardRoute> {
    this.resolving ??= this.resolve().finally(() => (this.resolving = null));
    return this.resolving;
  }

  /** Before probing: the proxy when the address allows it (it is the way that works from anywhere). */
  private initial(): DashboardRoute {
    const dashboard = this.address.url;
    const token = this.address.token;
    const proxied = proxyBase(dashboard, this.settings.baseUrl);
    return proxied ? { dashboard, base: proxied, via: "proxy", token } : { dashboard, base: dashboard, via: "direct", token };
  }

  private async resolve(): Promise<DashboardRoute> {
    const dashboard = this.address.url;
    const token = this.address.token;
    const proxied = proxyBase(dashboard, this.settings.baseUrl);
    const candidates: DashboardRoute[] = [
      ...(proxied ? [{ dashboard, base: proxied, via: "proxy" as const, token }] : []),
      { dashboard, base: dashboard, via: "direct", token },
    ];
    let chosen: DashboardRoute | null = null;
    let proxyExists = false;
    for (const route of candidates) {
      const status = await this.probe(route);
      if (status === 200) {
        chosen = route;
        break;
      }
      // 404 from JupyterLab's server: jupyter-server-proxy is not installed.
      if (route.via === "proxy" && status !== null && status !== 404) proxyExists = true;
    }
    // Nothing answers yet: keep to the proxy if there is one, it is the way that works from anywhere.
    chosen ??= proxyExists ? candidates[0]! : candidates[candidates.length - 1]!;
    // The address may have changed while probing: only the current one counts.
    if (dashboard !== this.address.url) return this.current;
    if (chosen.base !== this.current.base || chosen.token !== this.current.token) {
      this.current = chosen;
      this.changedSignal.emit(chosen);
    }
    return this.current;
  }

  private async probe(route: DashboardRoute): Promise<number | null> {
    try {
      return (await dashboardFetch(route, "panels.json", {}, this.settings)).status;
    } catch {
      return null;
    }
  }
}
