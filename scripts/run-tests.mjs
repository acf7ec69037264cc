#!/usr/bin/env node
/**
 * Runs every test suite of the project and ends with one line: `N passed, N failed`.
 *
 *   node scripts/run-tests.mjs [--suite=jest,python] [jest args…]
 *
 * Suites are listed in SUITES below; each runner returns its own pass/fail counts, read
 * from the runner's machine-readable report (jest's JSON, pytest's JUnit XML) rather than
 * from its console text. A suite that cannot even start counts as a failure, so a broken
 * import is never reported as "0 failed". Arguments other than --suite go to jest
 * (a test path filter, -t "name", --verbose, …). Exit code is non-zero iff anything failed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const VENV_PYTHON = join(ROOT, ".venv", "bin", "python");
/** A hung suite must not eat CI's whole budget; it is stopped and counted as failed. */
const SUITE_TIMEOUT_MS = Number(process.env.TESSERA_SUITE_TIMEOUT_MIN ?? 30) * 60_000;

/**
 * @typedef {{ passed: number, failed: number, skipped: number, notes: string[] }} Counts
 * @typedef {{ name: string, present: () => boolean, run: (ctx: { tmp: string, jestArgs: string[] }) => Counts }} Suite
 */

/** Runs a suite's command with its output going straight to the console. */
function runCommand(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: "inherit", timeout: SUITE_TIMEOUT_MS });
  const timedOut = result.error?.code === "ETIMEDOUT";
  return { status: result.status, signal: result.signal, timedOut, error: timedOut ? undefined : result.error };
}

function exitNote(name, outcome) {
  if (outcome.timedOut) return `${name} stopped after ${SUITE_TIMEOUT_MS / 60_000} min`;
  if (outcome.error) return `${name} could not start: ${outcome.error.message}`;
  return `${name} exited with ${outcome.status ?? outcome.signal}`;
}

/** @returns {Counts} */
function runJest({ tmp, jestArgs }) {
  const report = join(tmp, "jest.json");
  const jest = join(ROOT, "node_modules", "jest", "bin", "jest.js");
  const outcome = runCommand(process.execPath, [
    "--experimental-vm-modules",
    jest,
    "--json",
    `--outputFile=${report}`,
    ...jestArgs,
  ]);
  const counts = { passed: 0, failed: 0, skipped: 0, notes: [] };
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, "utf8"));
    counts.passed = r.numPassedTests;
    counts.failed = r.numFailedTests;
    counts.skipped = r.numPendingTests + (r.numTodoTests ?? 0);
    // A file that fails to load (syntax error, bad import) or whose hooks throw has no failing
    // test of its own; count it once so it cannot hide.
    for (const file of r.testResults ?? []) {
      const failingTests = (file.assertionResults ?? []).filter((a) => a.status === "failed").length;
      if (file.status === "failed" && failingTests === 0) {
        counts.failed += 1;
        counts.notes.push(`${file.name.replace(`${ROOT}/`, "")} failed outside any test`);
      }
    }
  }
  if (outcome.status !== 0 && counts.failed === 0) {
    counts.failed = 1; // jest itself failed: no tests found, bad config, crash, timeout
    counts.notes.push(exitNote("jest", outcome));
  }
  return counts;
}

/** Sums the attributes of every <testsuite> element of a JUnit XML report. */
function junitTotals(xml) {
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const [, attrs] of xml.matchAll(/<testsuite\b([^>]*)>/g)) {
    for (const name of Object.keys(totals)) {
      const m = attrs.match(new RegExp(`\\b${name}="(\\d+)"`));
      if (m) totals[name] += Number(m[1]);
    }
  }
  return totals;
}

const PYTEST_NO_TESTS_COLLECTED = 5;

/** @returns {Counts} */
function runPytest({ tmp }) {
  const counts = { passed: 0, failed: 0, skipped: 0, notes: [] };
  if (!existsSync(VENV_PYTHON)) {
    counts.failed = 1;
    counts.notes.push("no .venv: run `node scripts/setup.mjs --for test` first");
    return counts;
  }
  if (!existsSync(join(ROOT, "test", "python"))) return counts;
  const report = join(tmp, "pytest.xml");
  const outcome = runCommand(VENV_PYTHON, [
    "-m",
    "pytest",
    "test/python",
    "-q",
    "-p",
    "no:cacheprovider",
    // One module that fails to import must not hide the results of all the others.
    "--continue-on-collection-errors",
    `--junitxml=${report}`,
  ]);
  if (outcome.status === PYTEST_NO_TESTS_COLLECTED) return counts;
  if (existsSync(report)) {
    const t = junitTotals(readFileSync(report, "utf8"));
    counts.failed = t.failures + t.errors;
    counts.skipped = t.skipped;
    counts.passed = t.tests - counts.failed - t.skipped;
  }
  if (outcome.status !== 0 && counts.failed === 0) {
    counts.failed = 1; // interrupted, internal error, usage error, timeout
    counts.notes.push(exitNote("pytest", outcome));
  }
  return counts;
}

