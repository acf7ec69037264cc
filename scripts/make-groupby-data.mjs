#!/usr/bin/env node
/**
 * db-benchmark's data, generated as Parquet files (several per table) for tests and benchmarks.
 *
 *   node scripts/make-groupby-data.mjs [--n 1e6] [--k 100] [--files 4] [--out .cache/data] [--v2max 5] [--join]
 *
 * Groupby table `G1_<n>_<k>` (db-benchmark `groupby-datagen.R`): id1, id2 from "id001".."idK";
 * id3 from "id0000000001".."id<N/K>"; id4, id5 integers 1..K; id6 integers 1..N/K; v1 an integer
 * 1–5; v2 an integer 1–5 (as the issue states; the real generator draws v2 from 1–15, so pass
 * `--v2max 15` to match it); v3 a float in [0, 100) rounded to 6 decimals.
 *
 * With `--join`, the join tables (db-benchmark `join-datagen.R`): keys are split 90/10 into
 * shared and side-only keys; `x` (N rows: id1, id2, id3 integers and id4, id5, id6 their
 * "id<n>" strings, v1), `small` (id1, id4, v2), `medium` (id1, id2, id4, id5, v2) and `big`
 * (id1..id6, v2). db-benchmark's small table has N/1e6 rows (10 at its smallest N, 1e7); here
 * it has max(10, N/1e6) so small N still gives a table of more than one row.
 *
 * Files land in `<out>/<table>/part-<i>.parquet` (`.cache/` is not tracked). A table that
 * already exists with the same parameters is left alone, so tests can call this on demand.
 * Random numbers come from a seeded generator: the same arguments give the same files.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeData, Field, Schema, Struct, RecordBatch, Table, Int32, Int64, Float64, Utf8, tableToIPC } from "apache-arrow";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** xoshiro128** (32-bit state words): fast, seeded, good enough for benchmark data. */
export function rng(seed) {
  let a = seed >>> 0 || 1;
  let b = 0x9e3779b9;
  let c = 0x85ebca6b;
  let d = 0xc2b2ae35;
  return () => {
    // uniform in [0, 1)
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return (r >>> 0) / 4294967296;
  };
}
const rotl = (x, k) => (x << k) | (x >>> (32 - k));

const enc = new TextEncoder();

/** A Utf8 column from a function of the row. */
function strings(n, f) {
  const offsets = new Int32Array(n + 1);
  const parts = new Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    parts[i] = enc.encode(f(i));
    total += parts[i].length;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < n; i++) bytes.set(parts[i], offsets[i]);
  return makeData({ type: new Utf8(), length: n, valueOffsets: offsets, data: bytes });
}
const ints = (values) => makeData({ type: new Int32(), length: values.length, data: values });
const longs = (values) => makeData({ type: new Int64(), length: values.length, data: BigInt64Array.from(values, (x) => BigInt(x)) });
const floats = (values) => makeData({ type: new Float64(), length: values.length, data: values });

function table(columns) {
  const fields = columns.map(([name, d]) => new Field(name, d.type, false));
  const schema = new Schema(fields);
  const n = columns[0][1].length;
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: columns.map(([, d]) => d) });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

async function writeParts(dir, files, n, makePart) {
  const pw = await import("parquet-wasm");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < files; f++) {
    const start = Math.floor((f * n) / files);
    const stop = Math.floor(((f + 1) * n) / files);
    const t = makePart(start, stop);
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setMaxRowGroupSize(stop - start > 100_000 ? Math.ceil((stop - start) / 2) : Math.max(1, stop - start)).build();
    const bytes = pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(t, "stream")), props);
    writeFileSync(join(dir, `part-${f}.parquet`), bytes);
  }
}

const pad = (x, w) => String(x).padStart(w, "0");

