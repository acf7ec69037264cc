/** What `console.log` shows for arrays and the other collections (util.inspect). */
import { inspect } from "node:util";
import { da, db, delayed, NDArray } from "@tessera/engine";

describe("text reprs", () => {
  test("an NDArray prints its values as NumPy does, columns aligned", () => {
    const m = new NDArray(new Int32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), [3, 4], "int32");
    expect(inspect(m)).toBe("array([[ 0,  1,  2,  3],\n       [ 4,  5,  6,  7],\n       [ 8,  9, 10, 11]], dtype=int32)");
    expect(inspect(new NDArray(new Float64Array([0, 0.25, 1.5]), [3], "float64"))).toBe("array([0.00, 0.25, 1.50], dtype=float64)");
    expect(inspect(new NDArray(new Float64Array([1, 2]), [2], "float64"))).toBe("array([1., 2.], dtype=float64)");
    expect(inspect(new NDArray(new Float64Array([NaN, Infinity, 1e20]), [3], "float64"))).toBe("array([  nan,   inf, 1e+20], dtype=float64)");
    expect(inspect(new NDArray(new Uint8Array([1, 0]), [2], "bool"))).toBe("array([ true, false], dtype=bool)");
    expect(inspect(new NDArray(new BigInt64Array([7n]), [], "int64"))).toBe("array(7, dtype=int64)");
    expect(inspect(new NDArray(new Float64Array(0), [0, 3], "float64"))).toBe("array([], shape=(0, 3), dtype=float64)");
  });

  test("beyond 1000 elements only the edges of each dimension are shown", () => {
    const data = new Float64Array(40 * 50).map((_, i) => i);
    const text = inspect(new NDArray(data, [40, 50], "float64"));
    const lines = text.split("\n");
    // 3 rows, "...", 3 rows; each row 3 values, "...", 3 values.
    expect(lines).toHaveLength(7);
    expect(lines[3]!.trim()).toBe("...,");
    expect(lines[0]).toBe("array([[   0.,    1.,    2., ...,   47.,   48.,   49.],");
    expect(lines[6]).toContain("1999.]], dtype=float64)");
  });

  test("lazy collections print their one-line summary, not their fields", () => {
    const x = da.ones([10, 10], { chunks: 5 });
    expect(inspect(x)).toBe(x.toString());
    expect(inspect(x)).toContain("shape=(10, 10)");
    const b = db.fromSequence([1, 2, 3], { npartitions: 2 });
    expect(inspect(b)).toBe("tessera.bag<from, npartitions=2>");
    const d = delayed((a: number) => a + 1)(1);
    expect(inspect(d)).toMatch(/^Delayed\('lambda-[0-9a-f]+'\)$/);
  });
});
