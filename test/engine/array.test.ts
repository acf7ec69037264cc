/**
 * Arrays: metadata without computing, chunk specs, fusion of element-wise chains, tree
 * reductions, the NDArray codec, .npy files, error messages, mapBlocks and the HTML repr.
 * Values are checked against NumPy in array-numpy.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeSharedScheduler, compute, da, NDArray } from "@tessera/engine";
import { collectionsToGraph, decodeValue, encodeValue, npyHeaderBytes, parseNpyHeader, sizeof } from "@tessera/engine/internal";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tessera-arr-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closeSharedScheduler();
});

describe("metadata", () => {
  test("shape, chunks, dtype, nbytes are known without computing", () => {
    const x = da.zeros([10, 7], { chunks: [4, 3], dtype: "float32" });
    expect(x.shape).toEqual([10, 7]);
    expect(x.chunks).toEqual([[4, 4, 2], [3, 3, 1]]);
    expect(x.numblocks).toEqual([3, 3]);
    expect(x.chunksize).toEqual([4, 3]);
    expect(x.ndim).toBe(2);
    expect(x.nbytes).toBe(280);
    expect(x.dtype).toBe("float32");
    expect(x.add(1).dtype).toBe("float32");
    expect(x.add(1.5).dtype).toBe("float32");
    expect(x.add(da.ones([7], { dtype: "int32" })).dtype).toBe("float64");
    expect(da.ones(3, { dtype: "int32" }).div(2).dtype).toBe("float64");
    expect(da.ones(3, { dtype: "uint8" }).add(da.ones(3, { dtype: "int32" })).dtype).toBe("int32");
    expect(da.ones(3, { dtype: "bool" }).add(1).dtype).toBe("int64");
    expect(x.sum().dtype).toBe("float32");
    expect(da.ones(3, { dtype: "int32" }).sum().dtype).toBe("int64");
    expect(da.ones(3, { dtype: "int32" }).mean().dtype).toBe("float64");
    expect(x.sum({ axis: 1, keepdims: true }).chunks).toEqual([[4, 4, 2], [1]]);
    expect(x.T.chunks).toEqual([[3, 3, 1], [4, 4, 2]]);
    expect(x.slice([1, 9, 2], 3).chunks).toEqual([[2, 2]]);
  });

  test("chunk specs: explicit lengths, -1, auto, empty dimensions", () => {
    expect(da.zeros([5, 6], { chunks: [[2, 3], -1] }).chunks).toEqual([[2, 3], [6]]);
    expect(da.zeros([0, 4], { chunks: 2 }).chunks).toEqual([[0], [2, 2]]);
    expect(da.zeros([100, 100]).chunks).toEqual([[100], [100]]);
    // 128 MiB of float64 is 2^24 elements: a 10 000² array gets chunks of 4096².
    const big = da.zeros([10_000, 10_000], { chunks: "auto" });
    expect(big.chunksize).toEqual([4096, 4096]);
    expect(big.chunks[0]).toEqual([4096, 4096, 1808]);
  });

  test("repr: toString, toHTML with the chunk diagram", () => {
    const x = da.ones([1000, 2000], { chunks: [100, 500] });
    expect(x.toString()).toBe("tessera.array<full, shape=(1000, 2000), dtype=float64, chunksize=(100, 500)>");
    const html = x.toHTML();
    expect(html).toContain("15.26 MiB");
    expect(html).toContain("(1000, 2000)");
    expect(html).toContain("(100, 500)");
    expect(html).toContain("<svg");
    // 11 horizontal and 5 vertical chunk boundaries.
    expect(x.toSVG().match(/<line/g)).toHaveLength(11 + 5);
    expect(da.ones([4, 5, 6], { chunks: 2 }).toSVG()).toContain("<polygon");
  });
});

describe("graphs", () => {
  test("an element-wise chain and the reduction's first step fuse into one task per chunk", () => {
    const x = da.random.random([100, 100], { chunks: 25, seed: 0 });
    const y = x.mul(2).add(1).sqrt().neg();
    const { graph } = collectionsToGraph([y]);
    expect(graph.size).toBe(16);
    const s = y.sum({ splitEvery: 4 });
    const g2 = collectionsToGraph([s]).graph;
    // 16 fused chunk tasks, then 4 combines of 4, then the final task.
    expect(g2.size).toBe(16 + 4 + 1);
    // A chunk read twice (x here) is one operand of the fused loop: made once, inside its task.
    const twice = collectionsToGraph([x.mul(2).sub(x)]).graph;
    expect(twice.size).toBe(16);
    for (const task of twice.values()) expect(JSON.stringify(task).match(/"array\.random"/g)).toHaveLength(1);
  });

  test("broadcasting a lower-dimensional array reads its chunks at the matching positions", async () => {
    const x = da.arange(12, undefined, 1, { chunks: 5 }).reshape([3, 4]).rechunk([1, 2]);
    const row = da.fromArray(new Float64Array([10, 20, 30, 40]), { chunks: 3 });
    const out = await x.add(row).compute();
    expect(out.toArray()).toEqual([[10, 21, 32, 43], [14, 25, 36, 47], [18, 29, 40, 51]]);
  });

  test("random arrays are deterministic per seed and chunk, whatever the scheduler", async () => {
    const a = da.random.normal(0, 1, [50, 40], { seed: 42, chunks: 16 });
    const [t, s] = await Promise.all([a.compute(), a.compute({ scheduler: "sync" })]);
    expect(Array.from(t.data as Float64Array)).toEqual(Array.from(s.data as Float64Array));
    const b = await da.random.normal(0, 1, [50, 40], { seed: 43, chunks: 16 }).compute();
    expect(b.get(0, 0)).not.toBe(t.get(0, 0));
    const ints = await da.random.integers(3, 9, [1000], { seed: 1, chunks: 100 }).compute();
    const values = Array.from(ints.data as BigInt64Array, Number);
    expect(Math.min(...values)).toBe(3);
    expect(Math.max(...values)).toBe(8);
    const m = await a.mean().compute();
    expect(Math.abs(m.item() as number)).toBeLessThan(0.1);
  });
});

describe("NDArray", () => {
  test("get, toArray, item and the codec keep the type across threads", () => {
    const nd = new NDArray(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(nd.get(1, 2)).toBe(6);
    expect(nd.get(-1, 0)).toBe(4);
    expect(() => nd.get(2, 0)).toThrow("index 2 is out of bounds for axis 0 of size 2");
    expect(nd.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const wire = encodeValue(nd) as { wire: { data: Int32Array } };
    expect(wire.wire.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const back = decodeValue(structuredClone(wire)) as NDArray;
    expect(back).toBeInstanceOf(NDArray);
    expect(back.dtype).toBe("int32");
    expect(back.shape).toEqual([2, 3]);
    expect(sizeof(nd)).toBe(24);
    expect(new NDArray(new Uint8Array([0, 1]), [2], "bool").toArray()).toEqual([false, true]);
    expect(() => new NDArray(new Float64Array(5), [2, 3])).toThrow("5 elements do not fill shape (2, 3)");
  });
});

describe(".npy files", () => {
  test("headers: version 1.0 padded to 64 bytes, version 2.0 when long, little-endian only", () => {
    const h = npyHeaderBytes("float64", [3, 4]);
    expect(h.length % 64).toBe(0);
    expect(parseNpyHeader(h, "x.npy")).toMatchObject({ dtype: "float64", shape: [3, 4], fortranOrder: false, dataOffset: h.length });
    const long = npyHeaderBytes("int32", Array.from({ length: 30000 }, () => 1));
    expect(long[6]).toBe(2);
    expect(parseNpyHeader(long, "x.npy").shape).toHaveLength(30000);
    const dict = "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }";
    const be = Uint8Array.from(`\x93NUMPY\x01\x00${String.fromCharCode(dict.length)}\x00${dict}`, (c) => c.charCodeAt(0));
    expect(() => parseNpyHeader(be, "be.npy")).toThrow("big-endian data is not supported");
    expect(() => parseNpyHeader(new Uint8Array(20), "junk.npy")).toThrow("junk.npy is not a .npy file");
  });

  test("an array round-trips through a file, read back in chunks of rows", async () => {
    const x = da.arange(60, undefined, 1, { chunks: 7, dtype: "int32" }).reshape([5, 3, 4]);
    const path = join(dir, "x.npy");
    await x.toNpy(path);
    const y = da.fromNpy(path, { chunks: [2, 2, 3] });
    expect(y.shape).toEqual([5, 3, 4]);
    expect(y.dtype).toBe("int32");
    expect(Array.from((await y.compute()).data as Int32Array)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect((await y.slice(4, 2).compute()).toArray()).toEqual([56, 57, 58, 59]);
  });

  test("a Fortran-ordered file is read in row-major order", async () => {
    const header = new TextEncoder().encode("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }".padEnd(117, " ") + "\n");
    const bytes = new Uint8Array(10 + header.length + 48);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
    bytes.set(header, 10);
    // Column-major [[1, 2, 3], [4, 5, 6]] is 1 4 2 5 3 6.
    new Float64Array(bytes.buffer, 10 + header.length, 6).set([1, 4, 2, 5, 3, 6]);
    const path = join(dir, "f.npy");
    writeFileSync(path, bytes);
    expect((await da.fromNpy(path).compute()).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });
});

describe("user functions", () => {
  test("mapBlocks runs a shipped function on every chunk, with captures", async () => {
    const x = da.arange(10, undefined, 1, { chunks: 4, dtype: "float64" });
    const y = x.mapBlocks((b) => (b.data as Float64Array).map((v) => v * factor + 0), { captures: { factor: 3 } });
    expect(Array.from((await y.compute()).data as Float64Array)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    const bad = x.mapBlocks((b) => (b.data as Float64Array).subarray(1));
    await expect(bad.compute()).rejects.toThrow("returned 3 elements for block (0), whose shape (4) holds 4");
    let outside = 2;
    expect(() => x.mapBlocks((b) => (b.data as Float64Array).map((v) => v * outside))).toThrow("outside");
    outside++;
  });
});

describe("mapOverlap, blockwise and tensordot", () => {
  test("mapOverlap hands each chunk its margins; boundary none extends edge chunks inward only; trim false keeps them", async () => {
    const x = da.arange(0, 10, 1, { chunks: 4, dtype: "float64" });
    // Each chunk reports its extended length at every position, so the margins show.
    const lengths = (b: NDArray): Float64Array => new Float64Array(b.size).fill(b.size);
    expect(Array.from((await x.mapOverlap(lengths, { depth: 2 }).compute()).data as Float64Array)).toEqual([6, 6, 6, 6, 8, 8, 8, 8, 4, 4]);
    const kept = x.mapOverlap(lengths, { depth: 1, boundary: "nearest", trim: false });
    expect(kept.chunks).toEqual([[6, 6, 4]]);
    expect((await kept.compute()).shape).toEqual([16]);
  });

  test("mapOverlap on a 0-d array and an empty dimension", async () => {
    const same = (b: NDArray): NDArray => b;
    expect((await da.full([], 7).mapOverlap(same, { depth: [] as number[] }).compute()).item()).toBe(7n);
    expect((await da.zeros([0, 3], { chunks: [1, 2] }).mapOverlap(same, { depth: 1, boundary: "reflect" }).compute()).shape).toEqual([0, 3]);
  });

  test("blockwise passes contracted chunks as nested lists, one level per letter", async () => {
    const x = da.ones([4, 6, 2], { chunks: [2, 3, 1] });
    const counts = (blocks: NDArray[][]): Float64Array => new Float64Array(blocks[0]![0]!.shape[0]!).fill(blocks.length * 10 + blocks[0]!.length);
    const r = da.blockwise(counts, "i", x, "ijk", { dtype: "float64" });
    expect(r.chunks).toEqual([[2, 2]]);
    // 2 chunks along j, 2 along k: nested [j][k].
    expect(Array.from((await r.compute()).data as Float64Array)).toEqual([22, 22, 22, 22]);
  });

  test.each([
    ["tensordot shapes", () => da.tensordot(da.ones([3, 4]), da.ones([5, 2]), 1), "shapes (3, 4) and (5, 2) are not aligned: 4 (axis 1 of a) != 5 (axis 0 of b)"],
    ["tensordot axes", () => da.tensordot(da.ones([3, 4]), da.ones([4, 2]), [[1, 0], [0]]), "2 axes of a (1, 0) against 1 of b (0)"],
    ["tensordot axis range", () => da.tensordot(da.ones([3, 4]), da.ones([4, 2]), [[2], [0]]), "axis 2 of a is out of range for shape (3, 4)"],
    ["overlap depth", () => da.ones([4]).mapOverlap((b: NDArray) => b, { depth: -1 }), "depth -1 for axis 0 must be a non-negative integer"],
    ["overlap boundary", () => da.ones([4]).mapOverlap((b: NDArray) => b, { depth: 1, boundary: "wrap" as never }), 'boundary "wrap" for axis 0 must be "reflect", "periodic", "nearest", "none" or a number'],
    ["overlap depth axes", () => da.ones([4, 4]).mapOverlap((b: NDArray) => b, { depth: [1] }), "depth lists 1 values for an array of 2 dimensions"],
    ["blockwise lengths", () => da.blockwise((a: NDArray) => a, "ij", da.ones([3, 4]), "ij", da.ones([3, 5]), "ij"), 'index "j" is 4 long in argument 0 (shape (3, 4)) but 5 in argument 1 (shape (3, 5))'],
    ["blockwise letters", () => da.blockwise((a: NDArray) => a, "ij", da.ones([3, 4]), "i"), 'index "i" has 1 letters for argument 0 of shape (3, 4)'],
    ["blockwise new axis", () => da.blockwise((a: NDArray) => a, "ik", da.ones([3, 4]), "ij"), 'output letter "k" is not in any argument'],
    ["blockwise pairs", () => da.blockwise((a: NDArray) => a, "i", da.ones([3]), "i", da.ones([3])), "arguments come in pairs"],
  ])("%s", (_, make, message) => {
    expect(make).toThrow(message);
  });

  test("a mapOverlap function returning the wrong shape names the block", async () => {
    const bad = da.ones([8], { chunks: 4 }).mapOverlap(() => new Float64Array(3), { depth: 1, boundary: 0 });
    await expect(bad.compute()).rejects.toThrow("mapOverlap: lambda returned 3 elements for block (0), whose shape (6) holds 6");
  });
});

describe("errors name what was wrong", () => {
  const x = da.zeros([4, 6], { chunks: 2 });
  test.each([
    ["broadcast", () => x.add(da.zeros([5])), "operands could not be broadcast together with shapes (4, 6) (5)"],
    ["reshape", () => x.reshape([5, 5]), "cannot reshape an array of shape (4, 6) (24 elements) into shape (5, 5)"],
    ["chunks", () => da.zeros([10], { chunks: [[3, 3]] }), "chunks (3, 3) for dimension 0 add up to 6, but the array's shape (10) has 10 there"],
    ["dtype", () => da.zeros([3], { dtype: "complex128" as never }), 'unsupported dtype "complex128"'],
    ["index", () => x.slice(4), "index 4 is out of bounds for axis 0 with size 4 (shape (4, 6))"],
    ["too many", () => x.slice(0, 0, 0), "3 indices for an array of shape (4, 6)"],
    ["step", () => x.slice([0, 4, 0]), "slice step must be a non-zero integer"],
    ["axis", () => x.sum({ axis: 2 }), "axis 2 is out of bounds for an array of dimension 2"],
    ["concatenate", () => da.concatenate([x, da.zeros([4, 5])], 0), "all arrays must have the same shape except along axis 0; got (4, 6) and (4, 5)"],
    ["matmul", () => x.matmul(x), "shapes (4, 6) and (4, 6) are not aligned"],
    ["min of empty", () => da.zeros([0, 3]).min({ axis: 0 }), "zero-size array (shape (0, 3))"],
    ["bool subtract", () => da.ones(3, { dtype: "bool" }).sub(da.ones(3, { dtype: "bool" })), "does not subtract booleans"],
    ["fromArray shape", () => da.fromArray(new Float64Array(5), { shape: [2, 2] }), "5 elements do not fit shape (2, 2)"],
  ])("%s", (_, make, message) => {
    expect(make).toThrow(message);
  });
});

test("several arrays computed together share their inputs", async () => {
  const x = da.arange(100, undefined, 1, { chunks: 30 });
  const [s, m, mx] = await compute(x.sum(), x.mean(), x.max());
  expect(s.item()).toBe(4950n);
  expect(m.item()).toBe(49.5);
  expect(mx.item()).toBe(99n);
});