/** The groupby table; returns its directory. */
export async function makeGroupby({ n = 1e6, k = 100, files = 4, out = join(root, ".cache/data"), v2max = 5, seed = 108 } = {}) {
  n = Math.round(n);
  const name = `G1_${n.toExponential().replace("+", "")}_${k}${v2max === 5 ? "" : `_v2max${v2max}`}`;
  const dir = join(out, name);
  const stamp = JSON.stringify({ n, k, files, v2max, seed, version: 1 });
  if (existsSync(join(dir, "_params.json")) && readFileSync(join(dir, "_params.json"), "utf8") === stamp) return dir;
  const small = Math.max(1, Math.round(n / k));
  await writeParts(dir, files, n, (start, stop) => {
    const m = stop - start;
    const r = rng(seed + start);
    const pick = (hi) => 1 + Math.floor(r() * hi);
    const id1 = new Int32Array(m), id2 = new Int32Array(m), id3 = new Int32Array(m);
    const id4 = new Int32Array(m), id5 = new Int32Array(m), id6 = new Int32Array(m);
    const v1 = new Int32Array(m), v2 = new Int32Array(m), v3 = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      id1[i] = pick(k);
      id2[i] = pick(k);
      id3[i] = pick(small);
      id4[i] = pick(k);
      id5[i] = pick(k);
      id6[i] = pick(small);
      v1[i] = pick(5);
      v2[i] = pick(v2max);
      v3[i] = Math.round(r() * 100 * 1e6) / 1e6;
    }
    return table([
      ["id1", strings(m, (i) => `id${pad(id1[i], 3)}`)],
      ["id2", strings(m, (i) => `id${pad(id2[i], 3)}`)],
      ["id3", strings(m, (i) => `id${pad(id3[i], 10)}`)],
      ["id4", ints(id4)],
      ["id5", ints(id5)],
      ["id6", ints(id6)],
      ["v1", ints(v1)],
      ["v2", ints(v2)],
      ["v3", floats(v3)],
    ]);
  });
  writeFileSync(join(dir, "_params.json"), stamp);
  return dir;
}

/** Keys 1..1.1n shuffled, split as db-benchmark does: 0.9n shared, 0.1n left-only, 0.1n right-only. */
function splitKeys(n, r) {
  const total = Math.max(3, Math.round(n * 1.1));
  const key = Int32Array.from({ length: total }, (_, i) => i + 1);
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [key[i], key[j]] = [key[j], key[i]];
  }
  const a = Math.max(1, Math.round(n * 0.9));
  const b = Math.max(a + 1, Math.round(n));
  return { x: key.subarray(0, a), l: key.subarray(a, b), r: key.subarray(b) };
}

