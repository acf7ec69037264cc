/**
 * Shipping a user's function to worker threads (DESIGN idea 1).
 *
 * A task cannot hold a closure: it runs in another thread. So a function from
 * `delayed(fn)`, `client.submit(fn, …)` or `mapPartitions(fn)` travels as its source text
 * and is compiled again in the worker (`compile.ts`). That only works when everything the
 * source mentions exists over there too: its own parameters and locals, globals every
 * worker has, and values the user captures explicitly. `shipFunction` checks this on the
 * sending side, before anything runs, by parsing the source (acorn) and asking a scope
 * analyser (periscopic) for its free identifiers; whatever is left over is named in the
 * error, with the two ways to fix it.
 */
import { createHash, type Hash } from "node:crypto";
import { types } from "node:util";
import { Worker } from "node:worker_threads";
import { parse, type Options as AcornOptions } from "acorn";
import { analyze } from "periscopic";
import type * as ESTree from "estree";
import type { SourceFnRef } from "./compile.js";
import { UnshippableFunctionError } from "./errors.js";

/** Any function, whatever its parameters (`never[]` accepts every parameter list). */
export type AnyFunction = (...args: never[]) => unknown;

export interface ShipOptions {
  /** Values the function reads by name; they travel with it (structured-cloneable only). */
  captures?: Record<string, unknown>;
  /** Display name for progress bars and errors; defaults to the function's own name. */
  name?: string;
}

/**
 * Describe `fn` so a worker thread can rebuild it: source, captures and a content id.
 * Throws `UnshippableFunctionError` when the function could not work there.
 */
export function shipFunction(fn: AnyFunction, opts: ShipOptions = {}): SourceFnRef {
  if (typeof fn !== "function") throw new TypeError(`shipFunction expects a function, got ${typeof fn}`);
  const name = opts.name ?? (fn.name || "lambda");
  let analysis = analyses.get(fn);
  if (!analysis) {
    analysis = analyse(fn, name);
    analyses.set(fn, analysis);
  }
  const label = describe(name, analysis.source);

  const captureNames = Object.keys(opts.captures ?? {});
  for (const capture of captureNames) checkCaptureName(capture, name, label);

  if (analysis.lexical.length > 0) throw lexicalError(analysis.lexical, name, label);
  const globals = workerGlobalNames();
  const free = analysis.freeNames.filter((n) => !captureNames.includes(n) && !globals.has(n));
  if (free.length > 0) throw freeVariableError(free, name, label);

  // The captures travel as a snapshot taken now: what the id hashes is what the worker sees,
  // even if the caller mutates the original object afterwards.
  // (`fromEntries` defines own properties, so even a capture named `__proto__` stays a capture.)
  const captures =
    captureNames.length > 0
      ? Object.fromEntries(
          captureNames.map((capture) => [capture, cloneCapture(capture, opts.captures![capture], name, label)]),
        )
      : undefined;

  const ref: SourceFnRef = { kind: "source", id: contentId(analysis.source, captures), name, source: analysis.source };
  if (captures) ref.captures = captures;
  return ref;
}

// ---------------------------------------------------------------------------------------
// Reading the source: which identifiers does the function need from outside?

interface Analysis {
  /** `fn.toString()`: what the worker compiles. */
  source: string;
  /** Identifiers read but never declared inside, in source order (globals not yet removed). */
  freeNames: string[];
  /** `this`, `super`, `new.target` or `arguments` that belong to code around the function. */
  lexical: string[];
}

/** Parsed once per function object: shipping the same function again skips the parser. */
const analyses = new WeakMap<AnyFunction, Analysis>();

// Parsed as strict code, as `compile.ts` compiles it; the prefix is a directive, not a statement
// the function can see.
const STRICT = '"use strict";\n';
const ACORN: AcornOptions = { ecmaVersion: "latest", sourceType: "script", locations: false };

