/**
 * The dashboard server for real: a LocalCluster starts it, pages and panel lists are served,
 * a WebSocket client sees the task stream and progress of a computation, and access control
 * refuses foreign origins, rebound host names and token-less requests off loopback.
 */
import { request } from "node:http";
import { WebSocket } from "ws";
import { Client, closeSharedScheduler } from "@tessera/engine";
import { DashboardAggregator, DashboardServer, EventLog, type DashboardMessage } from "@tessera/engine/internal";
import { eventually } from "./helpers";

let client: Client;
let base: string;

beforeAll(async () => {
  client = await Client.start({ nWorkers: 2, setAsDefault: false, dashboardAddress: "127.0.0.1:0" });
  base = client.cluster.dashboard!.url;
});

afterAll(async () => {
  await client.close();
  await closeSharedScheduler();
});

/** GET with full control over headers (fetch forbids setting Host). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves with the socket and its messages, or with the refusal status. */
function openSocket(url: string, opts: { origin?: string } = {}): Promise<{ ws?: WebSocket; messages: DashboardMessage[]; refused?: number }> {
  return new Promise((resolve, reject) => {
    const messages: DashboardMessage[] = [];
    const ws = new WebSocket(url, opts.origin ? { origin: opts.origin } : {});
    ws.on("message", (data) => messages.push(JSON.parse(String(data)) as DashboardMessage));
    ws.on("open", () => resolve({ ws, messages }));
    ws.on("unexpected-response", (_req, res) => {
      resolve({ messages, refused: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on("error", (e) => {
      if (ws.readyState !== ws.CLOSED) reject(e);
    });
  });
}

const wsUrl = (b: string): string => `${b.replace(/^http/, "ws")}ws`;

test("a cluster starts its dashboard on loopback and links to it", async () => {
  expect(client.dashboardLink).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/status$/);
  const page = await get(client.dashboardLink!);
  expect(page.status).toBe(200);
  expect(page.body).toContain("panel-task-stream");
  expect(page.body).toContain("statics/bokeh/bokeh.min.js");
});

test("the default address is 127.0.0.1:8787 or the next free port; false disables it", async () => {
  const a = await Client.start({ nWorkers: 1, setAsDefault: false });
  const b = await Client.start({ nWorkers: 1, setAsDefault: false });
  const none = await Client.start({ nWorkers: 1, setAsDefault: false, dashboardAddress: false });
  try {
    const pa = a.cluster.dashboard!.port;
    const pb = b.cluster.dashboard!.port;
    expect(pa).toBeGreaterThanOrEqual(8787);
    expect(pb).toBeGreaterThan(8787);
    expect(pa).not.toBe(pb);
    expect(none.dashboardLink).toBeNull();
  } finally {
    await Promise.all([a.close(), b.close(), none.close()]);
  }
  // Closing the cluster closed its server.
  await expect(get(`http://127.0.0.1:${a.cluster.dashboard!.port}/panels.json`)).rejects.toThrow();
});

test("panels are listed, each with its own page", async () => {
  const list = JSON.parse((await get(`${base}panels.json`)).body) as { id: string; title: string; path: string }[];
  const titles = list.map((p) => p.title);
  expect(titles).toEqual(expect.arrayContaining(["Task Stream", "Progress", "Worker Memory", "Workers"]));
  const plots = JSON.parse((await get(`${base}individual-plots.json`)).body) as Record<string, string>;
  expect(plots["Individual Task Stream"]).toBe("/individual-task-stream");
  for (const p of list) {
    const page = await get(`${base}${p.path}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`id="panel-${p.id}"`);
  }
  expect((await get(`${base}individual-nope`)).status).toBe(404);
});

test("BokehJS and the panel modules are served", async () => {
  const bokeh = await get(`${base}statics/bokeh/bokeh.min.js`);
  expect(bokeh.status).toBe(200);
  expect(bokeh.headers["content-type"]).toMatch(/javascript/);
  const panels = await get(`${base}statics/panels/index.js`);
  expect(panels.status).toBe(200);
  expect(panels.body).toContain("PANELS");
  expect((await get(`${base}statics/panels/..%2Fserver.js`)).status).toBe(404);
  expect((await get(`${base}statics/bokeh/package.json`)).status).toBe(404);
});

test("the WebSocket streams task rectangles and progress of a computation", async () => {
  const { ws, messages } = await openSocket(wsUrl(base));
  try {
    await eventually("the first snapshot", () => messages.length > 0);
    expect(messages[0]!.type).toBe("snapshot");
    const inc = (x: number): number => x + 1;
    const futures = client.map(inc, Array.from({ length: 40 }, (_, i) => i));
    expect(await client.gather(futures)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const progressOf = (m: DashboardMessage) => m.progress.find((p) => p.prefix === "inc");
    await eventually("progress shows 40 inc tasks computed", () => {
      const p = messages.length > 0 ? progressOf(messages.at(-1)!) : undefined;
      return p !== undefined && p.memory + p.done === 40;
    });
    const rects = messages.flatMap((m) => m.rects).filter((r) => r.prefix === "inc");
    expect(new Set(rects.map((r) => r.key)).size).toBe(40);
    for (const r of rects) {
      expect(r.kind).toBe("compute");
      expect(r.stop).toBeGreaterThanOrEqual(r.start);
      expect(client.scheduler.core.workerIds()).toContain(r.worker);
    }
    // Updates carry only new rectangles: no key is sent twice.
    expect(rects.length).toBe(40);
    const last = messages.at(-1)!;
    expect(last.workers.map((w) => w.id).sort()).toEqual([...client.scheduler.core.workerIds()].sort());
    expect(last.workers.reduce((n, w) => n + w.keys, 0)).toBeGreaterThanOrEqual(40);
  } finally {
    ws?.close();
  }
});

test("a WebSocket from a foreign origin is refused; its own origin and configured ones are not", async () => {
  const foreign = await openSocket(wsUrl(base), { origin: "http://evil.example" });
  expect(foreign.refused).toBe(403);
  const own = await openSocket(wsUrl(base), { origin: base.slice(0, -1) });
  expect(own.refused).toBeUndefined();
  own.ws!.close();
  const lab = "http://127.0.0.1:8888";
  expect((await openSocket(wsUrl(base), { origin: lab })).refused).toBe(403);
  client.cluster.dashboard!.allowOrigin(lab);
  const allowed = await openSocket(wsUrl(base), { origin: lab });
  expect(allowed.refused).toBeUndefined();
  allowed.ws!.close();
  // JSON for an allowed origin carries CORS headers, so JupyterLab can list panels.
  const listed = await get(`${base}panels.json`, { Origin: lab });
  expect(listed.headers["access-control-allow-origin"]).toBe(lab);
  const denied = await get(`${base}panels.json`, { Origin: "http://evil.example" });
  expect(denied.headers["access-control-allow-origin"]).toBeUndefined();
});

test("on loopback a request naming another host (DNS rebinding) is refused", async () => {
  const port = client.cluster.dashboard!.port;
  expect((await get(`${base}panels.json`, { Host: `evil.example:${port}` })).status).toBe(403);
  expect((await get(`${base}panels.json`, { Host: `localhost:${port}` })).status).toBe(200);
});

test("off loopback a token is required for pages and the WebSocket", async () => {
  const server = await DashboardServer.start(new EventLog(), { host: "0.0.0.0", port: 0 });
  try {
    expect(server.token).toMatch(/^[0-9a-f]{48}$/);
    expect(server.link).toContain(`?token=${server.token}`);
    const local = `http://127.0.0.1:${server.port}/`;
    expect((await get(`${local}panels.json`)).status).toBe(403);
    expect((await get(`${local}panels.json?token=wrong`)).status).toBe(403);
    const ok = await get(`${local}status?token=${server.token}`);
    expect(ok.status).toBe(200);
    // The page's own requests (scripts, WebSocket) then carry the token as a cookie.
    const cookie = String(ok.headers["set-cookie"]).split(";")[0]!;
    expect((await get(`${local}statics/panels/index.js`, { Cookie: cookie })).status).toBe(200);
    expect((await get(`${local}panels.json`, { Authorization: `token ${server.token}` })).status).toBe(200);
    expect((await openSocket(wsUrl(local))).refused).toBe(403);
    const withToken = await openSocket(`${wsUrl(local)}?token=${server.token}`);
    expect(withToken.refused).toBeUndefined();
    withToken.ws!.close();
  } finally {
    await server.close();
  }
});

test("aggregated state stays bounded while 100k tasks stream through", () => {
  const log = new EventLog();
  const agg = new DashboardAggregator(log);
  const N = 100_000;
  let maxLive = 0;
  for (let i = 0; i < N; i++) {
    const key = `inc-${i}`;
    const prefix = i % 2 === 0 ? "inc" : "double";
    log.emit({ type: "task-queued", key, prefix });
    log.emit({ type: "task-assigned", key, prefix, worker: "w0" });
    log.record({ type: "task-finished", key, prefix, worker: "w0", thread: i % 4, start: i, stop: i + 1, nbytes: 8, time: i + 1 });
    // Results are released a little later, as dependents finish.
    if (i >= 10) log.emit({ type: "task-released", key: `inc-${i - 10}`, prefix: (i - 10) % 2 === 0 ? "inc" : "double" });
    maxLive = Math.max(maxLive, agg.stats().liveKeys);
  }
  const stats = agg.stats();
  expect(stats.rects).toBe(1000);
  expect(stats.prefixes).toBe(2);
  expect(maxLive).toBeLessThanOrEqual(11);
  const snap = agg.snapshot();
  expect(snap.rects).toHaveLength(1000);
  expect(snap.rects.at(-1)!.key).toBe(`inc-${N - 1}`);
  const inc = snap.progress.find((p) => p.prefix === "inc")!;
  expect(inc.total).toBe(N / 2);
  expect(inc.done + inc.memory).toBe(N / 2);
  expect(inc.memory).toBe(5);
  expect(JSON.stringify(snap).length).toBeLessThan(300_000);
  agg.close();
  expect(log.active).toBe(false);
});

test("erred tasks are counted and listed as exceptions", async () => {
  const { ws, messages } = await openSocket(wsUrl(base));
  try {
    const boom = (x: number): number => {
      throw new RangeError(`bad ${x}`);
    };
    const f = client.submit(boom, 7);
    await expect(f.result()).rejects.toThrow("bad 7");
    await eventually("an exception in the stream", () => messages.some((m) => m.exceptions.some((e) => e.message.includes("bad 7"))));
    const last = messages.at(-1)!;
    expect(last.progress.find((p) => p.prefix === "boom")?.erred).toBe(1);
  } finally {
    ws?.close();
  }
});

test("numbered keys share a progress bar, and endless distinct prefixes fold into 'other'", () => {
  const log = new EventLog();
  const agg = new DashboardAggregator(log);
  for (let i = 0; i < 600; i++) log.emit({ type: "task-queued", key: `x-${i}`, prefix: `x-${i}` });
  for (let i = 0; i < 2000; i++) log.emit({ type: "task-queued", key: `k${i}`, prefix: `name${i}` });
  const progress = agg.snapshot().progress;
  expect(progress.find((p) => p.prefix === "x")?.waiting).toBe(600);
  expect(agg.stats().prefixes).toBeLessThanOrEqual(501);
  expect(progress.find((p) => p.prefix === "other")?.total).toBe(2000 - 499);
  expect(progress.reduce((n, p) => n + p.total, 0)).toBe(2600);
  agg.close();
});
