// Every module that registers built-in kernels is imported here; worker threads import this file.
import "./basic.js";
import "./dataframe.js";
export { getKernel, registerKernel, kernelNames } from "./registry.js";
import "./array.js";
import "./bag.js";
