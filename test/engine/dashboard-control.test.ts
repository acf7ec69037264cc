/**
 * The dashboard's cluster controls over real HTTP: GET /api/cluster, POST /api/cluster/scale
 * and /api/cluster/restart change a real LocalCluster (also while a computation is running),
 * and what a browser page elsewhere could send is refused: a foreign Origin, a form's content
 * type, a preflight from a foreign origin, a rebound host name, no token off loopback. The
 * Host and Origin jupyter-server-proxy forwards (JupyterLab's) are accepted once that origin
 * is allowed.
 */
import { request } from "node:http";
import { WebSocket } from "ws";
import { Client, compute, delayed } from "@tessera/engine";
import { eventually } from "./helpers.js";

const LAB = "http://lab.example:8888";
let client: Client;
let base: string;

beforeAll(async () => {
  client = await Client.start({ nWorkers: 2, setAsDefault: false, dashboardAddress: "127.0.0.1:0", dashboardOrigins: [LAB] });
  base = client.cluster.dashboard!.url;
});

afterAll(async () => {
  await client.close();
});

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  json: () => Record<string, unknown>;
}

/** An HTTP request with full control over headers (fetch forbids setting Host and Origin). */
function call(method: string, path: string, headers: Record<string, string> = {}, body?: string, root = base): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, root), { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers, json: () => JSON.parse(text) as Record<string, unknown> }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

const JSON_TYPE = { "Content-Type": "application/json" };
const scale = (workers: unknown, headers: Record<string, string> = JSON_TYPE): Promise<Reply> =>
  call("POST", "api/cluster/scale", headers, JSON.stringify({ workers }));

test("GET /api/cluster shows workers, threads and memory", async () => {
  const reply = await call("GET", "api/cluster");
  expect(reply.status).toBe(200);
  expect(reply.headers["content-type"]).toBe("application/json");
  const info = reply.json();
  expect(info).toMatchObject({ kind: "LocalCluster", workers: 2, threads: 2 });
  expect(typeof info.memory).toBe("number");
  expect(info.machineMemory).toBeGreaterThan(0);
  expect((info.perWorker as unknown[]).length).toBe(2);
});

test("POST /api/cluster/scale scales the cluster and answers with it; bad numbers are refused", async () => {
  const up = await scale(3);
  expect(up.status).toBe(200);
  expect(up.json()).toMatchObject({ workers: 3, threads: 3 });
  expect(client.cluster.nWorkers).toBe(3);

  for (const bad of [0, 2.5, "2", null, 10_000]) {
    const reply = await scale(bad);
    expect(reply.status).toBe(400);
    expect(reply.json().error).toContain('"workers"');
  }
  expect((await call("POST", "api/cluster/scale", JSON_TYPE, "{not json")).status).toBe(400);
  expect((await call("GET", "api/cluster/scale")).status).toBe(405);
  expect(client.cluster.nWorkers).toBe(3);

  const down = await scale(2);
  expect(down.status).toBe(200);
  expect(client.cluster.nWorkers).toBe(2);
});

test("POST /api/cluster/restart replaces every worker and the next computation works", async () => {
  const old = client.scheduler.core.workerIds();
  const reply = await call("POST", "api/cluster/restart", JSON_TYPE, "{}");
  expect(reply.status).toBe(200);
  expect(reply.json()).toMatchObject({ workers: 2 });
  expect(client.scheduler.core.workerIds().filter((w) => old.includes(w))).toEqual([]);
  await expect(client.submit((x: number) => x * 7, 6).result()).resolves.toBe(42);
});

test("the controls answer while a computation is running, and the computation ends right", async () => {
  // The tasks wait for a flag in shared memory, so the computation is still running for sure
  // while the cluster is scaled.
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const gated = delayed(async (x: number, g: Int32Array): Promise<number> => {
    while (Atomics.load(g, 0) === 0) await new Promise((r) => setTimeout(r, 5));
    return x + 1;
  }, { name: "gated" });
  const total = delayed((xs: number[]): number => xs.reduce((a, b) => a + b, 0), { name: "total" });
  const before = client.eventHistory().length;
  const running = compute(total(Array.from({ length: 40 }, (_, i) => gated(i, gate))), { scheduler: client });
  await eventually("the gated tasks to be sent to workers", () =>
    client.eventHistory().slice(before).some((e) => e.type === "task-assigned" && e.prefix === "gated"),
  );
  const up = await scale(4);
  expect(up.status).toBe(200);
  expect((await call("GET", "api/cluster")).json().workers).toBe(4);
  const down = await scale(2);
  expect(down.status).toBe(200);
  expect(client.cluster.nWorkers).toBe(2);
  Atomics.store(gate, 0, 1);
  expect(await running).toEqual([Array.from({ length: 40 }, (_, i) => i + 1).reduce((a, b) => a + b, 0)]);
});

