/**
 * Makes the packages installed with the kernel (above all `@tessera/engine`) importable from a
 * notebook in any directory, for both halves of a cell's life:
 *
 * - at run time, through NODE_PATH: Node looks in the notebook directory's `node_modules`
 *   chain first and then in the kernel's, exactly as for a globally installed package;
 * - at type-check time, by redirecting the TypeScript compiler's file lookups for
 *   `<cwd>/node_modules/<package>` to the kernel's copy when neither the notebook directory
 *   nor any of its ancestors has that package. tslab does the same for `tslab` itself.
 *
 * A project that installs its own version of a package therefore always gets its own.
 */
import { existsSync } from "node:fs";
import { Module } from "node:module";
import { delimiter, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { tslabTypeScriptSys, type TsSys } from "./tslab.js";

/** Every `node_modules` directory from the kernel package up to the filesystem root. */
export function kernelNodeModules(from = dirname(fileURLToPath(import.meta.url))): string[] {
  const found: string[] = [];
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules");
    if (!dir.endsWith(`${sep}node_modules`) && existsSync(candidate)) found.push(candidate);
    if (dirname(dir) === dir) break;
  }
  return found;
}

/** Add `roots` to NODE_PATH and make the running process's `require` see them. */
export function extendNodePath(roots: string[]): void {
  const current = (process.env.NODE_PATH ?? "").split(delimiter).filter(Boolean);
  const added = roots.filter((r) => !current.includes(r));
  if (added.length === 0) return;
  process.env.NODE_PATH = [...current, ...added].join(delimiter);
  // NODE_PATH is read once at start-up; this re-reads it (worker threads inherit the variable).
  (Module as unknown as { _initPaths(): void })._initPaths();
}

/** The package a path inside `node_modules/` belongs to: `pkg` or `@scope/pkg`, and the rest. */
function splitPackagePath(rest: string): { pkg: string; tail: string } | null {
  const parts = rest.split("/");
  const n = parts[0]?.startsWith("@") ? 2 : 1;
  if (parts.length < n || parts.slice(0, n).some((p) => p === "")) return null;
  return { pkg: parts.slice(0, n).join("/"), tail: parts.slice(n).join("/") };
}

/**
 * Wrap the TypeScript `sys` of tslab so `<cwd>/node_modules/<pkg>/...` is read from the first
 * of `roots` that has `<pkg>`, unless `cwd` or one of its ancestors has `<pkg>` itself.
 * Must run before tslab creates its converter: the compiler host binds `realpath` then.
 */
export function redirectTypeLookups(sys: TsSys, roots: string[]): void {
  const cwd = sys.getCurrentDirectory().replace(/\\/g, "/").replace(/\/$/, "");
  const prefix = `${cwd}/node_modules/`;
  const decisions = new Map<string, string | null>();

  const rootFor = (pkg: string): string | null => {
    let root = decisions.get(pkg);
    if (root !== undefined) return root;
    root = null;
    // tslab already redirects its own package.
    if (pkg !== "tslab") {
      let ownCopy = false;
      for (let dir = cwd; ; dir = dirname(dir)) {
        if (existsSync(join(dir, "node_modules", pkg))) ownCopy = true;
        if (ownCopy || dirname(dir) === dir) break;
      }
      if (!ownCopy) root = roots.find((r) => existsSync(join(r, pkg))) ?? null;
    }
    decisions.set(pkg, root);
    return root;
  };

  const redirect = (path: string): string => {
    const normalized = path.replace(/\\/g, "/");
    if (!normalized.startsWith(prefix)) return path;
    const split = splitPackagePath(normalized.slice(prefix.length));
    if (!split) return path;
    const root = rootFor(split.pkg);
    if (!root) return path;
    return [root.replace(/\\/g, "/"), split.pkg, split.tail].filter(Boolean).join("/");
  };

  const wrap = <K extends "fileExists" | "readFile" | "directoryExists" | "getDirectories" | "readDirectory" | "realpath">(name: K): void => {
    const original = sys[name] as ((path: string, ...rest: unknown[]) => unknown) | undefined;
    if (!original) return;
    (sys as unknown as Record<string, unknown>)[name] = (path: string, ...rest: unknown[]) =>
      original.call(sys, redirect(path), ...rest);
  };
  for (const name of ["fileExists", "readFile", "directoryExists", "getDirectories", "readDirectory", "realpath"] as const) {
    wrap(name);
  }
}

/** Both halves: run-time resolution and type-check resolution of the kernel's packages. */
export function installModuleFallback(): string[] {
  const roots = kernelNodeModules();
  extendNodePath(roots);
  redirectTypeLookups(tslabTypeScriptSys(), roots);
  return roots;
}
