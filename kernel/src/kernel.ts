/**
 * Starting the kernel process: make the kernel's packages importable from any notebook
 * directory, make interrupts cancel computations, register the engine's display adapters,
 * then serve Jupyter's sockets with tslab's server.
 */
import { closeSharedScheduler } from "@tessera/engine/internal";
import { Client } from "@tessera/engine";

import { registerEngineAdapters } from "./adapters.js";
import { installDefaultSignal } from "./cell-context.js";
import { createConverterSet, TesseraKernel } from "./handler.js";
import { installModuleFallback } from "./module-fallback.js";
import { installProgressDisplay } from "./progress-display.js";
import { TesseraServer } from "./server.js";
import { tslabTypeScriptSys } from "./tslab.js";
import { limitWatchingToOwnSources } from "./watch-scope.js";

export interface KernelOptions {
  /** The connection file Jupyter wrote for this kernel ({connection_file} in kernel.json). */
  connectionFile: string;
}

/** When to set up the converter if no kernel_info_request came (see `startKernel`). */
const CONVERTER_WARM_UP_MS = 1000;

/** How long closing the engine may delay the exit after a shutdown_request. */
const SHUTDOWN_GRACE_MS = 2000;

export async function startKernel({ connectionFile }: KernelOptions): Promise<TesseraServer> {
  // Cells later replace process.stderr.write to send output to the notebook; the kernel's
  // own messages keep going to the real stderr (Jupyter's server log).
  const realStderrWrite = process.stderr.write.bind(process.stderr);
  const log = (line: string): void => void realStderrWrite(`${line}\n`);

  // Both before the converter exists: its compiler host binds the file system functions.
  installModuleFallback();
  limitWatchingToOwnSources(tslabTypeScriptSys());
  installDefaultSignal();
  registerEngineAdapters();
  installProgressDisplay();

  const converters = createConverterSet();
  const kernel = new TesseraKernel(converters);
  const server = new TesseraServer(kernel, connectionFile, log);

  // interrupt_mode is "signal": Jupyter sends SIGINT to the kernel's process group.
  process.on("SIGINT", () => kernel.interrupt());
  // Errors nobody awaited must not kill the kernel; they are shown in the last cell's output
  // and in the kernel's log.
  const report = (what: string, err: unknown): void => {
    log(`tessera-kernel: ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    console.error(`${what}:`, err);
  };
  process.on("uncaughtException", (err) => report("uncaught exception", err));
  process.on("unhandledRejection", (reason) => report("unhandled promise rejection", reason));

  server.onClose = () => {
    const done = Promise.allSettled([Client.current()?.close(), closeSharedScheduler()]);
    const timeout = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
    void Promise.race([done, timeout]).finally(() => process.exit(0));
  };
  // The converter's set-up (TypeScript loading Node's types) blocks for most of a second. It
  // is paid once the front end has its kernel_info_reply and shows the kernel ready, before
  // the first cell (which usually comes later); or after a moment, for a client that does not
  // ask. Whatever needs the converter earlier creates it then.
  const warmUp = (): void => void converters.node;
  server.onFirstKernelInfo = warmUp;
  await server.init();
  setTimeout(warmUp, CONVERTER_WARM_UP_MS);
  return server;
}
