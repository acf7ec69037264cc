/**
 * Palette commands for the cluster behind the dashboard in use: scale it (to a number given
 * as `workers`, or asked for) and restart it (after a confirmation unless `confirm: false`).
 * The sidebar's buttons run the same commands.
 */
import { Dialog, InputDialog, showDialog, showErrorMessage, type ICommandPalette } from "@jupyterlab/apputils";
import type { CommandRegistry } from "@lumino/commands";
import type { ClusterModel } from "./cluster-model.js";

export const SCALE_COMMAND = "tessera:scale-cluster";
export const RESTART_COMMAND = "tessera:restart-cluster";

export function addClusterCommands(commands: CommandRegistry, cluster: ClusterModel, palette: ICommandPalette | null): void {
  commands.addCommand(SCALE_COMMAND, {
    label: "Tessera: Scale the Cluster…",
    caption: "Set the number of worker threads of the cluster behind the dashboard",
    execute: async (args) => {
      let workers = typeof args.workers === "number" ? args.workers : null;
      if (workers === null) {
        const answer = await InputDialog.getNumber({
          title: "Scale the Tessera cluster",
          label: "Worker threads",
          value: cluster.info?.workers ?? 1,
        });
        if (!answer.button.accept || answer.value === null) return null;
        workers = answer.value;
      }
      try {
        return await cluster.scale(workers);
      } catch (error) {
        void showErrorMessage("Could not scale the cluster", (error as Error).message);
        return null;
      }
    },
  });
  commands.addCommand(RESTART_COMMAND, {
    label: "Tessera: Restart the Cluster",
    caption: "Replace every worker thread of the cluster behind the dashboard",
    execute: async (args) => {
      if (args.confirm !== false) {
        const result = await showDialog({
          title: "Restart the Tessera cluster?",
          body: "Every worker thread is replaced. Results held in memory are dropped, and computed again when something still needs them.",
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: "Restart" })],
        });
        if (!result.button.accept) return null;
      }
      try {
        return await cluster.restart();
      } catch (error) {
        void showErrorMessage("Could not restart the cluster", (error as Error).message);
        return null;
      }
    },
  });
  palette?.addItem({ command: SCALE_COMMAND, category: "Tessera" });
  palette?.addItem({ command: RESTART_COMMAND, category: "Tessera" });
}