function analyse(fn: AnyFunction, name: string): Analysis {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    const bound = fn.name.startsWith("bound ");
    throw new UnshippableFunctionError(
      bound
        ? `Cannot ship \`${name}\` to worker threads: it is a bound function, whose source is not available. ` +
            `Wrap it in an arrow function that does the call, e.g. (x) => g(x), and pass or capture what it needs.`
        : `Cannot ship \`${name}\` to worker threads: it is a native function, whose source is not available. ` +
            `Wrap it in an arrow function that calls it, e.g. (a, b) => Math.max(a, b).`,
      { functionName: name },
    );
  }
  const label = describe(name, source);
  const { program, fnNode } = parseFunction(source, name, label);

  const lexical = lexicalEscapes(fnNode);
  // The whole program, not just the function: a method's computed key (`[key]() {…}`) is
  // evaluated in the worker too.
  declareImplicitBindings(program);
  const { globals } = analyze(program);
  const free = [...globals].sort(([, a], [, b]) => startOf(a) - startOf(b)).map(([n]) => n);
  // Outside a non-arrow function, `arguments` would be the compiled wrapper's arguments.
  if (free.includes("arguments")) lexical.push("arguments");
  return { source, freeNames: free.filter((n) => n !== "arguments"), lexical };
}

/**
 * The function node of `source`. `toString()` gives an expression for arrows and
 * `function`s, but bare `f(x) { … }` for object and class methods, which only parses
 * inside an object literal (the same wrapping `compile.ts` uses).
 */
function parseFunction(source: string, name: string, label: string): { program: ESTree.Program; fnNode: ESTree.Function } {
  let expressionError: unknown;
  try {
    const program = parse(`${STRICT}(${source}\n)`, ACORN) as unknown as ESTree.Program;
    const node = (program.body[1] as ESTree.ExpressionStatement).expression;
    if (node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression") return { program, fnNode: node };
    if (node.type === "ClassExpression") {
      throw new UnshippableFunctionError(
        `Cannot ship \`${name}\` to worker threads: it is a class, not a function. ` +
          `Ship a function that constructs and uses it, with the class defined inside.`,
        { functionName: name },
      );
    }
    expressionError = new SyntaxError(`source is a ${node.type}, not a function`);
  } catch (error) {
    if (error instanceof UnshippableFunctionError) throw error;
    expressionError = error;
  }
  let methodError: unknown;
  try {
    const program = parse(`${STRICT}({${source}\n})`, ACORN) as unknown as ESTree.Program;
    const object = (program.body[1] as ESTree.ExpressionStatement).expression as ESTree.ObjectExpression;
    const property = object.properties.length === 1 ? object.properties[0] : undefined;
    if (property?.type === "Property" && (property.kind === "get" || property.kind === "set")) {
      throw new UnshippableFunctionError(
        `Cannot ship \`${name}\` to worker threads: it is a ${property.kind}ter, not a function to call. ` +
          `Ship an arrow function that does the work instead.`,
        { functionName: name },
      );
    }
    if (property?.type === "Property" && property.method && property.value.type === "FunctionExpression") {
      return { program, fnNode: property.value };
    }
  } catch (error) {
    if (error instanceof UnshippableFunctionError) throw error;
    methodError = error;
  }
  // Report the reading that got further: that is the one that matched the source's shape.
  const reached = (error: unknown): number => (error as { pos?: number } | undefined)?.pos ?? -1;
  const error = reached(methodError) > reached(expressionError) ? methodError : expressionError;
  const hint = source.includes("#")
    ? " Private class members (#x) cannot travel; use a plain function or arrow function."
    : " Shipped functions are compiled as strict-mode code.";
  throw new UnshippableFunctionError(
    `Cannot ship ${label} to worker threads: its source could not be read as a function ` +
      `(${readingError(error)}).${hint}`,
    { functionName: name },
    { cause: error },
  );
}

/** The parser's message without its position, which counts our wrapping, not the user's lines. */
const readingError = (error: unknown): string =>
  ((error as Error | undefined)?.message ?? "unknown shape").replace(/\s*\(\d+:\d+\)$/, "");

type Walkable = ESTree.Node & Record<string, unknown>;

/** The child nodes of an ESTree node, with where they sit, so a caller may replace one. */
function forEachChild(node: ESTree.Node, visit: (child: ESTree.Node, replace: (by: ESTree.Node) => void) => void): void {
  for (const [key, value] of Object.entries(node)) {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (isNode(item)) visit(item, (by) => (value[i] = by));
      });
    } else if (isNode(value)) {
      visit(value, (by) => ((node as Walkable)[key] = by));
    }
  }
}

