// Public API of @tessera/engine. Names follow Dask (camelCase).
export type { Key, Task, Graph, FnRef, TaskNode } from "./graph/task.js";
