#!/usr/bin/env node
/**
 * tessera-kernel: install the Tessera Jupyter kernel, or run it (Jupyter does that).
 *
 *   tessera-kernel install [--user | --sys-prefix | --prefix DIR] [--python PATH]
 *   tessera-kernel kernel --config-file CONNECTION_FILE
 *
 * `install` defaults to --user and to the `python3` on PATH; --python picks the Python whose
 * Jupyter should see the kernel (with --sys-prefix: that Python's environment).
 */
import { installKernelspec, KERNEL_NAME, type InstallLocation } from "./kernelspec.js";

const USAGE = `usage:
  tessera-kernel install [--user | --sys-prefix | --prefix DIR] [--python PATH]
  tessera-kernel kernel --config-file CONNECTION_FILE`;

class UsageError extends Error {}

/** `--name value` and `--name=value` forms; flags without values are returned as true. */
function parseOptions(args: string[], withValue: Set<string>, flags: Set<string>): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (withValue.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === "") throw new UsageError(`${name} needs a value`);
      out.set(name, value);
    } else if (flags.has(name) && eq < 0) {
      out.set(name, true);
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return out;
}

function install(args: string[]): void {
  const opts = parseOptions(args, new Set(["--prefix", "--python"]), new Set(["--user", "--sys-prefix"]));
  const chosen = ["--user", "--sys-prefix", "--prefix"].filter((o) => opts.has(o));
  if (chosen.length > 1) throw new UsageError(`choose one of ${chosen.join(", ")}`);
  const location: InstallLocation = opts.has("--prefix")
    ? { kind: "prefix", prefix: opts.get("--prefix") as string }
    : opts.has("--sys-prefix")
      ? { kind: "sys-prefix" }
      : { kind: "user" };
  const python = opts.get("--python");
  const dir = installKernelspec({ location, ...(typeof python === "string" ? { python } : {}) });
  console.log(`Installed the ${KERNEL_NAME} kernelspec${dir ? ` in ${dir}` : ""}.`);
}

async function kernel(args: string[]): Promise<void> {
  const opts = parseOptions(args, new Set(["--config-file"]), new Set());
  const connectionFile = opts.get("--config-file");
  if (typeof connectionFile !== "string") throw new UsageError("kernel needs --config-file");
  // Loaded here so that `install` does not pay for TypeScript and the engine.
  const { startKernel } = await import("./kernel.js");
  await startKernel({ connectionFile });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "install") install(rest);
  else if (command === "kernel") await kernel(rest);
  else if (command === "--help" || command === "-h" || command === "help") console.log(USAGE);
  else throw new UsageError(command ? `unknown command ${command}` : "no command given");
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`tessera-kernel: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`tessera-kernel: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
