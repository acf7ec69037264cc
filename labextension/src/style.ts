/** The extension's styles, in JupyterLab's CSS variables so every theme applies. */
const CSS = `
.tessera-sidebar { padding: 8px; color: var(--jp-ui-font-color1); background: var(--jp-layout-color1); overflow-y: auto; }
.tessera-sidebar h2 { font-size: var(--jp-ui-font-size2); margin: 4px 0 8px; }
.tessera-sidebar .tessera-url { width: 100%; box-sizing: border-box; }
.tessera-sidebar .tessera-source { font-size: var(--jp-ui-font-size0); margin: 4px 0 0; color: var(--jp-ui-font-color2); }
.tessera-sidebar .tessera-source[data-source="kernel"] { color: var(--jp-success-color1); }
.tessera-sidebar .tessera-source[data-source="manual"] { color: var(--jp-warn-color1); }
.tessera-sidebar .tessera-state { font-size: var(--jp-ui-font-size0); color: var(--jp-ui-font-color2); margin: 4px 0 8px; word-break: break-all; }
.tessera-sidebar h3 { font-size: var(--jp-ui-font-size1); font-weight: 600; margin: 12px 0 4px; color: var(--jp-ui-font-color1); }
.tessera-cluster-summary { font-size: var(--jp-ui-font-size1); margin: 2px 0 6px; }
.tessera-cluster-controls { display: flex; gap: 4px; align-items: center; }
.tessera-cluster-controls .tessera-scale-input { width: 4.5em; box-sizing: border-box; }
.tessera-cluster-controls button { padding: 0 8px; min-width: 0; }
.tessera-cluster-message { font-size: var(--jp-ui-font-size0); color: var(--jp-warn-color1); margin: 4px 0 0; min-height: 1em; word-break: break-word; }
.tessera-panel-list { list-style: none; padding: 0; margin: 0; }
.tessera-panel-button { width: 100%; text-align: left; margin: 2px 0; padding: 6px 8px; cursor: pointer;
  background: var(--jp-layout-color2); color: var(--jp-ui-font-color1); border: 1px solid var(--jp-border-color2); border-radius: 2px; }
.tessera-panel-button:hover { background: var(--jp-layout-color3); }
.tessera-panel { background: var(--jp-layout-color1); color: var(--jp-ui-font-color1); }
.tessera-panel-status { position: absolute; top: 0; left: 0; right: 0; z-index: 1; font-size: var(--jp-ui-font-size0); color: var(--jp-ui-font-color2); padding: 2px 6px; }
/* A definite size from the start: Bokeh's stretch_both measures its container when shown. */
.tessera-panel-plot { position: absolute; inset: 0; }
`;

export function installStyles(): void {
  if (document.getElementById("tessera-labextension-styles")) return;
  const style = document.createElement("style");
  style.id = "tessera-labextension-styles";
  style.textContent = CSS;
  document.head.append(style);
}
