// Public API of @tessera/kernel: what other packages and notebooks may use of the kernel.
export { mimeBundleOf, plainText, registerDisplayAdapter, MIME_BUNDLE, type DisplayAdapter, type MimeBundle, type MimeData } from "./display.js";
export { engineDisplayAdapter, registerEngineAdapters, isGraphDrawing } from "./adapters.js";
export { errorContent, compileErrorContent, type ErrorContent } from "./errors.js";
export { kernelSpec, installKernelspec, KERNEL_NAME, type KernelSpec, type InstallLocation, type InstallOptions } from "./kernelspec.js";
export { currentCell, defaultSignal, type CellContext } from "./cell-context.js";
