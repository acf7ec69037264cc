/**
 * Built-in kernels by name (DESIGN idea 1). Tasks name their function, so every worker
 * thread loads this registry (through `kernels/index.ts`) and resolves `builtin` FnRefs here.
 * Collections register their algorithms at module load, keeping names stable across threads.
 */
export type Kernel = (...args: any[]) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

const kernels = new Map<string, Kernel>();

export function registerKernel(name: string, fn: Kernel): void {
  const existing = kernels.get(name);
  if (existing && existing !== fn) throw new Error(`A different kernel named "${name}" is already registered.`);
  kernels.set(name, fn);
}

export function getKernel(name: string): Kernel {
  const fn = kernels.get(name);
  if (!fn) {
    throw new Error(
      `Unknown built-in kernel "${name}". Built-in kernels must be registered in a module that ` +
        `engine/src/kernels/index.ts imports, so that every worker thread knows them.`,
    );
  }
  return fn;
}

export function kernelNames(): string[] {
  return [...kernels.keys()].sort();
}
