/** The bag namespace, used like `dask.bag`: `db.fromSequence`, `db.readText`, `db.readJson`. */
export { Bag, fromSequence, readText, readJson, type FunctionOptions, type AggregateOptions, type KeyFunction } from "./bag.js";
