/**
 * The `tessera` kernelspec, and installing it with Jupyter's own installer
 * (`python -m jupyter kernelspec install`), so it lands wherever that Python's Jupyter looks:
 * the user's data dir, the environment's prefix, or a given prefix.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const KERNEL_NAME = "tessera";

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "signal" | "message";
  env: Record<string, string>;
  metadata: Record<string, unknown>;
}

/** The CLI this package installs, by absolute path, so the kernel starts from any directory. */
export function cliPath(): string {
  return realpathSync(fileURLToPath(new URL("./cli.js", import.meta.url)));
}

/**
 * kernel.json. `interrupt_mode` is "signal": Jupyter then interrupts with SIGINT, which also
 * stops a cell stuck in synchronous code (tslab runs cells with `breakOnSigint`), something an
 * interrupt_request message could never do while the event loop is blocked. The kernel
 * answers interrupt_request too, for clients that send one anyway.
 */
export function kernelSpec(node: string = process.execPath): KernelSpec {
  return {
    argv: [node, cliPath(), "kernel", "--config-file", "{connection_file}"],
    display_name: "TypeScript (Tessera)",
    language: "typescript",
    interrupt_mode: "signal",
    env: {},
    metadata: { debugger: false },
  };
}

/** A small logo for the launcher: four tiles. */
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
<rect x="4" y="4" width="26" height="26" rx="4" fill="#3178c6"/><rect x="34" y="4" width="26" height="26" rx="4" fill="#f2a900"/>
<rect x="4" y="34" width="26" height="26" rx="4" fill="#f2a900"/><rect x="34" y="34" width="26" height="26" rx="4" fill="#3178c6"/>
</svg>
`;

export type InstallLocation = { kind: "user" } | { kind: "sys-prefix" } | { kind: "prefix"; prefix: string };

export interface InstallOptions {
  location: InstallLocation;
  /** The Python whose Jupyter should see the kernel (default `python3`). */
  python?: string;
}

/** Install the kernelspec; returns the directory it was installed into. Throws on failure. */
export function installKernelspec({ location, python = "python3" }: InstallOptions): string {
  const staging = mkdtempSync(join(tmpdir(), "tessera-kernelspec-"));
  try {
    const source = join(staging, KERNEL_NAME);
    mkdirSync(source);
    writeFileSync(join(source, "kernel.json"), `${JSON.stringify(kernelSpec(), null, 2)}\n`);
    writeFileSync(join(source, "logo-svg.svg"), LOGO_SVG);
    const where =
      location.kind === "user" ? ["--user"] : location.kind === "sys-prefix" ? ["--sys-prefix"] : [`--prefix=${location.prefix}`];
    const args = ["-m", "jupyter", "kernelspec", "install", source, `--name=${KERNEL_NAME}`, "--replace", ...where];
    const result = spawnSync(python, args, { encoding: "utf8" });
    if (result.error) throw new Error(`could not run ${python}: ${result.error.message}`);
    if (result.status !== 0) {
      throw new Error(`${python} ${args.join(" ")} exited with ${result.status}:\n${result.stderr}${result.stdout}`);
    }
    // Jupyter says "Installed kernelspec tessera in <dir>".
    const match = /Installed kernelspec \S+ in (.+)$/m.exec(`${result.stdout}\n${result.stderr}`);
    return match ? match[1]!.trim() : "";
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
