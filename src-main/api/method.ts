/**
 * How a station API method is declared: its params schema (validated at run
 * time by the brain) and its result type. Results are the brain's own objects,
 * so the result is a type only; `returns<T>()` carries it without a value.
 */
export function returns<T>(): T {
  // The table's `result` is never read at run time: only its type is.
  return undefined as T;
}