const isNode = (value: unknown): value is ESTree.Node =>
  typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";

const startOf = (node: ESTree.Node): number => (node as { start?: number }).start ?? 0;

/**
 * `this`, `super` and `new.target` are not identifiers, so a scope analyser does not see
 * them; but they too refer to the code around an arrow function, which stays behind.
 * A non-arrow function binds `this` (undefined when the worker calls it) and `new.target`;
 * a method or class body binds `super`, except the shipped method itself, whose home object
 * does not travel.
 */
function lexicalEscapes(fnNode: ESTree.Function): string[] {
  const found = new Set<string>();
  const visit = (node: ESTree.Node, thisBound: boolean, superBound: boolean, methodValue = false): void => {
    switch (node.type) {
      case "ThisExpression":
        if (!thisBound) found.add("this");
        return;
      case "Super":
        if (!superBound) found.add("super");
        return;
      case "MetaProperty":
        if (node.meta.name === "new" && !thisBound) found.add("new.target");
        return;
      case "FunctionExpression":
      case "FunctionDeclaration":
        thisBound = true;
        superBound = methodValue;
        break;
      case "MethodDefinition":
      case "Property":
        if (node.type === "MethodDefinition" || node.method || node.kind !== "init") {
          if (node.computed) visit(node.key, thisBound, superBound);
          visit(node.value as ESTree.Node, thisBound, superBound, true);
          return;
        }
        break;
      case "ClassBody":
        // Field initialisers and static blocks see the instance (or class) and its super.
        thisBound = true;
        superBound = true;
        break;
    }
    forEachChild(node, (child) => visit(child, thisBound, superBound));
  };
  visit(fnNode, false, false);
  return [...found];
}

/**
 * Make implicit bindings visible to periscopic, which only knows declarations it can see:
 * every non-arrow function declares `arguments`, and a named class expression binds its
 * name inside its own body (`class Node { next() { return new Node() } }`). The tree is
 * ours (parsed for this analysis only), so rewriting it in place is harmless.
 */
function declareImplicitBindings(root: ESTree.Node): void {
  const visit = (node: ESTree.Node, replace?: (by: ESTree.Node) => void): void => {
    if (node.type === "FunctionExpression" || node.type === "FunctionDeclaration") {
      node.params.push({ type: "Identifier", name: "arguments" });
    }
    if (node.type === "ClassExpression" && node.id && replace) {
      // `class C {…}` as an expression ≡ `(() => { class C {…} })()` for scoping purposes.
      const declaration: ESTree.ClassDeclaration = { ...node, type: "ClassDeclaration", id: node.id };
      replace({
        type: "ArrowFunctionExpression",
        params: [],
        expression: false,
        body: { type: "BlockStatement", body: [declaration] },
      });
      forEachChild(declaration, visit);
      return;
    }
    forEachChild(node, visit);
  };
  visit(root);
}

// ---------------------------------------------------------------------------------------
// Which globals every worker has.

