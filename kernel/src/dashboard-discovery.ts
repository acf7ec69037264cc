/**
 * How JupyterLab finds the dashboard of the cluster a notebook started, without any URL
 * typing (dask-labextension finds Dask's the same way, by running code silently in the
 * kernel and reading what it displays).
 *
 * 1. A Client's MIME bundle carries `application/vnd.tessera.dashboard+json` when its
 *    cluster has a dashboard, so the extension sees the address as soon as the Client is shown.
 * 2. The extension can ask at any time with an execute_request
 *      { code: "__tesseraDashboard()", silent: true, store_history: false }
 *    The kernel answers it itself (the code never reaches the TypeScript compiler) with one
 *    display_data message whose `text/plain` is the JSON below, or `null` when no Client with
 *    a dashboard runs; `application/vnd.tessera.dashboard+json` is there only in the first case.
 *
 *    { "url": "http://127.0.0.1:8787/", "link": "http://127.0.0.1:8787/status", "token": null }
 *
 *    `url` is the dashboard's root (panels and the WebSocket are below it), `link` the page to
 *    open, `token` the access token (null on loopback, where the address is the access control).
 *
 *    The extension passes its own origin, `__tesseraDashboard("http://127.0.0.1:8888")`, and
 *    the dashboard then accepts WebSocket connections and cluster controls from JupyterLab's
 *    page, also through jupyter-server-proxy, which forwards that origin's Host (the dashboard
 *    otherwise refuses a Host that is not loopback). Only code run in the kernel can do this,
 *    so a page elsewhere cannot let itself in.
 */
import { Client } from "@tessera/engine";

import type { MimeData } from "./display.js";

export const DASHBOARD_MIME = "application/vnd.tessera.dashboard+json";

/** The code the JupyterLab extension runs (silently) to ask for the dashboard. */
export const DASHBOARD_QUERY = "__tesseraDashboard()";

export interface DashboardInfo {
  url: string;
  link: string;
  token: string | null;
}

/** Where `client`'s dashboard is, or null if its cluster has none. */
export function dashboardInfo(client: Client | undefined): DashboardInfo | null {
  const dashboard = client?.cluster.dashboard;
  const link = client?.dashboardLink ?? null;
  if (!client || !dashboard || link === null) return null;
  return { url: dashboard.url, link, token: dashboard.token };
}

/** The dashboard part of a Client's MIME bundle (empty without a dashboard). */
export function dashboardData(client: Client): MimeData {
  const info = dashboardInfo(client);
  return info ? { [DASHBOARD_MIME]: info } : {};
}

/** `__tesseraDashboard()` or `__tesseraDashboard("<origin>")`; the origin must be an http(s) origin. */
const QUERY = /^__tesseraDashboard\((?:\s*("(?:[^"\\]|\\.)*")\s*)?\)$/;

/**
 * The query in a cell, if the cell is exactly the extension's query (surrounding space and a
 * final `;` allowed): `{ origin }` names the page asking, when it said.
 */
export function parseDashboardQuery(code: string): { origin: string | null } | null {
  const m = QUERY.exec(code.trim().replace(/;$/, "").trim());
  if (!m) return null;
  if (!m[1]) return { origin: null };
  try {
    const origin = JSON.parse(m[1]) as unknown;
    return typeof origin === "string" && /^https?:\/\/[^/\s]+$/.test(origin) ? { origin } : { origin: null };
  } catch {
    return { origin: null };
  }
}

/** Whether a cell is the extension's query. */
export function isDashboardQuery(code: string): boolean {
  return parseDashboardQuery(code) !== null;
}

/** The answer to the query: the default Client's dashboard, or null. It also lets `origin` in. */
export function dashboardQueryData(origin: string | null = null): MimeData {
  const client = Client.current();
  if (origin) client?.cluster.dashboard?.allowOrigin(origin);
  const info = dashboardInfo(client);
  return { "text/plain": JSON.stringify(info), ...(info ? { [DASHBOARD_MIME]: info } : {}) };
}
