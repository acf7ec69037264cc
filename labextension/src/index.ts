/**
 * Tessera's JupyterLab 4 extension: a "Tessera" sidebar listing the dashboard panels (of the
 * dashboard the active notebook's Tessera kernel reports, or of a typed address); each opens
 * (on a click, or where it is dragged to) as a native BokehJS view in a Lumino widget docked
 * beside the notebooks. Open panels come back after a reload (ILayoutRestorer) and each panel
 * has a palette command. The sidebar also
 * shows the cluster behind the dashboard, with palette commands to scale and restart it. The
 * dashboard is reached through JupyterLab's own origin (jupyter-server-proxy) when it can be.
 */
import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ICommandPalette, IThemeManager, MainAreaWidget, WidgetTracker } from "@jupyterlab/apputils";
import { LabIcon } from "@jupyterlab/ui-components";
import { PANELS } from "../../engine/dist/dashboard/panels/index.js";
import { addClusterCommands } from "./cluster-commands.js";
import { ClusterModel } from "./cluster-model.js";
import { DashboardAddress } from "./dashboard-address.js";
import { DashboardLink } from "./dashboard-route.js";
import { DashboardPanelWidget } from "./panel-widget.js";
import { KernelDashboardDiscovery } from "./kernel-discovery.js";
import { DashboardSidebar, OPEN_COMMAND } from "./sidebar.js";
import { installStyles } from "./style.js";

const tesseraIcon = new LabIcon({
  name: "tessera:icon",
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<rect x="2" y="2" width="9" height="9" rx="1"/><rect x="13" y="2" width="9" height="5" rx="1"/>' +
    '<rect x="13" y="9" width="9" height="13" rx="1"/><rect x="2" y="13" width="9" height="9" rx="1"/></g></svg>',
});

const plugin: JupyterFrontEndPlugin<void> = {
  id: "@tessera/labextension:plugin",
  description: "Tessera dashboard panels: task stream, progress, workers, memory.",
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, IThemeManager],
  activate(app: JupyterFrontEnd, restorer: ILayoutRestorer | null, palette: ICommandPalette | null, themes: IThemeManager | null) {
    installStyles();
    const address = new DashboardAddress();
    const settings = app.serviceManager.serverSettings;
    const link = new DashboardLink(address, settings);
    const cluster = new ClusterModel(link, settings);
    const tracker = new WidgetTracker<MainAreaWidget<DashboardPanelWidget>>({ namespace: "tessera-dashboard" });

    /** The open widget of panel `id`, or a new one, tracked (for the layout restorer) either way. */
    const panelWidget = (id: string): { widget: MainAreaWidget<DashboardPanelWidget>; isNew: boolean } => {
      const open = tracker.find((w) => w.content.panel.id === id);
      if (open) return { widget: open, isNew: false };
      const widget = new MainAreaWidget({ content: new DashboardPanelWidget(id, link) });
      widget.id = `tessera-${id}`;
      widget.title.icon = tesseraIcon;
      return { widget, isNew: true };
    };

    app.commands.addCommand(OPEN_COMMAND, {
      label: (args) => {
        const panel = PANELS.find((p) => p.id === args.id);
        return panel ? `Tessera: ${panel.title}` : "Tessera: open a dashboard panel";
      },
      execute: async (args) => {
        const { widget, isNew } = panelWidget(String(args.id));
        if (!isNew) {
          app.shell.activateById(widget.id);
          return widget;
        }
        // The first panel goes beside the notebook; the next ones stack under the last panel
        // opened, so the notebook keeps its width.
        const last = tracker.currentWidget;
        await tracker.add(widget);
        app.shell.add(widget, "main", last && last.isAttached ? { mode: "split-bottom", ref: last.id } : { mode: "split-right" });
        app.shell.activateById(widget.id);
        return widget;
      },
    });
    /** A panel dragged from the sidebar: the dock places it where it is dropped. */
    const draggedPanel = (id: string): MainAreaWidget<DashboardPanelWidget> => {
      const { widget, isNew } = panelWidget(id);
      if (isNew) void tracker.add(widget);
      return widget;
    };
    for (const panel of PANELS) palette?.addItem({ command: OPEN_COMMAND, args: { id: panel.id }, category: "Tessera" });
    addClusterCommands(app.commands, cluster, palette);

    const sidebar = new DashboardSidebar(link, cluster, settings, app.commands, draggedPanel);
    sidebar.title.icon = tesseraIcon;
    app.shell.add(sidebar, "left", { rank: 400 });

    // The active notebook's kernel names its dashboard; panels follow it unless a URL was typed.
    const discovery = new KernelDashboardDiscovery(address);
    discovery.follow(app.shell.currentWidget);
    app.shell.currentChanged?.connect((_, change) => discovery.follow(change.newValue));
    sidebar.onShow = () => discovery.refresh();

    if (restorer) {
      restorer.add(sidebar, sidebar.id);
      void restorer.restore(tracker, {
        command: OPEN_COMMAND,
        args: (w) => ({ id: w.content.panel.id }),
        name: (w) => w.content.panel.id,
      });
    }
    // Bokeh figures take their colours at creation: redraw open panels in the new theme.
    themes?.themeChanged.connect(() => tracker.forEach((w) => w.content.redraw()));
  },
};

export default plugin;
