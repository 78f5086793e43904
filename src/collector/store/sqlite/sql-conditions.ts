/**
 * WHERE conditions built from a query's optional fields: a condition and its
 * parameter go in together, only when the field is given, so the SQL and its
 * parameters stay in step.
 */
export class SqlConditions {
  readonly sql: string[] = []
  readonly params: unknown[] = []

  /** `condition` (one `?`) with `value`, turned into the parameter by `param`; nothing when the value is undefined. */
  when<T>(value: T | undefined, condition: string, param: (value: T) => unknown = (v) => v): void {
    if (value === undefined) return
    this.sql.push(condition)
    this.params.push(param(value))
  }

  add(condition: string, ...params: unknown[]): void {
    this.sql.push(condition)
    this.params.push(...params)
  }
}
