/**
 * Which files the cell compiler watches for changes: the user's own sources in the notebook's
 * directory, and nothing else.
 *
 * tslab recompiles cells with TypeScript's watch API and runs TypeScript's rebuild timer by
 * hand; a change to a watched file outside the cell (say, a package's `.d.ts` rebuilt while
 * the kernel runs) can arm a second timer, and the next cell then fails with "Unexpected
 * pending rebuildTimer". Installed packages and declaration files are therefore read once —
 * the same as their code, which Node loads once per kernel — and a restart picks up a rebuilt
 * package. Local `.ts`/`.js` modules a cell imports are still watched, as tslab intends.
 */
import { isAbsolute, relative } from "node:path";

import type { TsSys } from "./tslab.js";

interface Watcher {
  close(): void;
}

type WatchFile = (path: string, callback: (...args: unknown[]) => void, ...rest: unknown[]) => Watcher;

const NOT_WATCHED: Watcher = { close() {} };

/** Whether `path` is inside `dir` (or is it), without passing through a node_modules folder. */
export function isOwnSourcePath(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  if (rel.startsWith("..") || isAbsolute(rel)) return false;
  return !rel.split(/[\\/]/).includes("node_modules");
}

/** A TypeScript or JavaScript module a cell can import (not a declaration file, not package.json). */
export function isModuleSource(path: string): boolean {
  return /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/.test(path) && !/\.d\.[mc]?ts$/.test(path);
}

/** Limit TypeScript's file and directory watchers (on tslab's `ts.sys`) to the user's sources. */
export function limitWatchingToOwnSources(sys: TsSys & { watchFile?: WatchFile; watchDirectory?: WatchFile }): void {
  const cwd = sys.getCurrentDirectory();
  const watchFile = sys.watchFile;
  if (watchFile) {
    sys.watchFile = (path, callback, ...rest) =>
      isOwnSourcePath(cwd, path) && isModuleSource(path) ? watchFile.call(sys, path, callback, ...rest) : NOT_WATCHED;
  }
  const watchDirectory = sys.watchDirectory;
  if (watchDirectory) {
    sys.watchDirectory = (path, callback, ...rest) =>
      isOwnSourcePath(cwd, path) ? watchDirectory.call(sys, path, callback, ...rest) : NOT_WATCHED;
  }
}
