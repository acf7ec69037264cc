#!/usr/bin/env node
/**
 * Starts JupyterLab from the project's .venv on the notebooks/ folder, with Tessera's kernel
 * and dashboard extension installed into that venv (`npm run lab` runs setup first).
 *
 *   node scripts/lab.mjs [extra jupyter lab options, e.g. --port=9999]
 *
 * Listens on 127.0.0.1 only. Opens a browser unless CI is set or there is no display.
 * Ctrl-C stops the server (and the kernels it started) and exits with code 0.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const VENV = join(ROOT, ".venv");
const JUPYTER = join(VENV, "bin", "jupyter");
const NOTEBOOKS = join(ROOT, "notebooks");

/**
 * Hook: install the Tessera kernelspec into .venv/share/jupyter/kernels (so only this lab sees
 * it, and a fresh venv always gets the current build). Returns whether a kernel was installed.
 * The kernelspec starts kernel/dist/cli.js with this Node.js, both by absolute path.
 */
function installKernelspec() {
  const cli = join(ROOT, "kernel", "dist", "cli.js");
  if (!existsSync(cli)) {
    console.error("lab: kernel/dist/cli.js is missing (did the build fail?); starting without the Tessera kernel");
    return false;
  }
  const result = spawnSync(process.execPath, [cli, "install", "--sys-prefix", "--python", join(VENV, "bin", "python")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    console.error(`lab: could not install the Tessera kernel:\n${result.stderr || result.stdout || result.error}`);
    return false;
  }
  return true;
}

/**
 * Hook: install the prebuilt dashboard extension into .venv/share/jupyter/labextensions
 * (labextension/scripts/install.mjs builds it when its sources changed). Returns whether an
 * extension was installed.
 */
function installLabextension() {
  const script = join(ROOT, "labextension", "scripts", "install.mjs");
  const result = spawnSync(process.execPath, [script, VENV], { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0) {
    console.error(`lab: could not install the Tessera dashboard extension:\n${result.stderr || result.stdout || result.error}`);
    return false;
  }
  return true;
}

/** A browser can only be opened by a person at a screen: not in CI, not on a headless Linux box. */
function shouldOpenBrowser() {
  if (process.env.CI) return false;
  if (process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false;
  return true;
}

if (!existsSync(JUPYTER)) {
  console.error("lab: .venv has no jupyter; run `npm run lab` (or `node scripts/setup.mjs --for lab`) first");
  process.exit(1);
}
// notebooks/ may hold nothing yet, and git does not keep empty folders.
mkdirSync(NOTEBOOKS, { recursive: true });

const kernel = installKernelspec();
const extension = installLabextension();
if (!kernel || !extension) {
  console.log("lab: the Tessera kernel and dashboard extension will appear here when they ship; for now this is plain JupyterLab.");
}

const args = [
  "lab",
  `--ServerApp.root_dir=${NOTEBOOKS}`,
  "--ServerApp.ip=127.0.0.1",
  ...(shouldOpenBrowser() ? [] : ["--no-browser"]),
  // Containers and CI machines often run everything as root; jupyter refuses that by default.
  ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
  ...process.argv.slice(2),
];
// Own process group: Ctrl-C reaches only this script, which then asks jupyter to stop exactly
// once (SIGTERM is jupyter's "stop now, no confirmation prompt" signal).
const lab = spawn(JUPYTER, args, {
  cwd: ROOT,
  detached: true,
  stdio: ["ignore", "inherit", "pipe"],
  env: { ...process.env, JUPYTER_PLATFORM_DIRS: "1" },
});

// Jupyter logs the URL (with its token) among many lines on stderr; repeat it where it is seen.
const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\/lab\?token=[0-9a-f]+/;
let announced = false;
let pending = "";
lab.stderr.on("data", (chunk) => {
  process.stderr.write(chunk);
  if (announced) return;
  pending += chunk.toString();
  const match = pending.match(URL_PATTERN);
  if (match) {
    announced = true;
    console.log(`\nlab: JupyterLab is running at ${match[0]}\nlab: press Ctrl-C to stop it.\n`);
  } else {
    pending = pending.slice(pending.lastIndexOf("\n") + 1);
  }
});

let stopRequestedAt = 0;
function stop() {
  if (lab.exitCode !== null || lab.signalCode !== null) return;
  if (stopRequestedAt === 0) {
    stopRequestedAt = Date.now();
    console.log("\nlab: stopping JupyterLab…");
    lab.kill("SIGTERM");
  } else if (Date.now() - stopRequestedAt > 1000) {
    // A second Ctrl-C: the user does not want to wait. (One Ctrl-C under `npm run` arrives
    // twice at once, from the terminal and forwarded by npm, hence the one-second grace.)
    lab.kill("SIGKILL");
  }
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, stop);
// Never leave a server behind, whatever ends this script.
process.on("exit", () => {
  if (lab.exitCode === null && lab.signalCode === null) lab.kill("SIGKILL");
});

lab.on("error", (error) => {
  console.error(`lab: could not start ${JUPYTER}: ${error.message}`);
  process.exit(1);
});
lab.on("exit", (code, signal) => {
  if (stopRequestedAt > 0) process.exit(0);
  process.exit(code ?? (signal ? 1 : 0));
});