/** The join tables x, small, medium, big; returns their directories by name. */
export async function makeJoin({ n = 1e6, files = 4, out = join(root, ".cache/data"), seed = 108 } = {}) {
  n = Math.round(n);
  const base = join(out, `J1_${n.toExponential().replace("+", "")}`);
  const stamp = JSON.stringify({ n, files, seed, version: 2 });
  const dirs = Object.fromEntries(["x", "small", "medium", "big"].map((t) => [t, join(base, t)]));
  if (existsSync(join(base, "_params.json")) && readFileSync(join(base, "_params.json"), "utf8") === stamp) return dirs;
  const r = rng(seed);
  const nSmall = Math.max(10, Math.round(n / 1e6));
  const nMedium = Math.max(10, Math.round(n / 1e3));
  const k1 = splitKeys(nSmall, r);
  const k2 = splitKeys(nMedium, r);
  const k3 = splitKeys(n, r);
  const both = (a, b) => Int32Array.from([...a, ...b]);
  const sampler = (pool, rr) => () => pool[Math.floor(rr() * pool.length)];
  /** A permutation of `pool` (each key once), as db-benchmark's `sample(keys)` without replacement. */
  const permuted = (pool) => {
    const p = Int32Array.from(pool);
    for (let i = p.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  };
  const id = (x) => `id${x}`;
  const v = (rr, m) => Float64Array.from({ length: m }, () => Math.round(rr() * 100 * 1e6) / 1e6);

  const xl = { k1: both(k1.x, k1.l), k2: both(k2.x, k2.l), k3: both(k3.x, k3.l) };
  await writeParts(dirs.x, files, n, (start, stop) => {
    const m = stop - start;
    const rr = rng(seed + 1 + start);
    const [s1, s2, s3] = [sampler(xl.k1, rr), sampler(xl.k2, rr), sampler(xl.k3, rr)];
    const id1 = Int32Array.from({ length: m }, s1), id2 = Int32Array.from({ length: m }, s2), id3 = Int32Array.from({ length: m }, s3);
    return table([
      ["id1", longs(id1)], ["id2", longs(id2)], ["id3", longs(id3)],
      ["id4", strings(m, (i) => id(id1[i]))], ["id5", strings(m, (i) => id(id2[i]))], ["id6", strings(m, (i) => id(id3[i]))],
      ["v1", floats(v(rr, m))],
    ]);
  });
  const smallKeys = permuted(both(k1.x, k1.r)).subarray(0, nSmall);
  await writeParts(dirs.small, 1, nSmall, () => {
    const rr = rng(seed + 2);
    return table([["id1", longs(smallKeys)], ["id4", strings(nSmall, (i) => id(smallKeys[i]))], ["v2", floats(v(rr, nSmall))]]);
  });
  const mediumKeys = permuted(both(k2.x, k2.r)).subarray(0, nMedium);
  await writeParts(dirs.medium, 1, nMedium, () => {
    const rr = rng(seed + 3);
    const s1 = sampler(both(k1.x, k1.r), rr);
    const id1 = Int32Array.from({ length: nMedium }, s1);
    return table([
      ["id1", longs(id1)], ["id2", longs(mediumKeys)],
      ["id4", strings(nMedium, (i) => id(id1[i]))], ["id5", strings(nMedium, (i) => id(mediumKeys[i]))],
      ["v2", floats(v(rr, nMedium))],
    ]);
  });
  const bigKeys = permuted(both(k3.x, k3.r)).subarray(0, n);
  await writeParts(dirs.big, files, n, (start, stop) => {
    const m = stop - start;
    const rr = rng(seed + 4 + start);
    const s1 = sampler(both(k1.x, k1.r), rr);
    const s2 = sampler(both(k2.x, k2.r), rr);
    const id1 = Int32Array.from({ length: m }, s1), id2 = Int32Array.from({ length: m }, s2), id3 = bigKeys.subarray(start, stop);
    return table([
      ["id1", longs(id1)], ["id2", longs(id2)], ["id3", longs(id3)],
      ["id4", strings(m, (i) => id(id1[i]))], ["id5", strings(m, (i) => id(id2[i]))], ["id6", strings(m, (i) => id(id3[i]))],
      ["v2", floats(v(rr, m))],
    ]);
  });
  writeFileSync(join(base, "_params.json"), stamp);
  return dirs;
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--join") opts.join = true;
    else if (a.startsWith("--")) opts[a.slice(2)] = argv[++i];
  }
  return opts;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const a = parseArgs(process.argv.slice(2));
  const common = {
    ...(a.n ? { n: Number(a.n) } : {}),
    ...(a.files ? { files: Number(a.files) } : {}),
    ...(a.out ? { out: resolve(a.out) } : {}),
  };
  const t0 = performance.now();
  const dir = await makeGroupby({ ...common, ...(a.k ? { k: Number(a.k) } : {}), ...(a.v2max ? { v2max: Number(a.v2max) } : {}) });
  console.log(`groupby: ${dir}`);
  if (a.join) {
    const dirs = await makeJoin(common);
    for (const [t, d] of Object.entries(dirs)) console.log(`join ${t}: ${d}`);
  }
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
