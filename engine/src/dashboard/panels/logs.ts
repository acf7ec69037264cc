/** Logs: what happened in the cluster (workers starting and stopping, graphs, failures), newest first. */
import { dataTable } from "./tables.js";
import type { PanelDefinition } from "./common.js";

export const logs: PanelDefinition = {
  id: "logs",
  title: "Logs",
  create(bokeh, theme) {
    const { source, root } = dataTable(
      bokeh,
      "tessera-logs",
      [["time", "time", 70], ["level", "level", 50], ["source", "source", 80], ["message", "message", 400]],
      theme,
    );
    return {
      root,
      update(message) {
        const lines = [...message.logs].reverse();
        source.data = {
          time: lines.map((l) => new Date(l.time).toLocaleTimeString()),
          level: lines.map((l) => l.level),
          source: lines.map((l) => l.source),
          message: lines.map((l) => l.message),
        };
      },
    };
  },
};
