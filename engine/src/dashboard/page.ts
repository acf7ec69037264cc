/**
 * HTML of the standalone dashboard: the full status page and one page per panel. The page
 * loads BokehJS and the panel modules from the server's statics and feeds every panel from
 * one WebSocket. `window.tesseraDashboard` exposes the live views and a message count, so a
 * test (or a curious user in the console) can see what arrived.
 */
import type { PanelDefinition } from "./panels/common.js";

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function dashboardPage(title: string, panels: readonly PanelDefinition[]): string {
  const single = panels.length === 1;
  const cells = panels
    .map((p) => `<section class="panel"><h2>${escapeHtml(p.title)}</h2><div class="plot" id="panel-${p.id}"></div></section>`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  html, body { margin: 0; height: 100%; font-family: sans-serif; color: #333; background: #fafafa; }
  header { padding: 6px 12px; background: #2d3e50; color: white; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 16px; margin: 0; }
  header .status { font-size: 12px; opacity: 0.8; }
  main { display: grid; gap: 8px; padding: 8px; box-sizing: border-box;
         grid-template-columns: ${single ? "1fr" : "repeat(auto-fit, minmax(480px, 1fr))"};
         height: calc(100% - 32px); grid-auto-rows: ${single ? "1fr" : "minmax(300px, 1fr)"}; }
  .panel { background: white; border: 1px solid #ddd; display: flex; flex-direction: column; min-height: 0; }
  .panel h2 { font-size: 13px; margin: 4px 8px; font-weight: 600; }
  .plot { flex: 1; min-height: 0; position: relative; }
</style>
<script src="statics/bokeh/bokeh.min.js"></script>
<script src="statics/bokeh/bokeh-api.min.js"></script>
<script src="statics/bokeh/bokeh-tables.min.js"></script>
</head>
<body>
<header><h1>Tessera · ${escapeHtml(title)}</h1><span class="status" id="status">connecting…</span></header>
<main>
${cells}
</main>
<script type="module">
  import { PANELS, LIGHT_THEME, connectDashboard } from "./statics/panels/index.js";
  const ids = ${JSON.stringify(panels.map((p) => p.id))};
  const state = { views: {}, messages: 0, connected: false };
  window.tesseraDashboard = state;
  for (const id of ids) {
    const panel = PANELS.find((p) => p.id === id);
    const view = panel.create(window.Bokeh, LIGHT_THEME);
    await window.Bokeh.Plotting.show(view.root, document.getElementById("panel-" + id));
    state.views[id] = view;
  }
  const status = document.getElementById("status");
  const token = new URLSearchParams(location.search).get("token") ?? undefined;
  connectDashboard(new URL(".", location.href).href, (message) => {
    state.messages++;
    for (const view of Object.values(state.views)) view.update(message);
  }, {
    token,
    onStatus(connected) {
      state.connected = connected;
      status.textContent = connected ? "live" : "disconnected, retrying…";
    },
  });
</script>
</body>
</html>
`;
}