/**
 * Names on the global object of a real worker thread, learnt once per process by starting
 * one. Asking this thread's global object would be wrong twice over: a notebook's or test
 * runner's own globals (top-level `var`s, `expect`) live here but not in a worker, and a
 * worker is what runs the code.
 *
 * `process`, `Buffer`, `setTimeout` & co. exist in every worker and are allowed; `process`
 * there is the worker's view (its own `env` copy, `exit()` ends only the worker), which is
 * what a task should see. `require`, `module`, `exports`, `__filename` and `__dirname` are
 * never global: they belong to a CommonJS module's wrapper, and the worker compiles the
 * function outside any module.
 */
export function workerGlobalNames(): ReadonlySet<string> {
  return (workerGlobals ??= probeWorkerGlobals());
}

let workerGlobals: ReadonlySet<string> | undefined;

const MODULE_WRAPPER_NAMES = new Set(["require", "module", "exports", "__filename", "__dirname"]);
const PROBE_CAPACITY = 1 << 16;
const PROBE_TIMEOUT_MS = 30_000;

// Runs as an ES module in a fresh worker, like the worker runtime. It writes the names as
// JSON into the shared buffer and wakes the waiting thread (status word: 1 ok, 2 too long).
const PROBE_SOURCE = `
import { workerData } from "node:worker_threads";
const header = new Int32Array(workerData, 0, 2);
const bytes = new TextEncoder().encode(JSON.stringify(Object.getOwnPropertyNames(globalThis)));
if (bytes.length <= workerData.byteLength - 8) {
  new Uint8Array(workerData, 8).set(bytes);
  header[1] = bytes.length;
  Atomics.store(header, 0, 1);
} else {
  Atomics.store(header, 0, 2);
}
Atomics.notify(header, 0);
`;

function probeWorkerGlobals(): ReadonlySet<string> {
  const shared = new SharedArrayBuffer(8 + PROBE_CAPACITY);
  const header = new Int32Array(shared, 0, 2);
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(PROBE_SOURCE)}`), {
    workerData: shared,
  });
  worker.unref();
  // Shipping is synchronous (graph building calls it), so block until the worker answers;
  // it needs nothing from this thread's event loop to do so.
  Atomics.wait(header, 0, 0, PROBE_TIMEOUT_MS);
  const status = Atomics.load(header, 0);
  if (status !== 1) {
    void worker.terminate();
    throw new Error(
      status === 2
        ? "Could not learn a worker thread's globals: the list did not fit the probe buffer"
        : `Could not learn a worker thread's globals: no answer from a probe worker within ${PROBE_TIMEOUT_MS} ms`,
    );
  }
  const json = new TextDecoder().decode(new Uint8Array(shared, 8, header[1]).slice());
  const names = (JSON.parse(json) as string[]).filter((n) => !MODULE_WRAPPER_NAMES.has(n));
  return new Set(names);
}

// ---------------------------------------------------------------------------------------
// Captured values.

function checkCaptureName(capture: string, name: string, label: string): void {
  let valid = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u.test(capture);
  if (valid) {
    // The pattern admits reserved words (`class`, `eval` in strict code); the parser does not.
    try {
      parse(`${STRICT}let ${capture};`, ACORN);
    } catch {
      valid = false;
    }
  }
  if (!valid) {
    throw new UnshippableFunctionError(
      `Cannot ship ${label} to worker threads: capture \`${capture}\` is not a valid variable name, ` +
        `so the function could not refer to it.`,
      { functionName: name, variables: [capture] },
    );
  }
}

/** The structured clone of a captured value, or an error naming the capture. */
function cloneCapture(capture: string, value: unknown, name: string, label: string): unknown {
  let clone: unknown;
  try {
    clone = structuredClone(value);
  } catch (error) {
    throw new UnshippableFunctionError(
      `Cannot ship ${label} to worker threads: capture \`${capture}\` cannot be structured-cloned ` +
        `(${(error as Error).message}). Captures must be data (numbers, strings, arrays, plain objects, ` +
        `Map, Set, Date, typed arrays…); a function it needs must be defined inside the shipped function.`,
      { functionName: name, variables: [capture] },
      { cause: error },
    );
  }
  // Structured clone keeps an object's own data but not its class: a class instance would
  // arrive as a plain object without its methods and fail later, far from here. Refuse it now.
  const lossy = findClassInstance(value, capture, new Set());
  if (lossy) {
    throw new UnshippableFunctionError(
      `Cannot ship ${label} to worker threads: capture \`${capture}\` holds an instance of class ` +
        `\`${lossy.className}\` at \`${lossy.path}\`; structured cloning would turn it into a plain object ` +
        `without its methods. Capture its data as a plain object and rebuild the instance inside the function.`,
      { functionName: name, variables: [capture] },
    );
  }
  return clone;
}

