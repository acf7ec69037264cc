// Public API of @tessera/engine. Names follow Dask in TypeScript's camelCase.
export { delayed, Delayed, type DelayedFunction, type DelayedOptions } from "./collections/delayed.js";
export { compute, get, visualize, type ComputeOptions, type VisualizeCollectionsOptions } from "./collections/compute.js";
export { Future, wait, asCompleted, persist, type FutureStatus, type WaitOptions } from "./collections/futures.js";
export { Client, LocalCluster, type LocalClusterOptions, type SubmitOptions } from "./collections/client.js";
export { isCollection, type TesseraCollection, type PersistedKeys } from "./collections/collection.js";
export { TaskError, KilledWorker, CancelledError, LostDataError } from "./scheduler/task-errors.js";
export { UnshippableFunctionError } from "./scheduler/errors.js";
export { closeSharedScheduler } from "./scheduler/default-scheduler.js";
export { tokenize } from "./graph/tokenize.js";
export { visualizeGraph, type VisualizeOptions } from "./graph/visualize.js";
export type { TesseraEvent, EventType, EventStream, WorkerId } from "./diagnostics/events.js";
export type { Key, Task, Graph, FnRef, TaskNode } from "./graph/task.js";
export { DataFrame, Series, GroupBy, SeriesGroupBy, fromArrow, fromRecords, readParquet, type AggName, type AggRequest, type GroupByOptions, type FromOptions, type ReadParquetOptions, type Filters, type FilterOp, type FilterValue, type Predicate, type Scalar, type SeriesReduction } from "./collections/dataframe/index.js";
export * as da from "./collections/array/api.js";
export { ChunkedArray, NDArray } from "./collections/array/api.js";
export * as db from "./collections/bag/api.js";
export { Bag } from "./collections/bag/api.js";
