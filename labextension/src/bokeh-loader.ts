/**
 * Loads BokehJS once per page from the extension's own files (bundled as assets by the
 * webpack rule in webpack.config.cjs), and hands out the global `Bokeh` it defines.
 */
import type { BokehApi } from "../../engine/dist/dashboard/panels/index.js";
import bokehUrl from "@bokeh/bokehjs/build/js/bokeh.min.js?url";
import bokehApiUrl from "@bokeh/bokehjs/build/js/bokeh-api.min.js?url";
import bokehTablesUrl from "@bokeh/bokehjs/build/js/bokeh-tables.min.js?url";

/** The global object BokehJS defines, with the document list the tests read. */
export type BokehGlobal = BokehApi & {
  version: string;
  documents: unknown[];
  Plotting: BokehApi["Plotting"] & { show(root: unknown, target: HTMLElement): Promise<BokehView | BokehView[]> };
};
export interface BokehView {
  remove(): void;
  invalidate_layout?(): void;
  model: { document: unknown };
}

let loading: Promise<BokehGlobal> | null = null;

function script(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.async = false;
    el.onload = () => resolve();
    el.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.appendChild(el);
  });
}

export function loadBokeh(): Promise<BokehGlobal> {
  loading ??= (async () => {
    // The API and tables bundles extend the global the main bundle defines: load in order.
    await script(bokehUrl);
    await script(bokehApiUrl);
    await script(bokehTablesUrl);
    return (window as unknown as { Bokeh: BokehGlobal }).Bokeh;
  })();
  return loading;
}
