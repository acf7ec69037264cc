/** Joining computed partitions into the one table `compute()` returns. */
import { type RecordBatch, Table } from "apache-arrow";
import { concatTables, numberDictionaries } from "../../kernels/dataframe-arrow.js";

/**
 * The partitions as one table, without copying: each partition's record batches become
 * batches of the result. Partitions whose column types differ (which only happens when files
 * of a glob disagree) are concatenated column by column instead, which reports the mismatch.
 */
export function concatPartitions(parts: readonly Table[], meta: Table): Table {
  const nonEmpty = parts.filter((t) => t.numRows > 0);
  if (nonEmpty.length === 0) return parts[0] ?? meta;
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const schema = nonEmpty[0]!.schema;
  const same = nonEmpty.every(
    (t) =>
      t.schema.fields.length === schema.fields.length &&
      t.schema.fields.every((f, i) => f.name === schema.fields[i]!.name && String(f.type) === String(schema.fields[i]!.type)),
  );
  if (!same) return concatTables(nonEmpty);
  // Dictionary columns of different partitions carry different dictionary ids.
  const numbered = nonEmpty.map(numberDictionaries);
  const batches: RecordBatch[] = numbered.flatMap((t) => t.batches);
  return new Table(numbered[0]!.schema, batches);
}
