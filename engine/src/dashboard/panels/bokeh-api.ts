/**
 * The slice of BokehJS's global `Bokeh` object (bokeh.min.js + bokeh-api.min.js +
 * bokeh-tables.min.js) that the panels use, typed structurally. Panels receive it as an
 * argument, so the same panel file runs in the standalone page (where `Bokeh` is a global)
 * and in the JupyterLab extension, and compiles without DOM or BokehJS typings.
 */
export type Columns = Record<string, unknown[]>;
export type Attrs = Record<string, unknown>;

export interface ColumnDataSource {
  data: Columns;
  stream(data: Columns, rollover?: number): void;
}

export interface FactorRange {
  factors: string[];
}

export interface Figure {
  y_range: FactorRange;
  /** All x axes of the figure at once (BokehJS proxies the assignment). */
  xaxis: { formatter: unknown };
  hbar(attrs: Attrs): unknown;
  add_tools(...tools: unknown[]): void;
}

export interface BokehApi {
  ColumnDataSource: new (attrs: { data: Columns; name?: string }) => ColumnDataSource;
  FactorRange: new (attrs: { factors: string[] }) => FactorRange;
  HoverTool: new (attrs: Attrs) => unknown;
  DatetimeTickFormatter: new (attrs: Attrs) => unknown;
  Plotting: { figure(attrs: Attrs): Figure };
  Tables: {
    DataTable: new (attrs: Attrs) => unknown;
    TableColumn: new (attrs: Attrs) => unknown;
    NumberFormatter: new (attrs: Attrs) => unknown;
  };
}
