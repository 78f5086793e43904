/**
 * Reading query-string parameters with errors a user can act on: each
 * failure names the parameter, what was given and what is allowed.
 */
import { HttpError } from '../../http/http-answer.js'

/** A bad query parameter: a 400 naming it, what was given and what is allowed (on :16686 and on routes other parts mount). */
export class QueryParamError extends HttpError {
  constructor(message: string) {
    super(400, message)
  }
}

export function optionalString(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name)
  return value === null || value === '' ? undefined : value
}

export function optionalNumber(url: URL, name: string, what = 'a number'): number | undefined {
  const raw = optionalString(url, name)
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!Number.isFinite(value)) throw new QueryParamError(`${name}=${JSON.stringify(raw)} is not ${what}`)
  return value
}

/**
 * The latest time, and the longest duration, the store can compare against:
 * it keeps nanoseconds in signed 64-bit integers, so 2^63 ns (the year 2262).
 * Anything beyond is not a search anyone means, and would not fit the query.
 */
export const MAX_UNIX_MS = 9_223_372_036_854
export const MAX_DURATION_MS = MAX_UNIX_MS

/** A number from `min` to `max`; `what` says what it counts ("a Unix time in milliseconds"). */
export function optionalInRange(url: URL, name: string, min: number, max: number, what: string): number | undefined {
  const value = optionalNumber(url, name, what)
  if (value !== undefined) checkRange(name, value, min, max, what)
  return value
}

/** Throws QueryParamError naming the parameter and the allowed range unless min <= value <= max. */
export function checkRange(name: string, value: number, min: number, max: number, what: string): void {
  if (!(value >= min && value <= max)) throw new QueryParamError(`${name}=${value} is out of range: use ${what} from ${min} to ${max}`)
}

/** A Unix time in milliseconds, from 1970 to 2^63 ns. */
export function optionalUnixMs(url: URL, name: string): number | undefined {
  return optionalInRange(url, name, 0, MAX_UNIX_MS, 'a Unix time in milliseconds')
}

export function optionalNonNegative(url: URL, name: string, what: string): number | undefined {
  return optionalInRange(url, name, 0, MAX_DURATION_MS, what)
}

export function limitParam(url: URL, name: string, defaultValue: number, max: number): number {
  const raw = optionalString(url, name)
  if (raw === undefined) return defaultValue
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > max) throw new QueryParamError(`${name}=${JSON.stringify(raw)} must be a whole number from 1 to ${max}`)
  return value
}

export function booleanParam(url: URL, name: string): boolean | undefined {
  const raw = optionalString(url, name)
  if (raw === undefined) return undefined
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  throw new QueryParamError(`${name}=${JSON.stringify(raw)} must be true or false`)
}

/** Repeated `name=key=value` parameters (the first '=' of the value splits key from value). */
export function keyValueParams(url: URL, name: string): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = []
  for (const raw of url.searchParams.getAll(name)) {
    if (raw === '') continue
    const eq = raw.indexOf('=')
    if (eq <= 0) throw new QueryParamError(`${name}=${JSON.stringify(raw)} must be key=value`)
    out.push({ key: raw.slice(0, eq), value: raw.slice(eq + 1) })
  }
  return out
}

/** A trace id: 32 hex digits; shorter ids (64-bit Jaeger/B3 ids) are left-padded with zeros. */
export function normalizeTraceId(raw: string): string | undefined {
  if (!/^[0-9a-fA-F]{1,32}$/.test(raw)) return undefined
  const id = raw.toLowerCase().padStart(32, '0')
  return /^0+$/.test(id) ? undefined : id
}

export function requireTraceId(raw: string, name = 'traceId'): string {
  const id = normalizeTraceId(raw)
  if (id === undefined) throw new QueryParamError(`${name} ${JSON.stringify(raw)} is not a trace id: use 32 hex digits (16 are padded), not all zero`)
  return id
}

export function optionalSpanId(url: URL, name: string): string | undefined {
  const raw = optionalString(url, name)
  return raw === undefined ? undefined : requireSpanId(raw, name)
}

export function requireSpanId(raw: string, name = 'spanId'): string {
  if (!/^[0-9a-fA-F]{16}$/.test(raw)) throw new QueryParamError(`${name}=${JSON.stringify(raw)} is not a span id: use 16 hex digits`)
  return raw.toLowerCase()
}