/**
 * The first object inside `value` whose prototype structured clone would drop (an
 * instance of a user class, or a subclass of a built-in). Built-ins are recognised by a
 * native constructor rather than `instanceof`, which fails across realms (vm contexts).
 */
function findClassInstance(value: unknown, path: string, seen: Set<object>): { path: string; className: string } | undefined {
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
  seen.add(value);
  const proto = Object.getPrototypeOf(value) as { constructor?: unknown } | null;
  if (proto !== null && !isNativeFunction(proto.constructor)) {
    const ctor = proto.constructor as { name?: unknown } | undefined;
    return { path, className: typeof ctor?.name === "string" && ctor.name ? ctor.name : "(anonymous)" };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findClassInstance(value[i], `${path}[${i}]`, seen);
      if (found) return found;
    }
  } else if (types.isMap(value)) {
    for (const [k, v] of value as Map<unknown, unknown>) {
      const found =
        findClassInstance(k, `${path} (a Map key)`, seen) ?? findClassInstance(v, `${path}.get(${String(k)})`, seen);
      if (found) return found;
    }
  } else if (types.isSet(value)) {
    for (const v of value as Set<unknown>) {
      const found = findClassInstance(v, `${path} (a Set member)`, seen);
      if (found) return found;
    }
  } else if (proto === null || Object.getPrototypeOf(proto) === null) {
    for (const [k, v] of Object.entries(value)) {
      const found = findClassInstance(v, `${path}.${k}`, seen);
      if (found) return found;
    }
  }
  return undefined;
}

const isNativeFunction = (f: unknown): boolean =>
  typeof f === "function" && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(f));

// ---------------------------------------------------------------------------------------
// Content id.

/**
 * sha256 (hex) of the source and the captures, fed in a canonical form: object keys sorted,
 * every value tagged with its type and length-prefixed, so equal content gives the same id in
 * every process and different content (even `1` vs `"1"`, or `-0` vs `0`) a different one.
 */
function contentId(source: string, captures: Record<string, unknown> | undefined): string {
  const hash = createHash("sha256");
  hash.update("tessera-fn/1\0");
  feedString(hash, source);
  const names = Object.keys(captures ?? {}).sort();
  hash.update(`captures ${names.length}\0`);
  const seen = new Map<object, number>();
  for (const name of names) {
    feedString(hash, name);
    feedValue(hash, captures![name], seen);
  }
  return hash.digest("hex");
}

function feedString(hash: Hash, s: string): void {
  // UTF-16 code units, not UTF-8: lone surrogates must not collide with U+FFFD.
  hash.update(`${s.length}:`);
  hash.update(Buffer.from(s, "utf16le"));
}

function feedBytes(hash: Hash, tag: string, bytes: Uint8Array): void {
  hash.update(`${tag}${bytes.byteLength}:`);
  hash.update(bytes);
}

