/**
 * Values written into ClickHouse SQL as literals. The HTTP interface of the
 * ClickHouse Debian ships (18.16) has no query parameters (`{name:Type}`
 * arrives in 19.x), so every value a user gives goes through here.
 */

/** A string literal: backslash and quote escaped, the rest as is (ClickHouse strings are bytes). */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** An unsigned integer literal from a bigint or a finite number (rounded, never below 0). */
export function sqlUInt(value: bigint | number): string {
  if (typeof value === 'bigint') return (value < 0n ? 0n : value).toString()
  if (!Number.isFinite(value)) throw new RangeError(`${value} is not a finite number`)
  return Math.max(0, Math.round(value)).toString()
}

export function sqlStringList(values: readonly string[]): string {
  return values.map(sqlString).join(', ')
}

/**
 * Ids as string literals, without escaping: only for ids the decoders made hex (the ingest path's
 * trace and span ids), where the escaping of sqlStringList was a regular expression per id.
 */
export function sqlHexList(ids: Iterable<string>): string {
  return `'${[...ids].join("', '")}'`
}
