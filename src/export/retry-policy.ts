/**
 * When to retry an OTLP export and how long to wait: pure functions, no I/O.
 *
 * Follows the OTLP/HTTP spec ("Retryable Response Codes"): 429, 502, 503 and
 * 504 are worth retrying, as are network errors and timeouts; any other 4xx or
 * 5xx means the collector will not take this payload, so retrying only costs
 * the collector more work.
 */

export interface BackoffPolicy {
  /** Attempts per batch including the first. */
  maxAttempts: number
  initialBackoffMs: number
  maxBackoffMs: number
}

/**
 * A collector may ask for a long pause; we honour it, but not beyond this, so a
 * bad header cannot park a batch (and its concurrency slot) for hours.
 */
export const RETRY_AFTER_CAP_MS = 60_000

const RETRYABLE_STATUS = new Set([429, 502, 503, 504])

export function isRetryableStatus(statusCode: number): boolean {
  return RETRYABLE_STATUS.has(statusCode)
}

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential
 * Backoff And Jitter"): a uniform pick in [0, min(max, initial * 2^(n-1))], so
 * that many sidecars whose collector came back do not retry in lockstep.
 * `retryNumber` is 1 for the first retry.
 */
export function backoffDelayMs(policy: BackoffPolicy, retryNumber: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(retryNumber - 1, 0), 30)
  const ceilingMs = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** exponent)
  return Math.floor(random() * ceilingMs)
}

/**
 * Parses an HTTP `Retry-After` value: delta-seconds or an HTTP-date.
 * Returns the wait in milliseconds (capped at RETRY_AFTER_CAP_MS), or
 * undefined when the header is absent or unreadable (the caller then uses
 * its own backoff).
 */
export function parseRetryAfterMs(value: string | string[] | undefined, nowUnixMs: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (raw === undefined) return undefined
  const text = raw.trim()
  if (text === '') return undefined
  let waitMs: number
  if (/^\d+$/.test(text)) {
    waitMs = Number(text) * 1000
  } else {
    // An HTTP-date always names a day and month; without letters, Date.parse
    // would read '-5' as a year.
    if (!/[a-z]/i.test(text)) return undefined
    const dateMs = Date.parse(text)
    if (Number.isNaN(dateMs)) return undefined
    waitMs = dateMs - nowUnixMs
  }
  return Math.min(Math.max(waitMs, 0), RETRY_AFTER_CAP_MS)
}
