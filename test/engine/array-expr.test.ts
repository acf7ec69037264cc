/**
 * Fused element-wise chains run as one generated loop (kernels/array-expr.ts). The oracle is
 * the same expression run step by step (`optimizeGraph: false`: one kernel call and one
 * temporary chunk per operation), which array-numpy.test.ts checks against NumPy: the two
 * must agree bit for bit, NaNs included, for every dtype's conversions.
 */
import { da, NDArray, type ChunkedArray } from "@tessera/engine";
import { collectionsToGraph, evaluateExpr, type Task } from "@tessera/engine/internal";

async function bothWays(x: ChunkedArray): Promise<{ fused: NDArray; stepwise: NDArray }> {
  const fused = (await x.compute()) as NDArray;
  const stepwise = (await x.compute({ optimizeGraph: false })) as NDArray;
  return { fused, stepwise };
}

async function expectSameAsStepwise(x: ChunkedArray): Promise<NDArray> {
  const { fused, stepwise } = await bothWays(x);
  expect(fused.dtype).toBe(stepwise.dtype);
  expect(fused.shape).toEqual(stepwise.shape);
  expect(fused.data.constructor).toBe(stepwise.data.constructor);
  expect(Array.from(fused.data as ArrayLike<number>)).toEqual(Array.from(stepwise.data as ArrayLike<number>));
  return fused;
}

const exprCalls = (task: Task): number => (JSON.stringify(task).match(/"array\.expr"/g) ?? []).length;

const floats = (): ChunkedArray => da.random.normal(0, 1, [37, 23], { chunks: [10, 7], seed: 3 });

describe("element-wise chains run as one loop", () => {
  test("sqrt(x*x + y*y) is one array.expr call per chunk reading each input once", () => {
    const x = da.random.random([40, 40], { chunks: 10, seed: 1 });
    const y = da.random.random([40, 40], { chunks: 10, seed: 2 });
    const { graph } = collectionsToGraph([x.mul(x).add(y.mul(y)).sqrt()]);
    const chains = [...graph.values()].filter((t) => exprCalls(t) > 0);
    expect(chains).toHaveLength(16);
    for (const task of chains) {
      expect(exprCalls(task)).toBe(1);
      // Two operands (x's and y's chunk), each passed once although each is read twice.
      const args = (task as { args: unknown[] }).args;
      expect(args).toHaveLength(3);
    }
  });

  test("a lone operation keeps its own kernel", () => {
    const x = da.random.random([20, 20], { chunks: 10, seed: 1 });
    const { graph } = collectionsToGraph([x.add(1)]);
    expect([...graph.values()].some((t) => exprCalls(t) > 0)).toBe(false);
  });

  test("float64: arithmetic, comparisons and every unary function agree with the step-by-step kernels", async () => {
    const x = floats();
    const y = da.random.random([37, 23], { chunks: [10, 7], seed: 4 });
    await expectSameAsStepwise(x.mul(y).add(x.div(y.add(0.5))).sub(3).pow(2).sqrt());
    await expectSameAsStepwise(x.floordiv(y.sub(0.5)).add(x.mod(y.sub(0.5))).maximum(y.neg()).minimum(1.5));
    for (const op of ["neg", "abs", "sqrt", "exp", "log", "log10", "sin", "cos", "tan", "floor", "ceil", "square", "sign", "isnan", "isfinite"] as const) {
      // log and sqrt of negatives give NaN, log(0) -inf: the loop must agree on those too.
      await expectSameAsStepwise(x.mul(2).unary(op).add(1));
    }
    await expectSameAsStepwise(x.gt(y).and(x.lt(0.5)).or(y.ge(0.9)).xor(x.eq(0)));
  });

  test("float32 rounds every intermediate as the step-by-step kernels do", async () => {
    const x = floats().astype("float32");
    const y = da.random.random([37, 23], { chunks: [10, 7], seed: 5 }).astype("float32");
    const r = await expectSameAsStepwise(x.mul(3.1).add(y).div(7).sub(x.mul(y)));
    expect(r.dtype).toBe("float32");
  });

  test("int32 and uint8 wrap on overflow at every step; integer floordiv and mod by zero give 0", async () => {
    const big = da.arange(0, 900, 1, { chunks: 200, dtype: "int32" }).mul(4_000_000);
    const r = await expectSameAsStepwise(big.mul(big).add(7).sub(big));
    expect(r.dtype).toBe("int32");
    const small = da.arange(0, 600, 1, { chunks: 128, dtype: "uint8" });
    await expectSameAsStepwise(small.mul(small).add(200).sub(small.mul(3)));
    const ints = da.arange(-50, 50, 1, { chunks: 30, dtype: "int32" });
    await expectSameAsStepwise(ints.floordiv(ints.mod(7)).add(ints.mod(ints.sub(3))));
  });

  test("bool results, where and astype inside a chain", async () => {
    const x = floats();
    const mask = x.gt(0).and(x.abs().lt(1));
    await expectSameAsStepwise(mask.not().or(x.isnan()));
    await expectSameAsStepwise(da.where(mask, x.mul(2), x.neg()).add(1));
    await expectSameAsStepwise(x.mul(10).astype("int32").add(3).astype("float32").div(3));
    await expectSameAsStepwise(x.add(x).astype("bool").and(mask));
  });

  test("broadcasting inside a chain: a row, a column and a 0-d array", async () => {
    const m = floats();
    const row = da.random.random([23], { chunks: 7, seed: 6 });
    const col = da.random.random([37, 1], { chunks: [10, 1], seed: 7 });
    const scalar = da.random.random([], { seed: 8 });
    const r = await expectSameAsStepwise(m.add(row).mul(col).sub(scalar).sqrt());
    expect(r.shape).toEqual([37, 23]);
    await expectSameAsStepwise(row.mul(col).add(row));
  });

  test("int64 chains fall back to the step-by-step kernels and stay exact", async () => {
    const x = da.arange(0, 1000, 1, { chunks: 300, dtype: "int64" });
    const r = await expectSameAsStepwise(x.mul(x).add(x).sub(5));
    expect(r.dtype).toBe("int64");
    expect(r.get(999)).toBe(BigInt(999 * 999 + 999 - 5));
  });

  test("the kernel broadcasts its operands and reuses the compiled loop", () => {
    const a = new NDArray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3], "float64");
    const b = new NDArray(new Float64Array([10, 20, 30]), [3], "float64");
    const program = { binary: "add", x: { binary: "mul", x: { in: 0 }, y: { in: 0 }, out: "float64", compute: "float64" }, y: { in: 1 }, out: "float64", compute: "float64" } as const;
    const out = evaluateExpr(program, a, b);
    expect(out.shape).toEqual([2, 3]);
    expect(Array.from(out.data as Float64Array)).toEqual([11, 24, 39, 26, 45, 66]);
    expect(Array.from(evaluateExpr(program, b, a).data as Float64Array)).toEqual([101, 402, 903, 104, 405, 906]);
  });
});
