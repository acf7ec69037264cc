/**
 * The dashboard's cluster controls: what JupyterLab's cluster section (or any HTTP client)
 * uses to see the cluster and to scale or restart it.
 *
 *   GET  /api/cluster           ClusterInfo
 *   POST /api/cluster/scale     {"workers": n}  → ClusterInfo once the cluster has n workers
 *   POST /api/cluster/restart   {}              → ClusterInfo once every worker was replaced
 *
 * Why HTTP on the dashboard server rather than a message to the kernel: the kernel answers
 * requests one after another, so a question would wait behind a cell that awaits a long
 * computation, which is exactly when one wants more workers. The dashboard server runs in the
 * cluster's process and answers while a cell awaits. It is also reachable wherever the panels
 * are (directly, or through JupyterLab's origin via jupyter-server-proxy), without a kernel.
 *
 * Changing the cluster asks more of a request than reading it:
 * - the server's own checks come first (Host, and the token off loopback; server.ts);
 * - a request carrying an Origin must come from an origin the dashboard allows (its own,
 *   JupyterLab's), as for the WebSocket: a page elsewhere cannot drive the cluster;
 * - the body must be `Content-Type: application/json`: a plain cross-site form can only send
 *   urlencoded, multipart or text/plain, and a cross-origin script needs a preflight for JSON,
 *   which only allowed origins pass.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DashboardRoute, RouteContext } from "./server.js";

/** What the cluster section shows. */
export interface ClusterInfo {
  /** The cluster's class, e.g. "LocalCluster". */
  kind: string;
  workers: number;
  threads: number;
  /** Bytes of results the workers hold. */
  memory: number;
  /** The machine's memory in bytes, to put `memory` in proportion. */
  machineMemory: number;
  /** Tasks assigned to workers and not finished. */
  processing: number;
  perWorker: { id: string; nthreads: number; processing: number; keys: number; nbytes: number }[];
}

/** A cluster the dashboard can control (LocalCluster is one). */
export interface ClusterControl {
  info(): ClusterInfo;
  scale(workers: number): Promise<void>;
  restart(): Promise<void>;
}

/** More worker threads than this is a typing mistake, not a cluster. */
export const MAX_WORKERS = 256;
const MAX_BODY_BYTES = 16 * 1024;

const INFO = "/api/cluster";
const SCALE = "/api/cluster/scale";
const RESTART = "/api/cluster/restart";

/** The route to hand to `DashboardServer.use`. */
export function clusterControlRoutes(control: ClusterControl): DashboardRoute {
  return async (req, res, ctx) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path !== INFO && path !== SCALE && path !== RESTART) return false;
    try {
      await handle(control, path, req, res, ctx);
    } catch (error) {
      if (!res.headersSent) reply(res, 500, { error: (error as Error).message });
      else res.destroy();
    }
    return true;
  };
}

async function handle(control: ClusterControl, path: string, req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
  const changes = path !== INFO;
  if (req.method === "OPTIONS") {
    // A cross-origin POST with a JSON body is preceded by this preflight; only origins the
    // dashboard allows get the headers that let the browser go on.
    if (req.headers.origin === undefined || !ctx.originAllowed) return reply(res, 403, { error: "origin not allowed" });
    res.writeHead(204, {
      "Access-Control-Allow-Methods": changes ? "POST" : "GET",
      "Access-Control-Allow-Headers": "Content-Type, Authorization",
      "Access-Control-Max-Age": "600",
    });
    res.end();
    return;
  }
  if (!changes) {
    if (req.method !== "GET" && req.method !== "HEAD") return reply(res, 405, { error: "use GET" }, { Allow: "GET" });
    return reply(res, 200, control.info());
  }
  if (req.method !== "POST") return reply(res, 405, { error: "use POST" }, { Allow: "POST" });
  if (req.headers.origin !== undefined && !ctx.originAllowed) {
    return reply(res, 403, { error: `origin ${req.headers.origin} may not control this cluster` });
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") return reply(res, 415, { error: "send the request as Content-Type: application/json" });
  let body: unknown;
  try {
    body = await readJson(req);
  } catch (error) {
    return reply(res, 400, { error: (error as Error).message });
  }
  if (path === SCALE) {
    const workers = (body as { workers?: unknown } | null)?.workers;
    if (typeof workers !== "number" || !Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
      return reply(res, 400, { error: `"workers" must be a whole number from 1 to ${MAX_WORKERS}` });
    }
    await control.scale(workers);
  } else {
    await control.restart();
  }
  reply(res, 200, control.info());
}

/** The request body as JSON (empty: `{}`); refuses bodies over MAX_BODY_BYTES. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error("the body is not JSON");
  }
}

function reply(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(body);
}
