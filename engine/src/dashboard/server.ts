/**
 * The dashboard server: HTTP for pages, panel lists and static assets, and one WebSocket that
 * streams the aggregated state (see protocol.ts) at most ~10 times a second.
 *
 *   GET /status                 every panel on one page
 *   GET /individual-<panel>     one panel per page (what the JupyterLab sidebar lists)
 *   GET /individual-plots.json  { title: path } as in Dask, for tools that expect it
 *   GET /panels.json            [{ id, title, path }]
 *   GET /api/state              the current snapshot as JSON
 *   …/api/cluster…              the cluster controls, added with `use` (control.ts)
 *   GET /statics/bokeh/*.js     BokehJS; GET /statics/panels/*.js the panel modules
 *   WS  /ws                     snapshot, then updates
 *
 * Security: binds to 127.0.0.1 unless told otherwise. A WebSocket upgrade from a browser must
 * come from the dashboard's own origin or one listed in `allowedOrigins` (JupyterLab's, for
 * example), so an arbitrary web page cannot read the stream. On loopback the Host header must
 * name a loopback host (DNS rebinding), or be the host of an allowed origin: jupyter-server-proxy
 * forwards JupyterLab's own Host and Origin, and JupyterLab's origin is allowed once its kernel
 * was asked for the dashboard (a page that rebinds a name to 127.0.0.1 cannot produce that Host).
 * Bound to any other address, every request needs the token (`?token=`, `Authorization: token …`,
 * or the cookie set by the first good request).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { WebSocketServer, type WebSocket } from "ws";
import type { EventLog } from "../diagnostics/events.js";
import { DashboardAggregator, type AggregatorOptions } from "./aggregator.js";
import { dashboardPage } from "./page.js";
import { PANELS } from "./panels/index.js";
import type { DashboardMessage, PanelInfo } from "./protocol.js";

export const DEFAULT_DASHBOARD_PORT = 8787;
/** Dask's task stream and progress refresh every 100 ms; so does the stream. */
const DEFAULT_INTERVAL_MS = 100;
/** A client this far behind is skipped until it drains; its cursor keeps its place. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const PORT_ATTEMPTS = 50;
const COOKIE = "tessera-dashboard-token";

export interface DashboardServerOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port to try first; the next free one is used if taken (0: any). Default 8787. */
  port?: number;
  /** Required on non-loopback addresses; generated there if not given. */
  token?: string;
  /** Extra origins allowed to open the WebSocket and read the JSON, e.g. JupyterLab's. */
  allowedOrigins?: string[];
  /** How often to send updates (default 100 ms). */
  intervalMs?: number;
  workers?: AggregatorOptions["workers"];
  rectCapacity?: number;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host) || host.startsWith("127.");

/** `":8787"`, `"8787"`, `"127.0.0.1:8787"`, `"0.0.0.0:0"`, `"[::1]:8787"` → host and port. */
export function parseDashboardAddress(address: string | number): { host: string; port: number } {
  if (typeof address === "number") return { host: "127.0.0.1", port: address };
  const m = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d*)$/.exec(address.trim());
  if (!m) throw new TypeError(`Not a dashboard address: ${JSON.stringify(address)} (expected "host:port" or ":port")`);
  const host = m[1] ?? m[2] ?? "";
  return { host: host === "" ? "127.0.0.1" : host, port: m[3] ? Number(m[3]) : DEFAULT_DASHBOARD_PORT };
}

const bokehDir = (): string =>
  join(dirname(createRequire(import.meta.url).resolve("@bokeh/bokehjs/package.json")), "build", "js");
const panelsDir = (): string => join(dirname(fileURLToPath(import.meta.url)), "panels");
const BOKEH_FILES = new Set(["bokeh.min.js", "bokeh-api.min.js", "bokeh-tables.min.js", "bokeh-widgets.min.js", "bokeh-gl.min.js"]);

/** What the server already decided about a request, for routes added with `use`. */
export interface RouteContext {
  /** The request has no Origin, or one allowed to use the dashboard (its own, JupyterLab's). */
  originAllowed: boolean;
}

