/** Small general-purpose kernels used by Delayed, Futures and graph tests. */
import { registerKernel } from "./registry.js";

registerKernel("noop", () => null);
registerKernel("identity", (x: unknown) => x);
/** Dask's getitem: `obj[key]`, also used to pick one output of a multi-output task. */
registerKernel("getitem", (obj: unknown, key: string | number) => (obj as Record<string | number, unknown>)[key]);
registerKernel("sum", (...xs: number[]) => xs.reduce((a, b) => a + b, 0));
registerKernel("add", (a: number, b: number) => a + b);
registerKernel("list", (...xs: unknown[]) => xs);
/** Sleeps without blocking the thread (for tests of cancellation and overlap). */
registerKernel("sleep", (ms: number, value: unknown = null) => new Promise((r) => setTimeout(() => r(value), ms)));
