/**
 * Which dashboard the panels show. Until the kernel announces its cluster's dashboard, the
 * address is the one typed in the sidebar (remembered across reloads), by default the
 * engine's default, http://127.0.0.1:8787/.
 */
import { Signal, type ISignal } from "@lumino/signaling";

const STORAGE_KEY = "@tessera/labextension:dashboard-url";
export const DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8787/";

export class DashboardAddress {
  private current: string;
  private readonly changedSignal = new Signal<this, string>(this);

  constructor() {
    this.current = normalize(localStorage.getItem(STORAGE_KEY) ?? DEFAULT_DASHBOARD_URL);
  }

  get url(): string {
    return this.current;
  }

  set url(value: string) {
    const next = normalize(value);
    if (next === this.current) return;
    this.current = next;
    localStorage.setItem(STORAGE_KEY, next);
    this.changedSignal.emit(next);
  }

  get changed(): ISignal<this, string> {
    return this.changedSignal;
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
