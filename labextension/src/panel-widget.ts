/**
 * One dashboard panel as a Lumino widget in JupyterLab's main area: the shared panel module
 * draws with BokehJS into this widget's node, fed by its own WebSocket to the dashboard (the
 * server answers each new connection with a full snapshot, so a panel opened late is
 * complete at once). Follows the dashboard's route (address, proxy or direct; see
 * dashboard-route.ts) and JupyterLab's theme.
 */
import { Widget } from "@lumino/widgets";
import type { Message } from "@lumino/messaging";
import { connectDashboard, PANELS, type DashboardConnection, type PanelDefinition, type PanelTheme } from "../../engine/dist/dashboard/panels/index.js";
import { loadBokeh, type BokehView } from "./bokeh-loader.js";
import type { DashboardLink } from "./dashboard-route.js";

/**
 * Panel colours from JupyterLab's CSS variables, so dark themes stay readable. A variable's
 * value may itself be `var(--md-grey-300, …)`, which Bokeh cannot parse: each colour is
 * resolved by the browser on a probe element first.
 */
export function jupyterTheme(): PanelTheme {
  const probe = document.createElement("span");
  probe.style.display = "none";
  document.body.append(probe);
  const colour = (name: string, fallback: string): string => {
    probe.style.color = fallback;
    probe.style.color = `var(${name}, ${fallback})`;
    return getComputedStyle(probe).color || fallback;
  };
  const theme = {
    text: colour("--jp-ui-font-color1", "#333333"),
    background: colour("--jp-layout-color1", "#ffffff"),
    grid: colour("--jp-border-color2", "#e0e0e0"),
    font: getComputedStyle(document.body).getPropertyValue("--jp-ui-font-family").trim() || "sans-serif",
  };
  probe.remove();
  return theme;
}

export class DashboardPanelWidget extends Widget {
  readonly panel: PanelDefinition;
  private connection: DashboardConnection | null = null;
  private views: BokehView[] = [];
  private readonly plot: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private generation = 0;

  constructor(
    panelId: string,
    private readonly link: DashboardLink,
  ) {
    super();
    const panel = PANELS.find((p) => p.id === panelId);
    if (!panel) throw new Error(`No Tessera panel "${panelId}"`);
    this.panel = panel;
    this.id = `tessera-panel-${panel.id}`;
    this.title.label = panel.title;
    this.title.caption = `Tessera: ${panel.title}`;
    this.title.closable = true;
    this.addClass("tessera-panel");
    this.node.dataset.tesseraPanel = panel.id;
    this.status = document.createElement("div");
    this.status.className = "tessera-panel-status";
    this.plot = document.createElement("div");
    this.plot.className = "tessera-panel-plot";
    this.node.append(this.status, this.plot);
    link.changed.connect(this.redraw, this);
  }

  /** Rebuild the view (new address or theme): a fresh connection sends a fresh snapshot. */
  redraw(): void {
    if (this.isAttached) void this.draw();
  }

  protected override onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.draw();
  }

  private resizeObserver: ResizeObserver | null = null;

  private relayout(): void {
    for (const view of this.views) view.invalidate_layout?.();
  }

  protected override onBeforeDetach(msg: Message): void {
    this.teardown();
    super.onBeforeDetach(msg);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.teardown();
    this.link.changed.disconnect(this.redraw, this);
    super.dispose();
  }

  private teardown(): void {
    this.generation++;
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
    this.connection?.close();
    this.connection = null;
    for (const view of this.views) view.remove();
    this.views = [];
    this.plot.replaceChildren();
  }

  private async draw(): Promise<void> {
    this.teardown();
    const generation = this.generation;
    const route = this.link.route;
    this.setStatus(`connecting to ${route.dashboard}…`);
    const bokeh = await loadBokeh();
    if (generation !== this.generation) return;
    const view = this.panel.create(bokeh, jupyterTheme());
    const shown = await bokeh.Plotting.show(view.root, this.plot);
    if (generation !== this.generation) {
      for (const v of Array.isArray(shown) ? shown : [shown]) v.remove();
      return;
    }
    this.views = Array.isArray(shown) ? shown : [shown];
    // Bokeh lays out once when shown, possibly while the dock was still settling; follow the
    // container's real size from then on.
    this.resizeObserver?.disconnect();
    this.resizeObserver = new ResizeObserver(() => this.relayout());
    this.resizeObserver.observe(this.plot);
    requestAnimationFrame(() => this.relayout());
    this.connection = connectDashboard(route.base, (message) => view.update(message), {
      ...(route.token ? { token: route.token } : {}),
      onStatus: (connected) => this.setStatus(connected ? "" : `disconnected from ${route.dashboard}, retrying…`),
    });
  }

  private setStatus(text: string): void {
    this.status.textContent = text;
    this.status.hidden = text === "";
  }
}