/** Only structured-cloneable values reach here (they were cloned before hashing). */
function feedValue(hash: Hash, value: unknown, seen: Map<object, number>): void {
  switch (typeof value) {
    case "undefined":
      hash.update("u");
      return;
    case "boolean":
      hash.update(value ? "T" : "F");
      return;
    case "number":
      hash.update(`n${Object.is(value, -0) ? "-0" : String(value)};`);
      return;
    case "bigint":
      hash.update(`i${value};`);
      return;
    case "string":
      hash.update("s");
      feedString(hash, value);
      return;
    case "object":
      break;
    default:
      throw new TypeError(`cannot hash a ${typeof value}`);
  }
  if (value === null) {
    hash.update("z");
    return;
  }
  // Shared and cyclic structure: the second visit names the first.
  const earlier = seen.get(value);
  if (earlier !== undefined) {
    hash.update(`@${earlier};`);
    return;
  }
  seen.set(value, seen.size);

  if (Array.isArray(value)) {
    hash.update(`a${value.length};`);
    for (const item of value) feedValue(hash, item, seen);
  } else if (types.isArrayBuffer(value) || types.isSharedArrayBuffer(value)) {
    feedBytes(hash, types.isArrayBuffer(value) ? "B" : "S", new Uint8Array(value));
  } else if (ArrayBuffer.isView(value)) {
    feedBytes(hash, `v${Object.prototype.toString.call(value)}`, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  } else if (types.isDate(value)) {
    hash.update(`d${Date.prototype.getTime.call(value)};`);
  } else if (types.isRegExp(value)) {
    const re = value as RegExp;
    hash.update("r");
    feedString(hash, re.source);
    feedString(hash, re.flags);
  } else if (types.isMap(value)) {
    const map = value as Map<unknown, unknown>;
    hash.update(`M${map.size};`); // insertion order is observable, so it is part of the content
    for (const [k, v] of map) {
      feedValue(hash, k, seen);
      feedValue(hash, v, seen);
    }
  } else if (types.isSet(value)) {
    const set = value as Set<unknown>;
    hash.update(`E${set.size};`);
    for (const v of set) feedValue(hash, v, seen);
  } else if (types.isNativeError(value)) {
    const error = value as Error;
    hash.update("e");
    feedString(hash, error.name);
    feedString(hash, error.message);
  } else if (types.isBoxedPrimitive(value)) {
    hash.update(`p${Object.prototype.toString.call(value)}`);
    feedValue(hash, (value as { valueOf(): unknown }).valueOf(), seen);
  } else {
    // Plain objects (and anything else cloneable by its own enumerable data).
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    hash.update(`o${keys.length};`);
    for (const key of keys) {
      feedString(hash, key);
      feedValue(hash, record[key], seen);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Messages.

/** `name` plus the start of its source, so an anonymous arrow is recognisable in a notebook. */
function describe(name: string, source: string): string {
  const flat = source.replace(/\s+/g, " ").trim();
  const excerpt = flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
  return `\`${name}\` (${excerpt})`;
}

const quoteList = (names: readonly string[]): string => names.map((n) => `\`${n}\``).join(", ");

function freeVariableError(free: string[], name: string, label: string): UnshippableFunctionError {
  const them = free.length === 1 ? "it" : "them";
  return new UnshippableFunctionError(
    `Cannot ship ${label} to worker threads: it uses ${quoteList(free)}, defined outside the function. ` +
      `Only the function's source travels to the worker, so pass ${them} as ${free.length === 1 ? "an argument" : "arguments"}, ` +
      `or capture structured-cloneable values, e.g. delayed(${name}, { captures: { ${free.join(", ")} } }). ` +
      `A function it calls must be defined inside the shipped function` +
      (free.includes("require") ? "; a module it needs can be loaded inside with `await import(…)`." : "."),
    { functionName: name, variables: free },
  );
}

function lexicalError(lexical: string[], name: string, label: string): UnshippableFunctionError {
  return new UnshippableFunctionError(
    `Cannot ship ${label} to worker threads: it uses ${quoteList(lexical)} of the code around it ` +
      `(an arrow function's \`this\` and \`arguments\`, and a method's \`super\`, belong to where it was written), ` +
      `which does not travel. Pass the values it needs as arguments or captures.`,
    { functionName: name, variables: lexical },
  );
}
