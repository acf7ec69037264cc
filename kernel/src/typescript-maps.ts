/**
 * Source maps for the JavaScript tslab runs, so a runtime error can point at the line of the
 * cell that the user wrote.
 *
 * tslab's converter turns a cell into JavaScript in two steps, both with its own copy of
 * TypeScript: a watch program emits an ES module from the cell (type checked, with its
 * transforms), then `transpileModule` rewrites that into CommonJS. It asks for no source
 * maps and offers no option to. So before the converter is loaded, the TypeScript module it
 * will `require` is replaced (in the require cache) by one that differs in two functions:
 * the watch program's options add `inlineSourceMap` (and any options the kernel adds, see
 * tslab.ts), and `transpileModule`, given JavaScript
 * that carries such an inline map, takes the map off, asks for a source map of its own step,
 * and records both for the output it returns. The output is otherwise exactly what tslab
 * would have produced.
 */
import type { Module } from "node:module";

import { SourceMap, type RawSourceMap } from "./source-map.js";

/** How the JavaScript tslab runs relates to the TypeScript: one map per conversion step. */
export interface ConversionMaps {
  /** From the ES module emitted by the watch program to the cell's TypeScript file. */
  typescript: SourceMap;
  /** From the CommonJS output to that ES module. */
  commonjs: SourceMap;
}

interface TranspileOptions {
  compilerOptions?: Record<string, unknown>;
  [option: string]: unknown;
}

interface TranspileOutput {
  outputText: string;
  sourceMapText?: string;
}

/** The two functions of TypeScript's API that are replaced. */
interface TypeScriptApi {
  createWatchCompilerHost(rootFiles: string[], options: Record<string, unknown>, ...rest: unknown[]): unknown;
  transpileModule(input: string, options: TranspileOptions): TranspileOutput;
}

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;
const MAP_COMMENT = /\/\/# sourceMappingURL=\S*\s*$/;
/** Marks the replacement module, so instrumenting twice is harmless. */
const marker = Symbol.for("tessera.kernel.sourceMaps");

/** Maps of the outputs converted since the last `takeConversionMaps`, by output text. */
const recorded = new Map<string, ConversionMaps>();

/**
 * Make the TypeScript module at `typescriptPath` (as resolved from tslab) produce source maps
 * for tslab; must run before tslab's converter is first required. `require` is one whose
 * cache holds that module. `compilerOptions` are added to the options of tslab's watch
 * program too.
 */
export function instrumentTslabTypeScript(require: NodeJS.Require, typescriptPath: string, compilerOptions: Record<string, unknown> = {}): void {
  const ts = require(typescriptPath) as TypeScriptApi & { [marker]?: true };
  if (ts[marker]) return;
  const entry = require.cache[typescriptPath] as Module | undefined;
  if (!entry) throw new Error(`TypeScript at ${typescriptPath} is not in the require cache`);

  const transpileModule = (input: string, options: TranspileOptions): TranspileOutput => {
    const inline = INLINE_MAP.exec(input);
    if (!inline) return ts.transpileModule(input, options);
    const first = JSON.parse(Buffer.from(inline[1]!, "base64").toString("utf8")) as RawSourceMap;
    const out = ts.transpileModule(input.slice(0, inline.index + 1), {
      ...options,
      compilerOptions: { ...options.compilerOptions, sourceMap: true, inlineSourceMap: false },
    });
    const outputText = out.outputText.replace(MAP_COMMENT, "");
    if (out.sourceMapText) {
      const second = JSON.parse(out.sourceMapText) as RawSourceMap;
      recorded.set(outputText, { typescript: new SourceMap(first), commonjs: new SourceMap(second) });
    }
    return { ...out, outputText, sourceMapText: undefined };
  };

  // Everything else is read from the original through the prototype. `__esModule` makes
  // tslab's `__importStar` use this object as it is instead of copying its properties.
  entry.exports = Object.create(ts, {
    __esModule: { value: true },
    [marker]: { value: true },
    createWatchCompilerHost: {
      value: (rootFiles: string[], options: Record<string, unknown>, ...rest: unknown[]) =>
        ts.createWatchCompilerHost(rootFiles, { ...options, ...compilerOptions, inlineSourceMap: true }, ...rest),
    },
    transpileModule: { value: transpileModule },
  }) as unknown;
}

/**
 * The maps recorded for `output` (tslab's converted JavaScript), if any; forgets every map
 * recorded so far, including those of modules the cell imported.
 */
export function takeConversionMaps(output: string | undefined): ConversionMaps | undefined {
  const maps = output === undefined ? undefined : recorded.get(output);
  recorded.clear();
  return maps;
}
