/**
 * Turning a shipped function (`FnRef` of kind "source") back into a callable.
 *
 * This runs inside every worker thread and in the sync scheduler, so it stays small and
 * does not load the parser: `shipFunction` has already parsed and checked the source on
 * the sending side. Here we only rebuild it with `new Function`, binding the captured
 * values as parameters of an outer function so the source sees them as variables.
 */
import type { FnRef } from "../graph/task.js";
import { UnshippableFunctionError } from "./errors.js";

/** The `FnRef` variant that carries a user function's source. */
export type SourceFnRef = Extract<FnRef, { kind: "source" }>;

/** A compiled user function. */
export type CompiledFunction = (...args: unknown[]) => unknown;

/**
 * Stack frames of a compiled function name it `tessera-function:<id>` (a `sourceURL`), so a
 * front end holding the original function can point them at the user's own code. Line 1 of
 * the source is line `SHIPPED_SOURCE_FIRST_LINE` of that code, columns unchanged.
 */
export const SHIPPED_FUNCTION_URL = "tessera-function:";

/** The body `new Function` gets: the source on lines of its own, then where it comes from. */
function functionBody(ref: Pick<SourceFnRef, "id" | "source">, method: boolean): string {
  const [open, close] = method ? ["({", "})"] : ["(", ")"];
  return `"use strict";\nreturn ${open}\n${ref.source}\n${close};\n//# sourceURL=${SHIPPED_FUNCTION_URL}${encodeURIComponent(ref.id)}`;
}

// V8 puts a header of its own before the body; measured rather than assumed.
export const SHIPPED_SOURCE_FIRST_LINE = ((): number => {
  const marker = "/*source*/";
  const code = new Function(functionBody({ id: "probe", source: `${marker}0` }, false)).toString();
  return code.slice(0, code.indexOf(marker)).split("\n").length;
})();

/** Compiled functions by content id: a worker compiles each shipped function once. */
const compiled = new Map<string, CompiledFunction>();

/**
 * The callable for a shipped function, compiled on first use and cached by `ref.id`.
 * Throws `UnshippableFunctionError` (naming the function) when the source does not compile.
 */
export function compileFunction(ref: SourceFnRef): CompiledFunction {
  const cached = compiled.get(ref.id);
  if (cached) return cached;
  const fn = build(ref);
  compiled.set(ref.id, fn);
  return fn;
}

function build(ref: SourceFnRef): CompiledFunction {
  const names = Object.keys(ref.captures ?? {});
  const values = names.map((name) => ref.captures![name]);
  // Strict mode: the code was written in an ES module (strict) or emitted by a compiler
  // that adds "use strict", and it makes `this` undefined in a plainly called function
  // instead of the worker's global object. The newline before `)` keeps a trailing line
  // comment from swallowing the parenthesis.
  let factory: (...captured: unknown[]) => unknown;
  let methodShorthand = false;
  try {
    factory = new Function(...names, functionBody(ref, false)) as typeof factory;
  } catch (expressionError) {
    if (!isSyntaxError(expressionError)) throw expressionError;
    // `f(x) { … }` (an object or class method's toString) is not an expression on its own;
    // inside an object literal it is. Nothing else is declared in that scope, so the
    // method still sees exactly the captures and the globals.
    try {
      factory = new Function(...names, functionBody(ref, true)) as typeof factory;
      methodShorthand = true;
    } catch {
      throw new UnshippableFunctionError(
        `Cannot compile shipped function \`${ref.name}\`: ${messageOf(expressionError)}`,
        { functionName: ref.name },
        { cause: expressionError },
      );
    }
  }

  let fn = factory(...values);
  if (methodShorthand) {
    const home = fn as object;
    const key = Reflect.ownKeys(home)[0];
    fn = key === undefined ? undefined : Object.getOwnPropertyDescriptor(home, key)?.value;
  }
  if (typeof fn !== "function") {
    throw new UnshippableFunctionError(
      `Cannot compile shipped function \`${ref.name}\`: its source does not evaluate to a function.`,
      { functionName: ref.name },
    );
  }
  return fn as CompiledFunction;
}

// By name rather than `instanceof`: the error may come from another realm (a vm context).
const isSyntaxError = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { name?: unknown }).name === "SyntaxError";

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string"
    ? (error as { message: string }).message
    : String(error);
