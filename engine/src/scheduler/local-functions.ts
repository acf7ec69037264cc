/**
 * The original function objects behind shipped source functions, by FnRef id. The sync
 * scheduler calls these instead of recompiling, so breakpoints and stack traces in a
 * debugger point at the user's own code.
 */
const originals = new Map<string, WeakRef<(...args: unknown[]) => unknown>>();

export function rememberFunction(id: string, fn: (...args: never[]) => unknown): void {
  originals.set(id, new WeakRef(fn as (...args: unknown[]) => unknown));
}

export function originalFunction(id: string): ((...args: unknown[]) => unknown) | undefined {
  const fn = originals.get(id)?.deref();
  if (!fn) originals.delete(id);
  return fn;
}
