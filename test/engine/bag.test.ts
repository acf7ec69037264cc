/**
 * Bag: partitioned JavaScript values. Word counts over real text (the CSV files of the npm
 * package vega-datasets) and aggregations over real records (its movies), each checked
 * against a straightforward single-threaded computation of the same thing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { closeSharedScheduler, compute, db } from "@tessera/engine";
import { collectionsToGraph } from "@tessera/engine/internal";

const DATA = new URL("../../node_modules/vega-datasets/data/", import.meta.url).pathname;
const TEXT_FILES = ["github.csv", "disasters.csv", "la-riots.csv", "stocks.csv", "us-employment.csv", "seattle-weather.csv"];

type Movie = Record<string, unknown> & { Title: string | number | null; "Major Genre": string | null; "US Gross": number | null; "IMDB Rating": number | null };
const movies: Movie[] = JSON.parse(readFileSync(join(DATA, "movies.json"), "utf8"));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tessera-bag-"));
  for (const f of TEXT_FILES) writeFileSync(join(dir, f.endsWith("stocks.csv") ? `${f}.gz` : f), f.endsWith("stocks.csv") ? gzipSync(readFileSync(join(DATA, f))) : readFileSync(join(DATA, f)));
  // Movies as JSON Lines in three files, one of them gzipped.
  const third = Math.ceil(movies.length / 3);
  for (let i = 0; i < 3; i++) {
    const lines = movies.slice(i * third, (i + 1) * third).map((m) => JSON.stringify(m)).join("\n") + "\n";
    writeFileSync(join(dir, `movies-${i}.jsonl${i === 1 ? ".gz" : ""}`), i === 1 ? gzipSync(lines) : lines);
  }
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closeSharedScheduler();
});

const splitWords = (line: string): string[] => line.toLowerCase().split(/[^a-z]+/).filter((w) => w.length > 0);

function referenceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of TEXT_FILES) {
    for (const line of readFileSync(join(DATA, f), "utf8").split(/\r?\n/)) {
      for (const w of splitWords(line)) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}

describe("text", () => {
  test("readText: one item per line, .gz decompressed, a partition per file", async () => {
    const lines = db.readText(join(dir, "*.csv*"));
    expect(lines.npartitions).toBe(TEXT_FILES.length);
    const expected = TEXT_FILES.reduce((n, f) => n + readFileSync(join(DATA, f), "utf8").split(/\r?\n/).filter((l, i, all) => i < all.length - 1 || l !== "").length, 0);
    expect(await lines.count().compute()).toBe(expected);
  });

  test("word counts match a single-threaded count", async () => {
    const words = db
      .readText(join(dir, "*.csv*"))
      .map((line) => line.toLowerCase().split(/[^a-z]+/).filter((w) => w.length > 0))
      .flatten();
    const [freq, total, distinct] = await compute(words.frequencies({ splitEvery: 2 }), words.count(), words.distinct());
    const ref = referenceCounts();
    expect(new Map(freq as [string, number][])).toEqual(ref);
    expect(total).toBe([...ref.values()].reduce((a, b) => a + b, 0));
    expect(new Set(distinct as string[])).toEqual(new Set(ref.keys()));
    // Most frequent first.
    const counts = (freq as [string, number][]).map((p) => p[1]);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const top = await words.frequencies().topk(5, (p) => p[1]).compute();
    expect(top.map((p) => p[1])).toEqual([...ref.values()].sort((a, b) => b - a).slice(0, 5));
  });

  test("map, filter and flatten fuse into one task per file", () => {
    const b = db.readText(join(dir, "*.csv*")).map((l) => l.split(",")).flatten().filter((w) => w !== "");
    expect(collectionsToGraph([b]).graph.size).toBe(TEXT_FILES.length);
  });
});

describe("records", () => {
  test("readJson, pluck, foldby, groupby, topk, mean match plain JavaScript", async () => {
    const bag = db.readJson<Movie>(join(dir, "movies-*.jsonl*"));
    expect(bag.npartitions).toBe(3);
    const genre = (m: Movie): string => m["Major Genre"] ?? "(none)";
    const gross = bag.filter((m) => m["US Gross"] !== null);
    const byGenre = gross.foldby<string, number>((m) => m["Major Genre"] ?? "(none)", (acc, m) => acc + (m["US Gross"] as number), 0, { combine: (a, b) => a + b, splitEvery: 2 });
    const groups = bag.groupby<string>("MPAA Rating");
    const best = bag.filter((m) => m["IMDB Rating"] !== null).topk(3, "IMDB Rating");
    const ratings = bag.pluck("IMDB Rating").filter((r) => r !== null);
    const [folded, grouped, top, mean, all] = await compute(byGenre, groups, best, ratings.mean(), bag);

    expect(all).toEqual(movies);
    const refFold = new Map<string, number>();
    for (const m of movies) if (m["US Gross"] !== null) refFold.set(genre(m), (refFold.get(genre(m)) ?? 0) + (m["US Gross"] as number));
    expect(new Map(folded as [string, number][])).toEqual(refFold);

    const refGroups = new Map<unknown, number>();
    for (const m of movies) refGroups.set(m["MPAA Rating"], (refGroups.get(m["MPAA Rating"]) ?? 0) + 1);
    expect(new Map((grouped as [unknown, Movie[]][]).map(([k, v]) => [k, v.length]))).toEqual(refGroups);

    const rated = movies.filter((m) => m["IMDB Rating"] !== null);
    expect((top as Movie[]).map((m) => m["IMDB Rating"])).toEqual(rated.map((m) => m["IMDB Rating"] as number).sort((a, b) => b - a).slice(0, 3));
    const refMean = rated.reduce((s, m) => s + (m["IMDB Rating"] as number), 0) / rated.length;
    expect(mean as number).toBeCloseTo(refMean, 12);
  });

  test("fromSequence, sum, min, max, distinct of objects, toDataFrame", async () => {
    const b = db.fromSequence(Array.from({ length: 100 }, (_, i) => i), { npartitions: 7 });
    expect(b.npartitions).toBe(7);
    const [s, lo, hi, n] = await compute(b.sum(), b.min(), b.max(), b.count());
    expect([s, lo, hi, n]).toEqual([4950, 0, 99, 100]);
    const objs = db.fromSequence([{ a: 1 }, { a: 2 }, { a: 1 }, { a: 3 }], { npartitions: 3 });
    expect(await objs.distinct().compute()).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    const df = await objs.map((o) => ({ ...o, b: o.a * 2 })).toDataFrame();
    expect(df.columns).toEqual(["a", "b"]);
    expect(df.npartitions).toBe(3);
    expect((await df.compute()).numRows).toBe(4);
    expect(await b.map((x) => x * k, { captures: { k: 3 } }).sum().compute({ scheduler: "sync" })).toBe(14850);
  });

  test("errors name the culprit", async () => {
    const b = db.fromSequence([1, 2, 3]);
    const outside = 5;
    expect(() => b.map((x) => x + outside)).toThrow("outside");
    expect(() => db.readText(join(dir, "nothing-*.txt"))).toThrow("no files match");
    writeFileSync(join(dir, "bad.jsonl"), '{"a": 1}\nnot json\n');
    await expect(db.readJson(join(dir, "bad.jsonl")).compute()).rejects.toThrow("bad.jsonl:2: not a JSON line");
    await expect(db.fromSequence([]).max().compute()).rejects.toThrow("max of an empty bag");
    void readdirSync;
  });
});