/** An extra HTTP route: answers and returns true, or returns false to let others try. */
export type DashboardRoute = (req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => boolean | Promise<boolean>;

interface Client {
  socket: WebSocket;
  /** Sequence number of the next task rectangle this client has not been sent. */
  cursor: number;
  /** Aggregator version last sent. */
  version: number;
}

export class DashboardServer {
  readonly aggregator: DashboardAggregator;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly clients = new Set<Client>();
  private readonly allowedOrigins: Set<string>;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly routes: DashboardRoute[] = [];
  private closed = false;

  private constructor(
    events: EventLog,
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    /** Null on loopback: the address itself is the access control there. */
    readonly token: string | null,
    opts: DashboardServerOptions,
  ) {
    this.aggregator = new DashboardAggregator(events, {
      ...(opts.workers ? { workers: opts.workers } : {}),
      ...(opts.rectCapacity !== undefined ? { rectCapacity: opts.rectCapacity } : {}),
    });
    const fromEnv = (process.env.TESSERA_DASHBOARD_ORIGINS ?? "").split(",").filter((s) => s.trim() !== "");
    this.allowedOrigins = new Set([...(opts.allowedOrigins ?? []), ...fromEnv].map(normalizeOrigin));
    server.on("request", (req, res) => void this.handle(req, res));
    server.on("upgrade", (req, socket, head) => this.upgrade(req, socket, head));
    this.timer = setInterval(() => this.tick(), opts.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.timer.unref();
  }

  /** Start listening on `host:port`, or the next free port. */
  static async start(events: EventLog, opts: DashboardServerOptions = {}): Promise<DashboardServer> {
    const host = opts.host ?? "127.0.0.1";
    const first = opts.port ?? DEFAULT_DASHBOARD_PORT;
    const token = isLoopback(host) ? null : (opts.token ?? randomBytes(24).toString("hex"));
    for (let attempt = 0; ; attempt++) {
      const port = first === 0 ? 0 : first + attempt;
      const server = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, host, () => {
            server.off("error", reject);
            resolve();
          });
        });
      } catch (error) {
        server.close();
        if ((error as NodeJS.ErrnoException).code === "EADDRINUSE" && first !== 0 && attempt < PORT_ATTEMPTS) continue;
        throw error;
      }
      // A dashboard nobody closed must not keep a script alive.
      server.unref();
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      return new DashboardServer(events, server, host, bound, token, opts);
    }
  }

  /** The root URL, e.g. `http://127.0.0.1:8787/`. */
  get url(): string {
    const host = this.host === "0.0.0.0" || this.host === "::" ? hostname() : this.host.includes(":") ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}/`;
  }

  /** The page to open: `…/status`, with the token when one is needed. */
  get link(): string {
    return `${this.url}status${this.token ? `?token=${this.token}` : ""}`;
  }

  /** Let another origin (JupyterLab's) open the WebSocket, and its host reach the server. */
  allowOrigin(origin: string): void {
    this.allowedOrigins.add(normalizeOrigin(origin));
  }

  /** Add HTTP routes, tried after the access checks and before the server's own routes. */
  use(route: DashboardRoute): void {
    this.routes.push(route);
  }

  get connections(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.aggregator.close();
    for (const c of this.clients) c.socket.terminate();
    this.clients.clear();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── access control ──────────────────────────────────────────────────────────────

  /**
   * On loopback, a Host that is neither loopback nor an allowed origin's host (JupyterLab's,
   * forwarded by jupyter-server-proxy) means a rebound DNS name: refuse.
   */
  private hostAllowed(req: IncomingMessage): boolean {
    if (this.token) return true;
    const host = req.headers.host;
    if (!host) return false;
    const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
    if (isLoopback(name)) return true;
    for (const origin of this.allowedOrigins) {
      if (hostOf(origin) === host.toLowerCase()) return true;
    }
    return false;
  }

  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    // Only browsers send Origin, and only browsers can be tricked into connecting.
    if (origin === undefined) return true;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false;
    }
    return parsed.host === req.headers.host || this.allowedOrigins.has(parsed.origin);
  }

  private tokenOf(req: IncomingMessage): string | null {
    const url = new URL(req.url ?? "/", "http://x");
    const fromQuery = url.searchParams.get("token");
    if (fromQuery) return fromQuery;
    const auth = req.headers.authorization;
    if (auth?.startsWith("token ")) return auth.slice(6).trim();
    const cookie = (req.headers.cookie ?? "").split(";").map((c) => c.trim().split("="));
    return cookie.find(([k]) => k === COOKIE)?.[1] ?? null;
  }

  private tokenOk(req: IncomingMessage): boolean {
    if (!this.token) return true;
    const given = this.tokenOf(req);
    if (!given || given.length !== this.token.length) return false;
    return timingSafeEqual(Buffer.from(given), Buffer.from(this.token));
  }

  // ── HTTP ────────────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (!this.hostAllowed(req)) return send(res, 403, "text/plain", "Forbidden: unexpected Host header\n");
      if (!this.tokenOk(req)) return send(res, 403, "text/plain", "Forbidden: a token is required\n");
      if (this.token) res.setHeader("Set-Cookie", `${COOKIE}=${this.token}; Path=/; HttpOnly; SameSite=Strict`);
      const origin = req.headers.origin;
      if (origin && this.originAllowed(req)) {
        res.setHeader("Access-Control-Allow-Origin", origin);
        res.setHeader("Vary", "Origin");
      }
      for (const route of this.routes) if (await route(req, res, { originAllowed: this.originAllowed(req) })) return;
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "Method not allowed\n");
      if (path === "/") {
        res.writeHead(302, { Location: "status" }).end();
        return;
      }
      if (path === "/status") return send(res, 200, "text/html; charset=utf-8", dashboardPage("Status", PANELS));
      if (path === "/individual-plots.json") {
        return sendJson(res, Object.fromEntries(panelInfos().map((p) => [`Individual ${p.title}`, `/${p.path}`])));
      }
      if (path === "/panels.json") return sendJson(res, panelInfos());
      if (path === "/api/state") return sendJson(res, { type: "snapshot", ...this.aggregator.snapshot() });
      const single = /^\/individual-([\w-]+)$/.exec(path);
      const panel = single && PANELS.find((p) => p.id === single[1]);
      if (panel) return send(res, 200, "text/html; charset=utf-8", dashboardPage(panel.title, [panel]));
      const bokeh = /^\/statics\/bokeh\/([\w.-]+\.js)$/.exec(path);
      if (bokeh && BOKEH_FILES.has(bokeh[1]!)) return await sendFile(res, join(bokehDir(), bokeh[1]!), true);
      const module = /^\/statics\/panels\/([\w-]+\.js)$/.exec(path);
      if (module) return await sendFile(res, join(panelsDir(), module[1]!), false);
      send(res, 404, "text/plain", "Not found\n");
    } catch (error) {
      if (!res.headersSent) send(res, 500, "text/plain", `${(error as Error).message}\n`);
      else res.destroy();
    }
  }

  // ── WebSocket ───────────────────────────────────────────────────────────────────

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const refuse = (status: number, why: string): void => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (path !== "/ws") return refuse(404, "Not Found");
    if (!this.hostAllowed(req)) return refuse(403, "Forbidden");
    if (!this.originAllowed(req)) return refuse(403, "Forbidden");
    if (!this.tokenOk(req)) return refuse(403, "Forbidden");
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = { socket: ws, cursor: 0, version: -1 };
      this.clients.add(client);
      ws.on("close", () => this.clients.delete(client));
      ws.on("error", () => this.clients.delete(client));
      this.sendTo(client, "snapshot");
    });
  }

  private sendTo(client: Client, type: DashboardMessage["type"]): void {
    const cursor = this.aggregator.rectCursor;
    const message: DashboardMessage = { type, ...this.aggregator.snapshot(type === "snapshot" ? 0 : client.cursor) };
    client.socket.send(JSON.stringify(message));
    client.cursor = cursor;
    client.version = message.version;
  }

  /**
   * Coalescing happens here: however many events arrived since the last tick, each client
   * gets at most one message. Clients at the same cursor share one serialisation.
   */
  private tick(): void {
    if (this.clients.size === 0) return;
    const version = this.aggregator.version;
    const cursor = this.aggregator.rectCursor;
    const encoded = new Map<number, string>();
    for (const client of this.clients) {
      if (client.version === version || client.socket.readyState !== client.socket.OPEN) continue;
      if (client.socket.bufferedAmount > MAX_BUFFERED_BYTES) continue;
      let text = encoded.get(client.cursor);
      if (text === undefined) {
        text = JSON.stringify({ type: "update", ...this.aggregator.snapshot(client.cursor) } satisfies DashboardMessage);
        encoded.set(client.cursor, text);
      }
      client.socket.send(text);
      client.cursor = cursor;
      client.version = version;
    }
  }
}

function panelInfos(): PanelInfo[] {
  return PANELS.map((p) => ({ id: p.id, title: p.title, path: `individual-${p.id}` }));
}

/** `http://lab.example:8888` → `lab.example:8888` (as a Host header names it). */
function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}

function normalizeOrigin(origin: string): string {
  try {
    return new URL(origin.trim()).origin;
  } catch {
    return origin.trim();
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), "X-Content-Type-Options": "nosniff" });
  res.end(body);
}

function sendJson(res: ServerResponse, value: unknown): void {
  res.setHeader("Cache-Control", "no-store");
  send(res, 200, "application/json", JSON.stringify(value));
}

async function sendFile(res: ServerResponse, file: string, cacheable: boolean): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return send(res, 404, "text/plain", "Not found\n");
  }
  res.setHeader("Cache-Control", cacheable ? "public, max-age=86400" : "no-cache");
  send(res, 200, "text/javascript; charset=utf-8", body);
}
