#!/usr/bin/env node
/**
 * A generated NYC-taxi-like trip table as several Parquet files, the dataset of Dask's
 * tutorials (`df.groupby("passenger_count").tip_amount.mean()`), for tests, benchmarks and
 * notebooks. Nothing is downloaded.
 *
 *   node scripts/make-taxi-data.mjs [--n 1e6] [--files 6] [--out .cache/data]
 *
 * One file per month of 2015 (as the real data is published): `tpep_pickup_datetime`
 * (Timestamp, ms), `passenger_count` (Int32 1–6, mostly 1, null in ~1% of rows as in the real
 * data), `trip_distance` (miles), `fare_amount`, `tip_amount` (dollars; tips mostly on cards),
 * `payment_type` (Utf8: "Credit card", "Cash", "No charge", "Dispute").
 * Seeded: the same arguments give the same files; existing files with the same parameters are
 * kept.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeData, Field, Float64, Int32, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Utf8, tableToIPC } from "apache-arrow";
import { rng } from "./make-groupby-data.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PAYMENTS = ["Credit card", "Cash", "No charge", "Dispute"];
const enc = new TextEncoder();
const PAYMENT_BYTES = PAYMENTS.map((p) => enc.encode(p));

function tripsTable(m, month, r) {
  const pickup = new BigInt64Array(m);
  const passengers = new Int32Array(m);
  const valid = new Uint8Array((m + 7) >> 3);
  let nulls = 0;
  const distance = new Float64Array(m);
  const fare = new Float64Array(m);
  const tip = new Float64Array(m);
  const payment = new Int8Array(m);
  const start = Date.UTC(2015, month, 1);
  const span = Date.UTC(2015, month + 1, 1) - start;
  const cents = (x) => Math.round(x * 100) / 100;
  for (let i = 0; i < m; i++) {
    pickup[i] = BigInt(start + Math.floor(r() * span));
    const u = r();
    const count = u < 0.7 ? 1 : u < 0.85 ? 2 : u < 0.9 ? 3 : u < 0.93 ? 4 : u < 0.97 ? 5 : 6;
    if (r() < 0.01) nulls++;
    else {
      passengers[i] = count;
      valid[i >> 3] |= 1 << (i & 7);
    }
    const d = -Math.log(1 - r()) * 2.8;
    distance[i] = cents(d);
    fare[i] = cents(2.5 + 2.5 * d + r() * 3);
    const p = r();
    payment[i] = p < 0.62 ? 0 : p < 0.99 ? 1 : p < 0.995 ? 2 : 3;
    // Card tips around 18% (larger groups tip a little more), cash tips are not recorded.
    tip[i] = payment[i] === 0 ? cents(fare[i] * (0.12 + 0.02 * count + r() * 0.1)) : 0;
  }
  const offsets = new Int32Array(m + 1);
  let total = 0;
  for (let i = 0; i < m; i++) {
    total += PAYMENT_BYTES[payment[i]].length;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < m; i++) bytes.set(PAYMENT_BYTES[payment[i]], offsets[i]);
  const columns = [
    ["tpep_pickup_datetime", makeData({ type: new TimestampMillisecond(), length: m, data: pickup })],
    ["passenger_count", makeData({ type: new Int32(), length: m, nullCount: nulls, nullBitmap: nulls ? valid : undefined, data: passengers })],
    ["trip_distance", makeData({ type: new Float64(), length: m, data: distance })],
    ["fare_amount", makeData({ type: new Float64(), length: m, data: fare })],
    ["tip_amount", makeData({ type: new Float64(), length: m, data: tip })],
    ["payment_type", makeData({ type: new Utf8(), length: m, valueOffsets: offsets, data: bytes })],
  ];
  const fields = columns.map(([name, d]) => new Field(name, d.type, true));
  const schema = new Schema(fields);
  const struct = makeData({ type: new Struct(fields), length: m, nullCount: 0, children: columns.map(([, d]) => d) });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

/** The taxi files; returns their directory. */
export async function makeTaxi({ n = 1e6, files = 6, out = join(root, ".cache/data"), seed = 2015 } = {}) {
  n = Math.round(n);
  files = Math.min(12, Math.max(1, files));
  const dir = join(out, `taxi_${n.toExponential().replace("+", "")}`);
  const stamp = JSON.stringify({ n, files, seed, version: 1 });
  if (existsSync(join(dir, "_params.json")) && readFileSync(join(dir, "_params.json"), "utf8") === stamp) return dir;
  const pw = await import("parquet-wasm");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files; f++) {
    const m = Math.floor(((f + 1) * n) / files) - Math.floor((f * n) / files);
    const t = tripsTable(m, f, rng(seed + f));
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).build();
    writeFileSync(join(dir, `yellow_tripdata_2015-${String(f + 1).padStart(2, "0")}.parquet`), pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(t, "stream")), props));
  }
  writeFileSync(join(dir, "_params.json"), stamp);
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const get = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const t0 = performance.now();
  const dir = await makeTaxi({
    ...(get("n") ? { n: Number(get("n")) } : {}),
    ...(get("files") ? { files: Number(get("files")) } : {}),
    ...(get("out") ? { out: resolve(get("out")) } : {}),
  });
  console.log(`taxi: ${dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
