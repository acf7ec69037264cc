/**
 * Shared by the browser suites: a headless Debian Chromium driven by playwright-core, and
 * reading BokehJS data sources out of a page (what the panels actually hold, not just that a
 * canvas exists).
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const RESULTS = join(ROOT, "test-results");
const CHROMIUM = process.env.TESSERA_CHROMIUM ?? "/usr/bin/chromium";

/** `hosts`: extra host names the browser resolves to 127.0.0.1 (to open a page "from another host"). */
export async function launchBrowser({ hosts = [] } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set TESSERA_CHROMIUM)`);
  mkdirSync(RESULTS, { recursive: true });
  const resolve = hosts.length > 0 ? [`--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(",")}`] : [];
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", ...resolve],
  });
}

/**
 * The data of every ColumnDataSource named `tessera-<panel>` in the page, by name, as plain
 * column lengths and values. Looks through every Bokeh document (each panel shows its own).
 */
export function readSources(page) {
  return page.evaluate(() => {
    const bokeh = globalThis.Bokeh;
    const out = {};
    for (const doc of bokeh?.documents ?? []) {
      for (const model of doc.all_models ?? []) {
        const name = model.name;
        if (typeof name === "string" && name.startsWith("tessera-") && model.data) {
          const data = {};
          for (const [column, values] of Object.entries(model.data)) data[column] = Array.from(values);
          out[name] = data;
        }
      }
    }
    return out;
  });
}

/** Poll `check` (which returns a truthy value when satisfied) until it holds or `ms` pass. */
export async function until(what, check, ms = 30_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`still waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
