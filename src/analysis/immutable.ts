/**
 * The read-only view of a schema's output. The data types of the plan, the status and the gate
 * results are inferred from their zod schemas, and callers must not mutate them (they are recorded
 * in orchestration history and replayed). zod's own `.readonly()` would also freeze every parsed
 * value at run time; this only changes the type. Written here because it is one line and the
 * libraries that offer it (type-fest) are ES-module-only, which this CommonJS build cannot import.
 */
// A mapped type over an array or tuple keeps its shape (a tuple stays a tuple, made readonly).
export type Immutable<T> = T extends readonly unknown[]
  ? { readonly [K in keyof T]: Immutable<T[K]> }
  : T extends object
    ? { readonly [K in keyof T]: Immutable<T[K]> }
    : T;