test("a foreign Origin cannot control the cluster; the dashboard's own and allowed origins can", async () => {
  const foreign = await scale(3, { ...JSON_TYPE, Origin: "http://evil.example" });
  expect(foreign.status).toBe(403);
  expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
  const opaque = await scale(3, { ...JSON_TYPE, Origin: "null" }); // sandboxed frames, file: pages
  expect(opaque.status).toBe(403);
  expect(client.cluster.nWorkers).toBe(2);

  const own = await scale(3, { ...JSON_TYPE, Origin: base.replace(/\/$/, "") });
  expect(own.status).toBe(200);
  const lab = await scale(2, { ...JSON_TYPE, Origin: LAB });
  expect(lab.status).toBe(200);
  expect(lab.headers["access-control-allow-origin"]).toBe(LAB);
  expect(client.cluster.nWorkers).toBe(2);
});

test("a plain form cannot control the cluster: only a JSON body is accepted", async () => {
  for (const type of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]) {
    const reply = await call("POST", "api/cluster/scale", { "Content-Type": type, Origin: base.replace(/\/$/, "") }, "workers=3");
    expect(reply.status).toBe(415);
  }
  expect((await call("POST", "api/cluster/restart", {}, "")).status).toBe(415);
  expect(client.cluster.nWorkers).toBe(2);
});

test("the CORS preflight lets allowed origins send JSON and nobody else", async () => {
  const ask = (origin: string): Promise<Reply> =>
    call("OPTIONS", "api/cluster/scale", { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" });
  const allowed = await ask(LAB);
  expect(allowed.status).toBe(204);
  expect(allowed.headers["access-control-allow-origin"]).toBe(LAB);
  expect(allowed.headers["access-control-allow-methods"]).toBe("POST");
  expect(String(allowed.headers["access-control-allow-headers"]).toLowerCase()).toContain("content-type");
  const foreign = await ask("http://evil.example");
  expect(foreign.status).toBe(403);
  expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
});

test("through jupyter-server-proxy: JupyterLab's Host and Origin are accepted once its origin is allowed, a rebound name is not", async () => {
  // The proxy forwards the browser's Host (JupyterLab's) and Origin unchanged.
  const proxied = { Host: "lab.example:8888", Origin: LAB };
  expect((await call("GET", "api/cluster", { Host: "lab.example:8888" })).status).toBe(200);
  expect((await scale(2, { ...JSON_TYPE, ...proxied })).status).toBe(200);
  const socket = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}ws`, { headers: { Host: "lab.example:8888" }, origin: LAB });
    ws.on("open", () => {
      resolve(101);
      ws.close();
    });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
  });
  expect(socket).toBe(101);

  // A page on a name rebound to 127.0.0.1 sends its own name as Host: refused, GET or POST.
  const rebound = { Host: `evil.example:${client.cluster.dashboard!.port}` };
  expect((await call("GET", "api/cluster", rebound)).status).toBe(403);
  expect((await scale(3, { ...JSON_TYPE, ...rebound, Origin: `http://${rebound.Host}` })).status).toBe(403);
  // Another port of an allowed host is another origin.
  expect((await call("GET", "api/cluster", { Host: "lab.example:9999" })).status).toBe(403);
  expect(client.cluster.nWorkers).toBe(2);
});

test("off loopback the controls need the token", async () => {
  const remote = await Client.start({ nWorkers: 1, setAsDefault: false, dashboardAddress: "0.0.0.0:0" });
  try {
    const { token, port } = remote.cluster.dashboard!;
    const root = `http://127.0.0.1:${port}/`;
    const body = JSON.stringify({ workers: 2 });
    expect((await call("GET", "api/cluster", {}, undefined, root)).status).toBe(403);
    expect((await call("POST", "api/cluster/scale", JSON_TYPE, body, root)).status).toBe(403);
    expect(remote.cluster.nWorkers).toBe(1);
    const ok = await call("POST", "api/cluster/scale", { ...JSON_TYPE, Authorization: `token ${token}` }, body, root);
    expect(ok.status).toBe(200);
    expect(remote.cluster.nWorkers).toBe(2);
  } finally {
    await remote.close();
  }
});
