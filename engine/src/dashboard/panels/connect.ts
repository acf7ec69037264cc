/**
 * The browser side of the dashboard's WebSocket: connects, hands every message to the
 * panels, and reconnects after a drop (the server answers a new connection with a full
 * snapshot, so nothing needs replaying). Runs in a page; typed without DOM typings.
 */
import type { DashboardMessage } from "../protocol.js";

interface BrowserSocket {
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
  onopen: (() => void) | null;
  close(): void;
}
type SocketConstructor = new (url: string) => BrowserSocket;

export interface DashboardConnection {
  close(): void;
  /** True while the socket is open. */
  readonly connected: boolean;
}

/**
 * `base` is the dashboard's root URL (`http://127.0.0.1:8787/`); `token` is needed only for a
 * dashboard bound to a non-loopback address.
 */
export function connectDashboard(
  base: string,
  onMessage: (message: DashboardMessage) => void,
  opts: { token?: string; onStatus?: (connected: boolean) => void } = {},
): DashboardConnection {
  const url = new URL("ws", base.endsWith("/") ? base : `${base}/`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (opts.token) url.searchParams.set("token", opts.token);
  const Socket = (globalThis as unknown as { WebSocket: SocketConstructor }).WebSocket;
  let socket: BrowserSocket | null = null;
  let closed = false;
  let connected = false;
  let retryMs = 250;
  const open = (): void => {
    socket = new Socket(url.toString());
    socket.onopen = () => {
      connected = true;
      retryMs = 250;
      opts.onStatus?.(true);
    };
    socket.onmessage = (ev) => {
      if (typeof ev.data === "string") onMessage(JSON.parse(ev.data) as DashboardMessage);
    };
    socket.onclose = () => {
      if (connected) opts.onStatus?.(false);
      connected = false;
      if (closed) return;
      setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  open();
  return {
    close() {
      closed = true;
      socket?.close();
    },
    get connected() {
      return connected;
    },
  };
}
