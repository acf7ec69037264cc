/**
 * The "Tessera" sidebar: the dashboard address and where it comes from (the active notebook's
 * kernel, or typed here, which wins until the field is cleared), whether it answers and by
 * which way (through JupyterLab's proxy or directly), the cluster behind it (cluster-section.ts),
 * and one entry per panel. Clicking an entry opens (or reveals) that panel in the main area;
 * dragging it drops the panel wherever the main area's dock shows a drop target.
 */
import { MimeData } from "@lumino/coreutils";
import { Drag } from "@lumino/dragdrop";
import { Widget } from "@lumino/widgets";
import type { CommandRegistry } from "@lumino/commands";
import type { ServerConnection } from "@jupyterlab/services";
import { PANELS } from "../../engine/dist/dashboard/panels/index.js";
import type { ClusterModel } from "./cluster-model.js";
import { ClusterSection } from "./cluster-section.js";
import type { DashboardAddress } from "./dashboard-address.js";
import { dashboardFetch, type DashboardLink } from "./dashboard-route.js";

export const OPEN_COMMAND = "tessera:open-panel";
/** What Lumino's DockPanel accepts on a drop: a function that makes the widget to dock. */
const WIDGET_FACTORY_MIME = "application/vnd.lumino.widget-factory";
/** A press that moves fewer pixels than this is a click, not a drag. */
const DRAG_THRESHOLD_PX = 5;
/** How often the sidebar, while shown, asks the dashboard how things are. */
const POLL_MS = 2000;

export class DashboardSidebar extends Widget {
  private readonly state: HTMLDivElement;
  private readonly input: HTMLInputElement;
  private readonly sourceLabel: HTMLDivElement;
  private readonly address: DashboardAddress;
  private poll: ReturnType<typeof setInterval> | null = null;
  /** Called when the sidebar is shown, to ask the kernel again. */
  onShow: (() => void) | null = null;

  constructor(
    private readonly link: DashboardLink,
    private readonly cluster: ClusterModel,
    private readonly settings: ServerConnection.ISettings,
    commands: CommandRegistry,
    /** The panel's widget (the one already open, or a new one) for a drag to drop in the dock. */
    private readonly panelWidget: (id: string) => Widget,
  ) {
    super();
    this.address = link.address;
    this.id = "tessera-dashboard-sidebar";
    this.title.caption = "Tessera dashboard";
    this.addClass("tessera-sidebar");

    const heading = document.createElement("h2");
    heading.textContent = "Tessera";
    const form = document.createElement("form");
    this.input = document.createElement("input");
    this.input.type = "text";
    this.input.className = "jp-mod-styled tessera-url";
    this.input.title =
      "Dashboard address (a cluster prints it as client.dashboardLink). Found from the notebook's kernel when empty; a typed address wins until cleared.";
    form.append(this.input);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      try {
        this.address.manual = this.input.value;
      } catch {
        this.state.textContent = "not a URL";
        return;
      }
      this.showAddress();
      void this.check();
    });
    this.sourceLabel = document.createElement("div");
    this.sourceLabel.className = "tessera-source";
    this.state = document.createElement("div");
    this.state.className = "tessera-state";

    const clusterSection = new ClusterSection(cluster, commands);

    const panelsHeading = document.createElement("h3");
    panelsHeading.textContent = "Panels";
    const list = document.createElement("ul");
    list.className = "tessera-panel-list";
    for (const panel of PANELS) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.className = "jp-Button tessera-panel-button";
      button.textContent = panel.title;
      button.dataset.tesseraPanel = panel.id;
      button.addEventListener("click", () => void commands.execute(OPEN_COMMAND, { id: panel.id }));
      button.addEventListener("pointerdown", (event) => this.dragOnMove(event, panel.id, button));
      item.append(button);
      list.append(item);
    }
    this.node.append(heading, form, this.sourceLabel, this.state, clusterSection.node, panelsHeading, list);
    this.showAddress();
    this.address.sourceChanged.connect(() => this.showAddress());
    this.address.changed.connect(() => this.showAddress());
    link.changed.connect(() => void this.check());
  }

  /** Start dragging the panel once the pressed pointer has moved far enough. */
  private dragOnMove(down: PointerEvent, id: string, button: HTMLElement): void {
    if (down.button !== 0) return;
    const move = (event: PointerEvent): void => {
      if (Math.hypot(event.clientX - down.clientX, event.clientY - down.clientY) < DRAG_THRESHOLD_PX) return;
      stop();
      const drag = new Drag({
        mimeData: new MimeData(),
        dragImage: button.cloneNode(true) as HTMLElement,
        proposedAction: "move",
        supportedActions: "move",
        source: this,
      });
      drag.mimeData.setData(WIDGET_FACTORY_MIME, () => this.panelWidget(id));
      void drag.start(event.clientX, event.clientY);
    };
    const stop = (): void => {
      document.removeEventListener("pointermove", move, true);
      document.removeEventListener("pointerup", stop, true);
    };
    document.addEventListener("pointermove", move, true);
    document.addEventListener("pointerup", stop, true);
  }

  protected override onAfterShow(): void {
    this.onShow?.();
    void this.check();
    this.poll ??= setInterval(() => void this.check(), POLL_MS);
  }

  protected override onAfterHide(): void {
    if (this.poll !== null) clearInterval(this.poll);
    this.poll = null;
  }

  override dispose(): void {
    this.onAfterHide();
    super.dispose();
  }

  /** The field holds only a typed address; the one in use shows as its placeholder. */
  private showAddress(): void {
    const { manual, source, url } = this.address;
    if (document.activeElement !== this.input) this.input.value = manual ?? "";
    this.input.placeholder = url;
    this.sourceLabel.dataset.source = source;
    this.sourceLabel.textContent =
      source === "kernel" ? "from kernel" : source === "manual" ? "manual (clear the field to use the kernel's)" : "default (no Tessera dashboard found in the notebook's kernel)";
  }

  /** Ask the dashboard for its panel list (is it reachable, and does it allow us?) and its cluster. */
  async check(): Promise<void> {
    let route = this.link.route;
    let ok = await this.reachable();
    if (!ok) {
      // Perhaps the other way answers (the proxy appeared, or the dashboard moved).
      route = await this.link.refresh();
      ok = await this.reachable();
    }
    if (route !== this.link.route) return; // a newer check follows the change
    const way = route.via === "proxy" ? `through JupyterLab (${new URL(route.base).pathname})` : "directly";
    this.state.dataset.connected = String(ok);
    this.state.dataset.route = route.via;
    this.state.dataset.dashboard = route.dashboard;
    this.state.textContent = ok ? `connected: ${route.dashboard} ${way}` : `no dashboard at ${route.dashboard} (${way}), or it does not allow this origin`;
    await this.cluster.refresh();
  }

  private async reachable(): Promise<boolean> {
    try {
      return (await dashboardFetch(this.link.route, "panels.json", {}, this.settings)).ok;
    } catch {
      return false;
    }
  }
}
