/**
 * The sidebar's cluster section: workers, threads and memory of the cluster behind the
 * dashboard, a number field with a Scale button, and a Restart button (both run the palette
 * commands, cluster-commands.ts).
 */
import type { CommandRegistry } from "@lumino/commands";
import { RESTART_COMMAND, SCALE_COMMAND } from "./cluster-commands.js";
import { formatBytes, type ClusterModel } from "./cluster-model.js";

export class ClusterSection {
  readonly node: HTMLElement;
  private readonly summary: HTMLDivElement;
  private readonly workers: HTMLInputElement;
  private readonly message: HTMLDivElement;
  private readonly buttons: HTMLButtonElement[];
  private busy = false;

  constructor(
    private readonly cluster: ClusterModel,
    commands: CommandRegistry,
  ) {
    this.node = document.createElement("section");
    this.node.className = "tessera-cluster";
    const heading = document.createElement("h3");
    heading.textContent = "Cluster";
    this.summary = document.createElement("div");
    this.summary.className = "tessera-cluster-summary";

    const controls = document.createElement("form");
    controls.className = "tessera-cluster-controls";
    this.workers = document.createElement("input");
    this.workers.type = "number";
    this.workers.min = "1";
    this.workers.step = "1";
    this.workers.className = "jp-mod-styled tessera-scale-input";
    this.workers.title = "Number of worker threads";
    const scale = this.button("Scale", "jp-mod-accept tessera-scale", "Run this many worker threads");
    scale.type = "submit";
    const restart = this.button("Restart", "jp-mod-warn tessera-restart", "Replace every worker thread");
    restart.type = "button";
    this.buttons = [scale, restart];
    controls.append(this.workers, scale, restart);
    controls.addEventListener("submit", (event) => {
      event.preventDefault();
      const n = Number(this.workers.value);
      if (Number.isInteger(n) && n >= 1) void this.run(() => commands.execute(SCALE_COMMAND, { workers: n }));
    });
    restart.addEventListener("click", () => void this.run(() => commands.execute(RESTART_COMMAND)));

    this.message = document.createElement("div");
    this.message.className = "tessera-cluster-message";
    this.node.append(heading, this.summary, controls, this.message);
    cluster.changed.connect(() => this.show());
    this.show();
  }

  private button(label: string, className: string, title: string): HTMLButtonElement {
    const b = document.createElement("button");
    b.className = `jp-Button jp-mod-styled ${className}`;
    b.textContent = label;
    b.title = title;
    return b;
  }

  /** Run a command with the buttons disabled, so a scale is not sent twice. */
  private async run(command: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    this.show();
    try {
      await command();
    } finally {
      this.busy = false;
      this.show();
    }
  }

  private show(): void {
    const info = this.cluster.info;
    this.node.dataset.workers = info ? String(info.workers) : "";
    if (info) {
      this.summary.textContent =
        `${info.workers} ${info.workers === 1 ? "worker" : "workers"} · ${info.threads} ${info.threads === 1 ? "thread" : "threads"} · ` +
        `${formatBytes(info.memory)} held of ${formatBytes(info.machineMemory)}` +
        (info.processing > 0 ? ` · ${info.processing} tasks running` : "");
      this.summary.title = info.perWorker.map((w) => `${w.id}: ${w.keys} results, ${formatBytes(w.nbytes)}, ${w.processing} tasks`).join("\n");
      if (document.activeElement !== this.workers) this.workers.value = String(info.workers);
    } else {
      this.summary.textContent = "no cluster (start a Client in the notebook)";
      this.summary.title = "";
    }
    this.message.textContent = this.busy ? "working…" : (this.cluster.error ?? "");
    for (const b of this.buttons) b.disabled = this.busy || !info;
    this.workers.disabled = this.busy || !info;
  }
}
