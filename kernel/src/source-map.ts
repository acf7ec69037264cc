/**
 * Reading a source map (version 3, as TypeScript emits it): for a position in generated
 * code, the position in the source it came from. The `mappings` are decoded once, when the
 * map is made; lookups then search one line's segments.
 */

/** The fields of a source map the kernel reads. */
export interface RawSourceMap {
  version: number;
  sources: string[];
  mappings: string;
}

/** A position in a text; line and column count from 0. */
export interface Position {
  line: number;
  column: number;
}

export interface SourcePosition extends Position {
  /** The source's name as the map lists it. */
  source: string;
}

/** One decoded segment: a generated column and the source position it maps to. */
interface Segment {
  generatedColumn: number;
  source: number;
  line: number;
  column: number;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

/** The numbers of one segment's Base64 VLQ fields. */
function decodeFields(text: string): number[] {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`Invalid character ${JSON.stringify(char)} in source map mappings`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    // The lowest bit is the sign.
    fields.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  return fields;
}

/** Segments by generated line, each line's sorted by generated column. */
function decodeMappings(mappings: string): Segment[][] {
  // Source index, line and column carry over from segment to segment, across lines too.
  let source = 0;
  let line = 0;
  let column = 0;
  return mappings.split(";").map((lineText) => {
    let generatedColumn = 0;
    const segments: Segment[] = [];
    for (const segmentText of lineText.split(",")) {
      if (segmentText === "") continue;
      const fields = decodeFields(segmentText);
      generatedColumn += fields[0] ?? 0;
      if (fields.length < 4) continue; // generated code that maps to no source
      source += fields[1]!;
      line += fields[2]!;
      column += fields[3]!;
      segments.push({ generatedColumn, source, line, column });
    }
    return segments.sort((a, b) => a.generatedColumn - b.generatedColumn);
  });
}

export class SourceMap {
  private readonly lines: Segment[][];

  constructor(private readonly raw: RawSourceMap) {
    if (raw.version !== 3) throw new Error(`Unsupported source map version ${raw.version}`);
    this.lines = decodeMappings(raw.mappings);
  }

  /**
   * Where the code at `generated` came from: the last segment of that line that starts at or
   * before the column (the first segment of the line for a column before all of them), or
   * undefined when nothing on that line maps to a source.
   */
  originalPosition(generated: Position): SourcePosition | undefined {
    const segments = this.lines[generated.line];
    if (!segments || segments.length === 0) return undefined;
    let found = segments[0]!;
    for (const segment of segments) {
      if (segment.generatedColumn > generated.column) break;
      found = segment;
    }
    return { source: this.raw.sources[found.source] ?? "", line: found.line, column: found.column };
  }
}
