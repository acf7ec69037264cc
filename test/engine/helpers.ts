/** Shared helpers of the engine suites. */

/** Poll until `cond` holds; fails the test with `what` after `ms`. Waits only: not a timing assertion. */
export async function eventually(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`still waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
