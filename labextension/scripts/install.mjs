#!/usr/bin/env node
/**
 * Builds the prebuilt (federated) extension and installs it into a venv's
 * share/jupyter/labextensions, where `jupyter lab` of that venv finds it.
 *
 *   node labextension/scripts/install.mjs [path/to/venv]   (default: the project's .venv)
 *
 * Steps: tsc (src → lib), then @jupyterlab/builder's webpack build against the venv's own
 * JupyterLab (its staging folder is the "core" the extension shares packages with), then a copy
 * of dist/labextension. Each step is skipped when its output is newer than its inputs.
 * The builder is called directly rather than through `jupyter labextension build`: that
 * command runs a yarn.js from site-packages, which Node reads as an ES module because the venv
 * sits inside this `"type": "module"` repository.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = join(HERE, "..");
const VENV = process.argv[2] ?? join(ROOT, ".venv");
const OUT = join(HERE, "dist", "labextension");
const TARGET = join(VENV, "share", "jupyter", "labextensions", "@tessera", "labextension");

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

function run(what, command, args) {
  const r = spawnSync(command, args, { cwd: HERE, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${what} failed:\n${r.stdout}\n${r.stderr}${r.error ?? ""}`);
}

function corePath() {
  const lib = join(VENV, "lib");
  for (const py of existsSync(lib) ? readdirSync(lib) : []) {
    const staging = join(lib, py, "site-packages", "jupyterlab", "staging");
    if (existsSync(staging)) return staging;
  }
  throw new Error(`no JupyterLab in ${VENV}`);
}

export function installLabextension() {
  const panels = join(ROOT, "engine", "dist", "dashboard", "panels");
  if (!existsSync(panels)) throw new Error("engine/dist/dashboard is missing: build the engine first (npm run build)");
  const sources = Math.max(newest(join(HERE, "src")), newest(panels), newest(join(HERE, "package.json")), newest(join(HERE, "tsconfig.json")));
  if (newest(join(HERE, "lib")) < sources) {
    run("tsc", process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", HERE]);
  }
  if (newest(join(OUT, "package.json")) < newest(join(HERE, "lib"))) {
    run("labextension build", process.execPath, [
      join(ROOT, "node_modules", "@jupyterlab", "builder", "lib", "build-labextension.js"),
      "--core-path",
      corePath(),
      HERE,
    ]);
  }
  if (newest(join(TARGET, "package.json")) < newest(join(OUT, "package.json"))) {
    rmSync(TARGET, { recursive: true, force: true });
    cpSync(OUT, TARGET, { recursive: true });
  }
  return TARGET;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(`installed ${installLabextension()}`);
  } catch (error) {
    console.error(String(error.message ?? error));
    process.exit(1);
  }
}
