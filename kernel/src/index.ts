// Public API of @tessera/kernel: what other packages and notebooks may use of the kernel.
export { mimeBundleOf, plainText, registerDisplayAdapter, MIME_BUNDLE, type DisplayAdapter, type MimeBundle, type MimeData } from "./display.js";
export { engineDisplayAdapter, registerEngineAdapters, isGraphDrawing } from "./adapters.js";
export { errorContent, compileErrorContent, type ErrorContent } from "./errors.js";
export { kernelSpec, installKernelspec, KERNEL_NAME, type KernelSpec, type InstallLocation, type InstallOptions } from "./kernelspec.js";
export { currentCell, defaultSignal, type CellContext } from "./cell-context.js";
export { progressData, progressHtml, notebookProgressDisplay, installProgressDisplay, PROGRESS_MIME } from "./progress-display.js";
export { liveSubscription, showLive, LIVE_DISPLAY } from "./live-display.js";
export { dashboardInfo, dashboardQueryData, isDashboardQuery, parseDashboardQuery, DASHBOARD_MIME, DASHBOARD_QUERY, type DashboardInfo } from "./dashboard-discovery.js";
export { cellOutput, setCellOutput, UpdatableDisplay, type DisplaySink } from "./cell-output.js";
