/**
 * tslab's converter as the kernel's executor sees it: tslab's own, with three changes to
 * what a cell's conversion returns.
 *
 * - The JavaScript is named after the cell (`//# sourceURL=cell[3]`), so stack frames read
 *   `cell[3]:line:column`, and the cell is recorded with its source maps (cell-sources.ts).
 * - TypeScript's CommonJS output starts by setting every name the cell exports to
 *   `undefined` (`exports.a = exports.b = void 0;`). Those lines are blanked (not removed:
 *   line numbers stay), so a name keeps its earlier value until the cell assigns it, as in
 *   Python; a cell that fails then leaves the values it did not reach alone.
 * - The kernel can set the declarations later cells are checked against (tslab keeps them
 *   privately): the next conversion then returns them with nothing to run, and tslab's
 *   executor adopts them (partial-declarations.ts).
 */
import { CellSources } from "./cell-sources.js";
import type { Converter, ConverterSet, ConvertResult } from "./tslab.js";
import { takeConversionMaps } from "./typescript-maps.js";

/** What tslab's executor puts before a cell's JavaScript (executor.js, `execute`). */
const TSLAB_WRAPPER_START = "(function(exports, require) { ";
const TSLAB_ASYNC_WRAPPER_START = "(async function(exports, require) { ";

/** The lines of `exports.x = exports.y = void 0;` TypeScript puts at the top of CommonJS output. */
const EXPORTS_RESET = /^exports\.[\w$]+(?: = exports\.[\w$]+)* = void 0;$/;
const ES_MODULE_MARKER = 'Object.defineProperty(exports, "__esModule", { value: true });';

function blankExportsReset(output: string): string {
  const lines = output.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (EXPORTS_RESET.test(line)) lines[i] = "";
    else if (line !== ES_MODULE_MARKER) break;
  }
  return lines.join("\n");
}

/** One conversion of a cell, as the executor asked for it. */
export interface Conversion {
  /** The declarations the cell was checked against (tslab's prevDecl). */
  readonly previous: string;
  readonly source: string;
  readonly result: ConvertResult;
}

export class CellConverter {
  readonly cells = new CellSources();
  /** The conversion of the cell that runs now (null until the executor asks for one). */
  private conversion: Conversion | null = null;
  private executionCount = 0;
  private pendingDeclarations: string | null = null;

  /** Called as each cell starts, before the executor converts it. */
  startCell(executionCount: number): void {
    this.executionCount = executionCount;
    this.conversion = null;
  }

  /** The running cell's conversion, if it got that far. */
  lastConversion(): Conversion | null {
    return this.conversion;
  }

  /**
   * Make the executor adopt `declarations`: run `execute("")` right after this, which
   * converts with the declarations as its whole result.
   */
  replaceDeclarations(declarations: string): void {
    this.pendingDeclarations = declarations;
  }

  /** `converters` with the Node.js converter wrapped (browser cells do not run here). */
  wrap(converters: ConverterSet): ConverterSet {
    let node: Converter | undefined;
    const wrapConverter = (inner: Converter): Converter => ({
      convert: (previous, source) => this.convert(inner, previous, source),
      inspect: (previous, source, position) => inner.inspect(previous, source, position),
      complete: (previous, source, position) => inner.complete(previous, source, position),
      addModule: (name, content, meta) => inner.addModule(name, content, meta),
      close: () => inner.close(),
    });
    return {
      get node() {
        return (node ??= wrapConverter(converters.node));
      },
      get browser() {
        return converters.browser;
      },
      close: () => converters.close(),
    };
  }

  private convert(inner: Converter, previous: string, source: string): ConvertResult {
    const declarations = this.pendingDeclarations;
    if (declarations !== null) {
      this.pendingDeclarations = null;
      return { diagnostics: [], declOutput: declarations };
    }
    const result = inner.convert(previous, source);
    const maps = takeConversionMaps(result.output);
    this.conversion = { previous, source, result };
    if (!result.output || result.diagnostics.length > 0) return result;

    const label = this.cells.labelFor(this.executionCount);
    const output = blankExportsReset(result.output);
    const wrapperStart = result.hasToplevelAwait ? TSLAB_ASYNC_WRAPPER_START : TSLAB_WRAPPER_START;
    this.cells.add({ label, executionCount: this.executionCount, source, output, firstLineOffset: wrapperStart.length, maps });
    return { ...result, output: `${output}\n//# sourceURL=${label}` };
  }
}
