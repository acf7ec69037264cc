/**
 * Values that change after they are shown, such as the LiveGraph of `visualizeLive()`: the
 * kernel shows them with display_data and a display_id (instead of execute_result, which
 * cannot be updated) and sends update_display_data with a fresh MIME bundle each time the
 * value says it changed.
 *
 * A value takes part by being a LiveGraph or by defining
 * `[Symbol.for("tessera.liveDisplay")](onChange: () => void): () => void` (subscribe, returning
 * the unsubscribe function).
 */
import { LiveGraph } from "@tessera/engine";

import { UpdatableDisplay } from "./cell-output.js";
import { mimeBundleOf } from "./display.js";

export const LIVE_DISPLAY = Symbol.for("tessera.liveDisplay");

type Subscribe = (onChange: () => void) => () => void;

/** How to follow `value`'s changes, or undefined if it does not change. */
export function liveSubscription(value: unknown): Subscribe | undefined {
  if (value instanceof LiveGraph) return value.finished ? undefined : (onChange) => value.onChange(onChange);
  if ((typeof value === "object" || typeof value === "function") && value !== null) {
    const method = (value as Record<PropertyKey, unknown>)[LIVE_DISPLAY];
    if (typeof method === "function") return (onChange) => (method as Subscribe).call(value, onChange);
  }
  return undefined;
}

/**
 * Show `value` in the running cell and keep it up to date. Updates are serialized, so a
 * slow repr never lets an older picture overwrite a newer one.
 */
export async function showLive(value: unknown, subscribe: Subscribe): Promise<void> {
  const display = new UpdatableDisplay();
  const redraw = async (): Promise<void> => void display.show((await mimeBundleOf(value)).data);
  // Subscribe before the first drawing, so no change is missed; updates queue behind it.
  let chain = redraw();
  const first = chain;
  subscribe(() => {
    chain = chain.then(redraw).catch(() => undefined);
  });
  await first;
}
