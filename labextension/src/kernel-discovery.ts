/**
 * Finds the dashboard of the active notebook's kernel, so nobody has to type its address.
 *
 * When the current notebook (or console) runs the `tessera` kernel, the kernel is asked with
 * a silent execute_request, `__tesseraDashboard()`, which the kernel answers itself with one
 * display_data whose `text/plain` is `{"url", "link", "token"}` or `null` (the kernel's
 * dashboard-discovery.ts). It is asked when the kernel becomes ready, when the user switches
 * notebooks, and after each execution ends (throttled: a loop of quick cells must not double
 * the kernel's traffic). A Client shown in any output also carries its dashboard as
 * `application/vnd.tessera.dashboard+json`, which is taken at once.
 */
import type { ISessionContext } from "@jupyterlab/apputils";
import type { Kernel, KernelMessage } from "@jupyterlab/services";
import type { Widget } from "@lumino/widgets";
import type { DashboardAddress } from "./dashboard-address.js";

export const TESSERA_KERNEL = "tessera";
export const DASHBOARD_QUERY = "__tesseraDashboard";
export const DASHBOARD_MIME = "application/vnd.tessera.dashboard+json";
/** At most one query per this many milliseconds after executions end. */
const THROTTLE_MS = 1000;

interface DashboardInfo {
  url: string;
  link: string;
  token: string | null;
}

/** The session context of a notebook or console panel, found by shape (no notebook package needed). */
export function sessionContextOf(widget: Widget | null): ISessionContext | null {
  const w = widget as { sessionContext?: ISessionContext; context?: { sessionContext?: ISessionContext } } | null;
  return w?.sessionContext ?? w?.context?.sessionContext ?? null;
}

/** `{"url": …}` from a display bundle, if it is a dashboard answer. */
export function dashboardFromBundle(data: Record<string, unknown> | undefined): DashboardInfo | null | undefined {
  if (!data) return undefined;
  const typed = data[DASHBOARD_MIME];
  if (isInfo(typed)) return typed;
  const text = data["text/plain"];
  if (typeof text !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed === null ? null : isInfo(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isInfo(value: unknown): value is DashboardInfo {
  return typeof value === "object" && value !== null && typeof (value as DashboardInfo).url === "string";
}

export class KernelDashboardDiscovery {
  private context: ISessionContext | null = null;
  private readonly ownQueries = new Set<string>();
  private inFlight = false;
  private pending = false;
  private lastQuery = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;

  constructor(private readonly address: DashboardAddress) {}

  /** Follow the session of `widget` if it has one; other widgets (panels, files) keep the last. */
  follow(widget: Widget | null): void {
    const context = sessionContextOf(widget);
    if (!context || context === this.context || this.disposed) return;
    this.unfollow();
    this.context = context;
    context.kernelChanged.connect(this.onKernelChanged, this);
    context.iopubMessage.connect(this.onIOPub, this);
    context.disposed.connect(this.onContextDisposed, this);
    this.address.discovered = null;
    void context.ready.then(() => this.query());
  }

  /** Ask now (e.g. when the sidebar is shown). */
  refresh(): void {
    void this.query();
  }

  dispose(): void {
    this.disposed = true;
    this.unfollow();
  }

  private unfollow(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.context) return;
    this.context.kernelChanged.disconnect(this.onKernelChanged, this);
    this.context.iopubMessage.disconnect(this.onIOPub, this);
    this.context.disposed.disconnect(this.onContextDisposed, this);
    this.context = null;
  }

  private onContextDisposed(): void {
    this.unfollow();
    this.address.discovered = null;
  }

  private kernel(): Kernel.IKernelConnection | null {
    const kernel = this.context?.session?.kernel ?? null;
    return kernel && kernel.name === TESSERA_KERNEL ? kernel : null;
  }

  private onKernelChanged(): void {
    // A new or restarted kernel has no Client yet; ask once it answers.
    this.address.discovered = null;
    const context = this.context;
    if (context) void context.ready.then(() => this.schedule());
  }

  private onIOPub(_: ISessionContext, msg: KernelMessage.IMessage): void {
    if (!this.kernel()) return;
    const parent = (msg.parent_header as Partial<KernelMessage.IHeader>).msg_id ?? "";
    if (this.ownQueries.has(parent)) return;
    const type = msg.header.msg_type;
    if (type === "display_data" || type === "execute_result" || type === "update_display_data") {
      const typed = (msg.content as { data?: Record<string, unknown> }).data?.[DASHBOARD_MIME];
      if (isInfo(typed)) this.address.discover(typed);
    } else if (type === "status" && (msg.content as { execution_state?: string }).execution_state === "idle") {
      // An execution (or restart) ended: a Client may have started or closed.
      this.schedule();
    }
  }

  /** Query soon, at most once per THROTTLE_MS. */
  private schedule(): void {
    if (this.timer !== null || this.disposed) return;
    const wait = Math.max(0, this.lastQuery + THROTTLE_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.query();
    }, wait);
  }

  private async query(): Promise<void> {
    const kernel = this.kernel();
    if (!kernel) {
      if (this.context) this.address.discovered = null;
      return;
    }
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    this.inFlight = true;
    this.lastQuery = Date.now();
    let answer: DashboardInfo | null | undefined;
    try {
      // Passing this page's origin lets the dashboard accept our WebSocket (it refuses foreign origins).
      const code = `${DASHBOARD_QUERY}(${JSON.stringify(window.location.origin)})`;
      const future = kernel.requestExecute({ code, silent: true, store_history: false, allow_stdin: false, stop_on_error: false }, true);
      this.ownQueries.add(future.msg.header.msg_id);
      future.onIOPub = (msg) => {
        if (msg.header.msg_type === "display_data") {
          const found = dashboardFromBundle((msg.content as { data?: Record<string, unknown> }).data);
          if (found !== undefined) answer = found;
        }
      };
      await future.done;
      // Its idle status may reach the session's signal after `done`: forget the id later.
      const id = future.msg.header.msg_id;
      setTimeout(() => this.ownQueries.delete(id), 10_000);
      // The notebook may have changed while the kernel answered: only the current one counts.
      if (this.kernel() === kernel && answer !== undefined) this.address.discover(answer);
    } catch {
      // Kernel gone or restarting: kernelChanged will ask again.
    } finally {
      this.inFlight = false;
      if (this.pending) {
        this.pending = false;
        this.schedule();
      }
    }
  }
}
