#!/usr/bin/env node
/**
 * Brings a checkout to a runnable state: node modules, built packages, and the Python
 * environment (.venv) that hosts JupyterLab, the kernel tests and the Dask benchmark.
 *
 *   node scripts/setup.mjs [--for test|lab|bench]
 *
 * It runs before node_modules exists, so it uses Node built-ins only. Every step checks
 * whether it is needed first, so a second run on a ready checkout takes about a second.
 * A failing step prints the command and its full output, and the script exits non-zero.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const VENV = join(ROOT, ".venv");
const VENV_PYTHON = join(VENV, "bin", "python");
/** Where the venv remembers which requirement files it has installed (content hashes). */
const STAMP_DIR = join(VENV, ".tessera-stamps");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * What each purpose needs. Today they all need everything; they stay separate so that,
 * for example, a browser toolchain can be added to `test` without slowing down `lab`.
 */
const PURPOSES = {
  test: ["nodeModules", "build", "venv"],
  lab: ["nodeModules", "build", "venv"],
  bench: ["nodeModules", "build", "venv"],
};

/** Workspaces compiled with `tsc -b`, in the order a reader would expect; missing ones are skipped. */
const TSC_PROJECTS = ["engine", "kernel", "labextension"];

function log(message) {
  console.log(`setup: ${message}`);
}

/** Runs a command from the repository root; on failure prints everything it said and exits. */
function run(command, args, { quietOnSuccess = true } = {}) {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", quietOnSuccess ? "pipe" : "inherit", quietOnSuccess ? "pipe" : "inherit"],
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" },
  });
  if (result.error || result.status !== 0) {
    const shown = [command, ...args].join(" ");
    console.error(`\nsetup: FAILED: ${shown}`);
    if (result.error) console.error(String(result.error));
    if (result.stdout) console.error(result.stdout);
    if (result.stderr) console.error(result.stderr);
    console.error(`setup: '${shown}' exited with ${result.status ?? result.signal ?? "an error"}`);
    process.exit(result.status || 1);
  }
  return result.stdout ?? "";
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : -Infinity;
}

/** `npm ci` when node_modules is missing or older than the lockfile (npm's own staleness rule). */
function nodeModules() {
  const lockfile = join(ROOT, "package-lock.json");
  const installed = join(ROOT, "node_modules", ".package-lock.json");
  const hasLockfile = existsSync(lockfile);
  if (existsSync(installed) && (!hasLockfile || mtime(lockfile) <= mtime(installed))) return;
  const args = hasLockfile ? ["ci"] : ["install"];
  log(`installing node modules (npm ${args[0]})…`);
  run(NPM, [...args, "--no-audit", "--no-fund"]);
}

/** Incremental TypeScript build of every workspace that has a tsconfig; a no-op when up to date. */
function build() {
  const projects = TSC_PROJECTS.filter((p) => existsSync(join(ROOT, p, "tsconfig.json")));
  if (projects.length === 0) return;
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  log(`building ${projects.join(", ")}…`);
  run(process.execPath, [tsc, "-b", ...projects]);
}

/** A venv whose interpreter runs; a venv copied from elsewhere or half-created is rebuilt. */
function venvWorks() {
  if (!existsSync(VENV_PYTHON)) return false;
  return spawnSync(VENV_PYTHON, ["-c", "import sys, pip"], { stdio: "ignore" }).status === 0;
}

function sha256(path) {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The requirement files a purpose installs: the shared one plus `requirements-<purpose>.txt` if present. */
function requirementFiles(purpose) {
  return ["requirements.txt", `requirements-${purpose}.txt`]
    .map((name) => join(ROOT, "python", name))
    .filter((path) => existsSync(path));
}

/** `.venv` inside the repository, with each requirement file installed once per content change. */
function venv(purpose) {
  if (!venvWorks()) {
    // pandas and numpy need 3.11; say so plainly instead of letting pip fail on a resolver error.
    const version = spawnSync("python3", ["-c", "import sys; print('%d.%d' % sys.version_info[:2]); sys.exit(sys.version_info < (3, 11))"], { encoding: "utf8" });
    if (version.status !== 0) {
      console.error(`setup: Python 3.11 or newer is needed as \`python3\` (found ${version.stdout?.trim() || "none"})`);
      process.exit(1);
    }
    log("creating Python environment .venv…");
    run("python3", ["-m", "venv", "--clear", VENV]);
    run(VENV_PYTHON, ["-m", "pip", "install", "--quiet", "--upgrade", "pip"]);
  }
  mkdirSync(STAMP_DIR, { recursive: true });
  for (const file of requirementFiles(purpose)) {
    const stamp = join(STAMP_DIR, `${relative(join(ROOT, "python"), file)}.sha256`);
    const hash = sha256(file);
    if (existsSync(stamp) && readFileSync(stamp, "utf8").trim() === hash) continue;
    log(`installing Python packages from ${relative(ROOT, file)} (the first time takes a few minutes)…`);
    run(VENV_PYTHON, ["-m", "pip", "install", "--quiet", "-r", file]);
    // Written only after a successful install, so a failed one is retried next time.
    writeFileSync(stamp, `${hash}\n`);
  }
}

const STEPS = { nodeModules, build, venv };

function parsePurpose(argv) {
  const i = argv.findIndex((a) => a === "--for" || a.startsWith("--for="));
  if (i < 0) return "lab"; // plain `npm run setup`: everything a newcomer needs
  const value = argv[i].includes("=") ? argv[i].split("=")[1] : argv[i + 1];
  if (!value || !(value in PURPOSES)) {
    console.error(`setup: --for takes one of ${Object.keys(PURPOSES).join(", ")} (got ${value ?? "nothing"})`);
    process.exit(2);
  }
  return value;
}

const purpose = parsePurpose(process.argv.slice(2));
const started = performance.now();
for (const step of PURPOSES[purpose]) STEPS[step](purpose);
log(`ready for ${purpose} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
