import { keyPrefix, makeKey, taskDependencies, call, ref, lit, builtin, list } from "@tessera/engine/internal";

test("keyPrefix strips tokens and indices", () => {
  expect(keyPrefix(makeKey("sum-0123456789abcdef", 0, 1))).toBe("sum");
  expect(keyPrefix("read-parquet-deadbeefcafe")).toBe("read-parquet");
});

test("taskDependencies finds nested refs once", () => {
  const t = call(builtin("add"), ref("a"), list([ref("b"), ref("a"), lit(3)]));
  expect(taskDependencies(t)).toEqual(["a", "b"]);
});
