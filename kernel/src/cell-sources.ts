/**
 * The cells this kernel has run, kept so that stack frames can be pointed at them.
 *
 * Each cell's JavaScript runs as a script named after the cell (`cell[3]`, by a `sourceURL`
 * comment), so V8's stack frames read `at f (cell[3]:7:15)` with a line and column of that
 * JavaScript. With the cell's source maps (typescript-maps.ts) that position becomes one in
 * the TypeScript the user wrote. A shipped function's frames, taken in a worker thread, name
 * the function instead; its source text is found in the JavaScript of the cell that defined
 * it, and from there the same maps apply.
 */
import type { Position } from "./source-map.js";
import type { ConversionMaps } from "./typescript-maps.js";

/** One cell as it ran. */
export interface CellRecord {
  /** The script's name in stack frames: `cell[<execution count>]`. */
  readonly label: string;
  readonly executionCount: number;
  /** The TypeScript the user wrote. */
  readonly source: string;
  /** The JavaScript tslab ran for it (the body of tslab's wrapper function). */
  readonly output: string;
  /** Columns tslab's wrapper puts before the first line of `output` in the script. */
  readonly firstLineOffset: number;
  readonly maps: ConversionMaps | undefined;
}

/** A place in a cell's TypeScript; line and column count from 1, as editors show them. */
export interface CellLocation {
  readonly cell: CellRecord;
  readonly line: number;
  readonly column: number;
}

/**
 * tslab compiles a cell as `export {};\n` followed by the cell, so the cell's first line is
 * line 1 (from 0) of the file the maps name.
 */
const CELL_FIRST_LINE = 1;

/** Line and column (from 0) of `offset` in `text`. */
function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length - 1, column: offset - lineStart };
}

export class CellSources {
  private readonly cells = new Map<string, CellRecord>();

  /**
   * The label for a script run with this execution count. Requests that do not count
   * (silent, or store_history false) share the count of the cell before them, so they get
   * a suffix: `cell[3]`, then `cell[3.1]`, `cell[3.2]`.
   */
  labelFor(executionCount: number): string {
    let label = `cell[${executionCount}]`;
    for (let n = 1; this.cells.has(label); n++) label = `cell[${executionCount}.${n}]`;
    return label;
  }

  add(cell: CellRecord): void {
    this.cells.set(cell.label, cell);
  }

  get(label: string): CellRecord | undefined {
    return this.cells.get(label);
  }

  /** A stack frame's position (from 1) in the script of cell `label`, in the cell's TypeScript. */
  locateInScript(label: string, line: number, column: number): CellLocation | undefined {
    const cell = this.cells.get(label);
    if (!cell) return undefined;
    const outputColumn = line === 1 ? column - 1 - cell.firstLineOffset : column - 1;
    return this.locateInOutput(cell, { line: line - 1, column: Math.max(0, outputColumn) });
  }

  /**
   * A position (from 1) inside the source text of a function (what `toString()` gives), in the
   * TypeScript of the cell that defined it: the latest cell whose JavaScript contains that text.
   */
  locateInFunction(functionSource: string, line: number, column: number): CellLocation | undefined {
    for (const cell of [...this.cells.values()].reverse()) {
      const offset = cell.output.indexOf(functionSource);
      if (offset < 0) continue;
      const start = positionAt(cell.output, offset);
      const position = line === 1 ? { line: start.line, column: start.column + column - 1 } : { line: start.line + line - 1, column: column - 1 };
      return this.locateInOutput(cell, position);
    }
    return undefined;
  }

  private locateInOutput(cell: CellRecord, position: Position): CellLocation | undefined {
    if (!cell.maps) return undefined;
    const module = cell.maps.commonjs.originalPosition(position);
    const typescript = module && cell.maps.typescript.originalPosition(module);
    if (!typescript) return undefined;
    const line = typescript.line - CELL_FIRST_LINE;
    if (line < 0 || line >= cell.source.split("\n").length) return undefined;
    return { cell, line: line + 1, column: typescript.column + 1 };
  }
}
