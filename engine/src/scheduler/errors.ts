/**
 * Errors the scheduler raises. Each names what went wrong in the user's terms
 * (the function, the variable, the key) so a notebook user can act on the message alone.
 */

/**
 * A user function cannot travel to a worker thread: it closes over a variable defined
 * outside it, captures a value that structured clone cannot carry, is native or bound,
 * or its source does not compile. Raised before anything runs.
 */
export class UnshippableFunctionError extends Error {
  /** The display name of the function that cannot ship. */
  readonly functionName: string;
  /** Every variable (or capture) at fault, in source order; empty when the function itself is the problem. */
  readonly variables: readonly string[];
  /** The first of `variables`, or undefined when the function itself is the problem. */
  readonly variable: string | undefined;

  constructor(
    message: string,
    details: { functionName: string; variables?: readonly string[] },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "UnshippableFunctionError";
    this.functionName = details.functionName;
    this.variables = details.variables ?? [];
    this.variable = this.variables[0];
  }
}
