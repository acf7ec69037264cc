/**
 * The "Tessera" sidebar: the dashboard address and where it comes from (the active notebook's
 * kernel, or typed here, which wins until the field is cleared), whether it answers, and one
 * entry per panel. Clicking an entry opens (or reveals) that panel in the main area.
 */
import { Widget } from "@lumino/widgets";
import type { CommandRegistry } from "@lumino/commands";
import { PANELS } from "../../engine/dist/dashboard/panels/index.js";
import type { DashboardAddress } from "./dashboard-address.js";

export const OPEN_COMMAND = "tessera:open-panel";

export class DashboardSidebar extends Widget {
  private readonly state: HTMLDivElement;
  private readonly input: HTMLInputElement;
  private readonly sourceLabel: HTMLDivElement;
  /** Called when the sidebar is shown, to ask the kernel again. */
  onShow: (() => void) | null = null;

  constructor(
    private readonly address: DashboardAddress,
    commands: CommandRegistry,
  ) {
    super();
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
        address.manual = this.input.value;
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

    const list = document.createElement("ul");
    list.className = "tessera-panel-list";
    for (const panel of PANELS) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.className = "jp-Button tessera-panel-button";
      button.textContent = panel.title;
      button.dataset.tesseraPanel = panel.id;
      button.addEventListener("click", () => void commands.execute(OPEN_COMMAND, { id: panel.id }));
      item.append(button);
      list.append(item);
    }
    this.node.append(heading, form, this.sourceLabel, this.state, list);
    this.showAddress();
    address.sourceChanged.connect(() => this.showAddress());
    address.changed.connect(() => {
      this.showAddress();
      void this.check();
    });
  }

  protected override onAfterShow(): void {
    this.onShow?.();
    void this.check();
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

  /** Ask the dashboard for its panel list: says whether it is reachable (and allows us). */
  async check(): Promise<void> {
    const url = this.address.url;
    try {
      const response = await fetch(new URL("panels.json", url), { cache: "no-store" });
      this.state.textContent = response.ok ? `connected: ${url}` : `${url} answered ${response.status}`;
      this.state.dataset.connected = String(response.ok);
    } catch {
      this.state.textContent = `no dashboard at ${url} (or it does not allow this origin)`;
      this.state.dataset.connected = "false";
    }
  }
}
