/**
 * Approximate bytes a value holds, for placement (run tasks where their inputs are) and
 * memory accounting. Exact for typed arrays; an estimate for everything else, bounded in
 * cost by sampling large arrays and objects.
 */
const SAMPLE = 64;

export function sizeof(value: unknown, depth = 0): number {
  switch (typeof value) {
    case "number":
    case "bigint":
      return 8;
    case "boolean":
      return 4;
    case "string":
      return 16 + value.length * 2;
    case "undefined":
      return 0;
    case "symbol":
    case "function":
      return 32;
  }
  if (value === null) return 0;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return value.byteLength;
  const custom = (value as { __tesseraNbytes?: () => number }).__tesseraNbytes;
  if (typeof custom === "function") return custom.call(value);
  if (depth > 8) return 64;
  if (Array.isArray(value)) return 16 + sampled(value, depth);
  if (value instanceof Map) return 32 + sampled([...value.entries()].flat(), depth);
  if (value instanceof Set) return 32 + sampled([...value], depth);
  if (value instanceof Date) return 16;
  const vals = Object.values(value as object);
  return 32 + vals.length * 8 + sampled(vals, depth);
}

function sampled(items: unknown[], depth: number): number {
  const n = items.length;
  if (n === 0) return 0;
  if (n <= SAMPLE) {
    let total = 0;
    for (const x of items) total += sizeof(x, depth + 1);
    return total;
  }
  let total = 0;
  const step = n / SAMPLE;
  for (let i = 0; i < SAMPLE; i++) total += sizeof(items[Math.floor(i * step)], depth + 1);
  return Math.round((total / SAMPLE) * n);
}
