/**
 * Expanding what a user passes to a reader (a file, a directory, a glob, or a list of them)
 * into a sorted list of files. Globs support `*`, `?`, `[abc]` within a path segment and `**`
 * for any number of directories.
 */
import { readdirSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";

const GLOB = /[*?[]/;

function segmentRegex(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = segment.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += `[${segment.slice(i + 1, end).replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function listDir(dir: string): { name: string; dir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, dir: e.isDirectory() }));
  } catch {
    return [];
  }
}

function expandGlob(pattern: string): string[] {
  const abs = resolve(pattern);
  const parts = abs.split(sep);
  let current: string[] = [parts[0] === "" ? sep : parts[0]!];
  for (let k = 1; k < parts.length; k++) {
    const seg = parts[k]!;
    if (seg === "") continue;
    const last = k === parts.length - 1;
    const next: string[] = [];
    if (seg === "**") {
      // Zero or more directories.
      const stack = [...current];
      while (stack.length > 0) {
        const d = stack.pop()!;
        next.push(d);
        for (const e of listDir(d)) if (e.dir && !e.name.startsWith(".")) stack.push(join(d, e.name));
      }
    } else if (!GLOB.test(seg)) {
      for (const d of current) next.push(join(d, seg));
    } else {
      const re = segmentRegex(seg);
      for (const d of current) {
        for (const e of listDir(d)) if (re.test(e.name) && (last || e.dir)) next.push(join(d, e.name));
      }
    }
    current = next;
  }
  return current.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/** Hidden and bookkeeping files (`.crc`, `_SUCCESS`, `_metadata`) are not data. */
const isDataFile = (name: string): boolean => !name.startsWith(".") && !name.startsWith("_");

/**
 * The files a path names: itself, the data files of a directory (recursively, as Dask reads
 * hive-partitioned directories), or a glob's matches. Throws naming the path when nothing matches.
 */
export function expandPaths(paths: string | readonly string[], reader: string, extension?: string): string[] {
  const out: string[] = [];
  for (const p of typeof paths === "string" ? [paths] : paths) {
    if (GLOB.test(p)) {
      const matches = expandGlob(p).sort();
      if (matches.length === 0) throw new Error(`${reader}: no files match ${p}`);
      out.push(...matches);
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new Error(`${reader}: no such file or directory: ${resolve(p)}`);
    }
    if (st.isDirectory()) {
      const found: string[] = [];
      const walk = (d: string): void => {
        for (const e of listDir(d)) {
          if (!isDataFile(e.name)) continue;
          const full = join(d, e.name);
          if (e.dir) walk(full);
          else if (!extension || e.name.endsWith(extension)) found.push(full);
        }
      };
      walk(p);
      if (found.length === 0) throw new Error(`${reader}: directory ${resolve(p)} holds no ${extension ?? "data"} files`);
      out.push(...found.sort());
    } else out.push(resolve(p));
  }
  return out;
}
