/**
 * Turning a cell's value into a Jupyter MIME bundle. `text/plain` is always there; richer
 * types come, in order of precedence, from
 *
 *   1. the value's own `[Symbol.for("tessera.mimeBundle")]()` method (any MIME types),
 *   2. a display adapter registered for it (the engine's objects have adapters, adapters.ts),
 *   3. the value's `toHTML()` (text/html) and `toSVG()` (image/svg+xml) methods.
 *
 * Methods and adapters may return promises. A repr that throws is skipped, and the error is
 * shown as a note in the plain text, so a broken repr never hides the value.
 */
import { inspect } from "node:util";

/** The method a value defines to choose its own MIME bundle. */
export const MIME_BUNDLE = Symbol.for("tessera.mimeBundle");

/** MIME type → data (a string, or a JSON value for `application/json`-like types). */
export type MimeData = Record<string, unknown>;

export interface MimeBundle {
  data: MimeData;
  metadata: Record<string, unknown>;
}

/** Maps a value it recognises to MIME data; returns undefined for anything else. */
export type DisplayAdapter = (value: unknown) => MimeData | undefined | Promise<MimeData | undefined>;

const adapters: DisplayAdapter[] = [];

/** Register an adapter; adapters registered later are asked first. */
export function registerDisplayAdapter(adapter: DisplayAdapter): void {
  adapters.unshift(adapter);
}

/** The plain-text form of any value, as Node's REPL prints it. */
export function plainText(value: unknown): string {
  return inspect(value, { depth: 4, maxArrayLength: 100, breakLength: 100 });
}

function hasMethod(value: unknown, name: PropertyKey): value is Record<PropertyKey, (...args: unknown[]) => unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as Record<PropertyKey, unknown>)[name] === "function";
}

async function fromOwnMethods(value: unknown): Promise<MimeData> {
  const data: MimeData = {};
  if (hasMethod(value, MIME_BUNDLE)) {
    const bundle = await value[MIME_BUNDLE]!();
    if (bundle && typeof bundle === "object") Object.assign(data, bundle);
  }
  if (!("text/html" in data) && hasMethod(value, "toHTML")) {
    const html = await value.toHTML!();
    if (typeof html === "string") data["text/html"] = html;
  }
  if (!("image/svg+xml" in data) && hasMethod(value, "toSVG")) {
    const svg = await value.toSVG!();
    if (typeof svg === "string") data["image/svg+xml"] = svg;
  }
  return data;
}

async function fromAdapters(value: unknown): Promise<MimeData | undefined> {
  for (const adapter of adapters) {
    const data = await adapter(value);
    if (data) return data;
  }
  return undefined;
}

/** The MIME bundle that shows `value` in a notebook. */
export async function mimeBundleOf(value: unknown): Promise<MimeBundle> {
  const notes: string[] = [];
  const attempt = async (what: string, fn: () => Promise<MimeData | undefined>): Promise<MimeData> => {
    try {
      return (await fn()) ?? {};
    } catch (err) {
      notes.push(`(${what} failed: ${err instanceof Error ? err.message : String(err)})`);
      return {};
    }
  };
  // The value's own methods win over an adapter's defaults, type by type.
  const data: MimeData = {
    ...(await attempt("display adapter", () => fromAdapters(value))),
    ...(await attempt("repr method", () => fromOwnMethods(value))),
  };
  if (typeof data["text/plain"] !== "string") data["text/plain"] = plainText(value);
  if (notes.length > 0) data["text/plain"] = `${String(data["text/plain"])}\n${notes.join("\n")}`;
  return { data, metadata: {} };
}