/** @returns {Counts} Lint counts as one check: clean code passes, any eslint error fails it. */
function runLint() {
  const eslint = join(ROOT, "node_modules", "eslint", "bin", "eslint.js");
  const paths = ["engine/src", "kernel/src", "labextension/src", "test", "scripts", "bench"].filter((p) => existsSync(join(ROOT, p)));
  const outcome = runCommand(process.execPath, [eslint, "--no-error-on-unmatched-pattern", ...paths]);
  const ok = outcome.status === 0;
  return { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, notes: ok ? [] : [exitNote("eslint", outcome)] };
}

/**
 * @returns {Counts} The browser suites (test/browser/*.test.mjs): node's own test runner driving
 * headless Chromium (playwright-core, /usr/bin/chromium) against the standalone dashboard and a
 * real `jupyter lab` from .venv. Counted from node's JUnit report: one <testcase> per test.
 */
function runBrowser({ tmp }) {
  const counts = { passed: 0, failed: 0, skipped: 0, notes: [] };
  const dir = join(ROOT, "test", "browser");
  const files = readdirSync(dir).filter((f) => /\.test\.mjs$/.test(f)).map((f) => join("test", "browser", f));
  const report = join(tmp, "browser.xml");
  const outcome = runCommand(process.execPath, [
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=junit",
    `--test-reporter-destination=${report}`,
    ...files,
  ]);
  if (existsSync(report)) {
    const xml = readFileSync(report, "utf8");
    for (const [, body] of xml.matchAll(/<testcase\b[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
      if (/<failure\b/.test(body ?? "")) counts.failed++;
      else if (/<skipped\b/.test(body ?? "")) counts.skipped++;
      else counts.passed++;
    }
  }
  if (outcome.status !== 0 && counts.failed === 0) {
    counts.failed = 1; // a file that failed outside any test, or the runner itself
    counts.notes.push(exitNote("node --test", outcome));
  }
  return counts;
}

const hasFiles = (dir, pattern) =>
  existsSync(join(ROOT, dir)) && readdirSync(join(ROOT, dir), { recursive: true }).some((f) => pattern.test(String(f)));

/** @type {Suite[]} */
const SUITES = [
  { name: "jest", present: () => true, run: runJest },
  { name: "python", present: () => existsSync(join(ROOT, "test", "python")), run: runPytest },
  { name: "browser", present: () => hasFiles("test/browser", /\.(spec|test)\.[cm]?[jt]s$/), run: runBrowser },
  { name: "lint", present: () => true, run: runLint },
];

function parseArgs(argv) {
  const selected = [];
  const jestArgs = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--suite") selected.push(...(argv[++i] ?? "").split(","));
    else if (a.startsWith("--suite=")) selected.push(...a.slice("--suite=".length).split(","));
    else jestArgs.push(a);
  }
  const unknown = selected.filter((s) => !SUITES.some((suite) => suite.name === s));
  if (unknown.length > 0) {
    console.error(`run-tests: unknown suite ${unknown.join(", ")}; suites are ${SUITES.map((s) => s.name).join(", ")}`);
    process.exit(2);
  }
  return { selected, jestArgs };
}

const { selected, jestArgs } = parseArgs(process.argv.slice(2));
const tmp = mkdtempSync(join(tmpdir(), "tessera-tests-"));
const rows = [];
try {
  for (const suite of SUITES) {
    if (selected.length > 0 ? !selected.includes(suite.name) : !suite.present()) continue;
    console.log(`\n── ${suite.name} ${"─".repeat(Math.max(0, 60 - suite.name.length))}`);
    rows.push({ name: suite.name, ...suite.run({ tmp, jestArgs }) });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// The per-suite table avoids the "N passed, N failed" shape so that the last line is the only one.
console.log("\nsuite      passed  failed  skipped");
for (const r of rows) {
  console.log(`${r.name.padEnd(10)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.skipped).padStart(7)}`);
  for (const note of r.notes) console.log(`           ${note}`);
}
const passed = rows.reduce((n, r) => n + r.passed, 0);
const failed = rows.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
