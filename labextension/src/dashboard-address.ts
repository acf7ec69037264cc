/**
 * Which dashboard the panels show, and why. Two sources, in order of precedence:
 *
 * 1. a URL typed in the sidebar ("manual", remembered across reloads): the user's explicit
 *    choice wins until the field is cleared;
 * 2. the dashboard the active notebook's kernel reports ("kernel", see kernel-discovery.ts).
 *
 * With neither, the engine's default address, http://127.0.0.1:8787/.
 */
import { Signal, type ISignal } from "@lumino/signaling";

const STORAGE_KEY = "@tessera/labextension:dashboard-url";
export const DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8787/";

export type AddressSource = "manual" | "kernel" | "default";

export class DashboardAddress {
  private manualUrl: string | null;
  private discoveredUrl: string | null = null;
  private discoveredToken: string | null = null;
  private readonly changedSignal = new Signal<this, string>(this);
  private readonly sourceChangedSignal = new Signal<this, AddressSource>(this);

  constructor() {
    const stored = localStorage.getItem(STORAGE_KEY);
    let manual: string | null = null;
    try {
      manual = stored ? normalize(stored) : null;
    } catch {
      localStorage.removeItem(STORAGE_KEY);
    }
    this.manualUrl = manual;
  }

  /** The address in use. */
  get url(): string {
    return this.manualUrl ?? this.discoveredUrl ?? DEFAULT_DASHBOARD_URL;
  }

  /** Where `url` comes from. */
  get source(): AddressSource {
    return this.manualUrl !== null ? "manual" : this.discoveredUrl !== null ? "kernel" : "default";
  }

  /** The typed address, or null when none is (then the kernel's or the default applies). */
  get manual(): string | null {
    return this.manualUrl;
  }

  /** Set the typed address; empty text (or null) clears it. Throws on text that is not a URL. */
  set manual(value: string | null) {
    const next = value === null || value.trim() === "" ? null : normalize(value);
    if (next === null) localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, next);
    this.update(() => (this.manualUrl = next));
  }

  /** The address the active notebook's kernel reported, or null (none, or not a Tessera kernel). */
  get discovered(): string | null {
    return this.discoveredUrl;
  }

  set discovered(value: string | null) {
    this.discover(value === null ? null : { url: value, token: null });
  }

  /** Take the kernel's answer: its dashboard's address and token (null on loopback). */
  discover(info: { url: string; token: string | null } | null): void {
    const next = info === null ? null : normalize(info.url);
    this.update(() => {
      this.discoveredUrl = next;
      this.discoveredToken = info?.token ?? null;
    });
  }

  /** The token of the address in use: the kernel says it; a typed address carries none. */
  get token(): string | null {
    return this.source === "kernel" ? this.discoveredToken : null;
  }

  /** Emitted with the new address whenever the address in use changes. */
  get changed(): ISignal<this, string> {
    return this.changedSignal;
  }

  /** Emitted whenever the source changes (even if the address stays the same). */
  get sourceChanged(): ISignal<this, AddressSource> {
    return this.sourceChangedSignal;
  }

  private update(change: () => void): void {
    const url = this.url;
    const source = this.source;
    change();
    if (this.source !== source) this.sourceChangedSignal.emit(this.source);
    if (this.url !== url) this.changedSignal.emit(this.url);
  }
}

/** `127.0.0.1:8787` → `http://127.0.0.1:8787/`; a pasted `/status` page link → its root. */
export function normalize(value: string): string {
  let text = value.trim();
  if (!/^https?:\/\//.test(text)) text = `http://${text}`;
  const url = new URL(text);
  url.pathname = url.pathname.replace(/(status|individual-[\w-]+)$/, "");
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  url.search = "";
  url.hash = "";
  return url.toString();
}
