/**
 * Running the Python side of a benchmark: a script in the project's `.venv` that prints one JSON
 * object per line on stdout (progress goes to stderr and through to the console).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const VENV_PYTHON = join(ROOT, ".venv", "bin", "python");

/** Run `bench/<script>` with `args` and resolve with the JSON lines it printed. */
export function runPythonBench(script, args) {
  if (!existsSync(VENV_PYTHON)) return Promise.reject(new Error("no .venv: run `node scripts/setup.mjs --for bench` first"));
  return new Promise((resolve, reject) => {
    const child = spawn(VENV_PYTHON, [join(ROOT, "bench", script), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.on("error", reject);
    child.on("exit", (code) => {
      const rows = out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
      if (code === 0) resolve(rows);
      else reject(new Error(`bench/${script} exited with ${code}`));
    });
  });
}
