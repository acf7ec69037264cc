/**
 * The parts of tslab the kernel reuses, in one place: its TypeScript converter (type checking,
 * completion, inspection, top-level await), its executor (runs converted cells and keeps their
 * variables), and its ZeroMQ server (sockets, signing, the shell message loop).
 *
 * tslab is CommonJS and these are its `dist/` modules; they are loaded with `require` so the
 * kernel gets the very objects tslab uses (its `display` API reads `lastWriteDisplayData` from
 * the jupyter module, and the converter calls methods on the TypeScript module's `ts.sys`).
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";

import type * as converterModule from "tslab/dist/converter.js";
import type * as executorModule from "tslab/dist/executor.js";
import type * as inspectModule from "tslab/dist/inspect.js";
import type * as jupyterModule from "tslab/dist/jupyter.js";
import type * as publicModule from "tslab/dist/public.js";
import type * as utilModule from "tslab/dist/util.js";
import type * as TypeScript from "@tslab/typescript-for-tslab";

import { instrumentTslabTypeScript } from "./typescript-maps.js";

const require = createRequire(import.meta.url);

/** The directory of tslab's `dist/`, from which its own dependencies resolve. */
export const tslabDist = dirname(require.resolve("tslab/dist/converter.js"));

/** The TypeScript tslab compiles cells with (its own build, not the project's). */
const tslabTypeScriptPath = createRequire(`${tslabDist}/converter.js`).resolve("@tslab/typescript-for-tslab");

// Before the converter loads it: cells' JavaScript comes with source maps (typescript-maps.ts).
// Cells see Node.js's global types only: by default TypeScript would also load every package
// in node_modules/@types of the notebook's directory and its parents (a checkout's jest,
// react, google.maps, …), which doubles the kernel's start-up and declares globals such as
// jest's `describe` that do not exist when the cell runs. Imported packages still get their
// types (from the package or its @types package).
instrumentTslabTypeScript(require, tslabTypeScriptPath, { types: ["node"] });

export const converter = require("tslab/dist/converter.js") as typeof converterModule;
export const executor = require("tslab/dist/executor.js") as typeof executorModule;
export const inspect = require("tslab/dist/inspect.js") as typeof inspectModule;
export const jupyter = require("tslab/dist/jupyter.js") as typeof jupyterModule;
export const tslabPublic = require("tslab/dist/public.js") as typeof publicModule;
export const util = require("tslab/dist/util.js") as typeof utilModule;

/**
 * The filesystem facade of the TypeScript build tslab compiles cells with. The converter calls
 * `ts.sys.readFile(...)` and friends at call time, so wrapping these methods changes where it
 * looks for files (see module-fallback.ts).
 */
export interface TsSys {
  getCurrentDirectory(): string;
  fileExists(path: string): boolean;
  readFile(path: string, encoding?: string): string | undefined;
  directoryExists(path: string): boolean;
  getDirectories(path: string): string[];
  readDirectory(path: string, extensions?: readonly string[], exclude?: readonly string[], include?: readonly string[], depth?: number): string[];
  realpath?(path: string): string;
}

export function tslabTypeScriptSys(): TsSys {
  return (require(tslabTypeScriptPath) as { sys: TsSys }).sys;
}

export type Executor = executorModule.Executor;
export type ConverterSet = executorModule.ConverterSet;
export type Converter = converterModule.Converter;
export type ConvertResult = converterModule.ConvertResult;
export type ZmqServer = jupyterModule.ZmqServer;
/** A parsed and verified message as tslab's server hands it to its handlers. */
export type ZmqMessage = Parameters<jupyterModule.ZmqServer["handleExecute"]>[1];
/** A ROUTER socket (shell, control) as tslab's server passes it around. */
export type Router = Parameters<jupyterModule.ZmqServer["handleShellMessage"]>[0];
/** The content of a display_data message as tslab's `display` API builds it. */
export type DisplayData = Parameters<typeof jupyterModule.lastWriteDisplayData>[0];

/** tslab's TypeScript module itself, for parsing what its converter produces. */
export function tslabTypeScript(): typeof TypeScript {
  return require(tslabTypeScriptPath) as typeof TypeScript;
}
