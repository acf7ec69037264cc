// Internals for tests and for sibling packages (kernel, labextension). Not a stable API.
export * from "./graph/task.js";
