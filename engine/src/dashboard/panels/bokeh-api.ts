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

/** A glyph renderer, as returned by `figure.hbar(…)` and friends. */
export interface GlyphRenderer {
  visible: boolean;
}

export interface Figure {
  y_range: FactorRange;
  /** All x axes of the figure at once (BokehJS proxies the assignment). */
  xaxis: { formatter: unknown; visible: boolean };
  yaxis: { formatter: unknown; visible: boolean };
  /** Every axis, every grid at once. */
  axis: { visible: boolean };
  grid: { visible: boolean };
  /** The figure's legend (created on first use). */
  legend: Attrs;
  title: { text: string } | null;
  hbar(attrs: Attrs): GlyphRenderer;
  line(attrs: Attrs): GlyphRenderer;
  multi_line(attrs: Attrs): GlyphRenderer;
  scatter(attrs: Attrs): GlyphRenderer;
  segment(attrs: Attrs): GlyphRenderer;
  text(attrs: Attrs): GlyphRenderer;
  add_tools(...tools: unknown[]): void;
  /** Place an annotation (a legend, …) inside the plot ("center") or beside it ("above", …). */
  add_layout(annotation: unknown, side?: "center" | "above" | "below" | "left" | "right"): void;
}

export interface BokehApi {
  ColumnDataSource: new (attrs: { data: Columns; name?: string }) => ColumnDataSource;
  FactorRange: new (attrs: { factors: string[] }) => FactorRange;
  HoverTool: new (attrs: Attrs) => unknown;
  DatetimeTickFormatter: new (attrs: Attrs) => unknown;
  NumeralTickFormatter: new (attrs: Attrs) => unknown;
  Legend: new (attrs: Attrs) => { visible: boolean };
  LegendItem: new (attrs: Attrs) => unknown;
  /** Stacks models vertically (a layout, itself a model a host can show). */
  Column: new (attrs: Attrs) => unknown;
  Plotting: { figure(attrs: Attrs): Figure };
  Tables: {
    DataTable: new (attrs: Attrs) => unknown;
    TableColumn: new (attrs: Attrs) => unknown;
    NumberFormatter: new (attrs: Attrs) => unknown;
  };
}
