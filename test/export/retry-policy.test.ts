import t from 'tap'
import { backoffDelayMs, isRetryableStatus, parseRetryAfterMs, RETRY_AFTER_CAP_MS } from '../../src/export/retry-policy.js'

t.test('retryable statuses are exactly the OTLP/HTTP ones', async (t) => {
  for (const status of [429, 502, 503, 504]) t.ok(isRetryableStatus(status), `${status} is retried`)
  for (const status of [400, 401, 403, 404, 413, 500, 501]) t.notOk(isRetryableStatus(status), `${status} is not`)
})

t.test('backoff doubles its ceiling per retry, capped, with full jitter', async (t) => {
  const policy = { maxAttempts: 10, initialBackoffMs: 100, maxBackoffMs: 1000 }
  t.equal(
    backoffDelayMs(policy, 1, () => 0.999999),
    99,
    'first retry: up to initialBackoffMs',
  )
  t.equal(
    backoffDelayMs(policy, 2, () => 0.999999),
    199,
  )
  t.equal(
    backoffDelayMs(policy, 3, () => 0.999999),
    399,
  )
  t.equal(
    backoffDelayMs(policy, 9, () => 0.999999),
    999,
    'never above maxBackoffMs',
  )
  t.equal(
    backoffDelayMs(policy, 3, () => 0),
    0,
    'full jitter reaches down to zero',
  )
})

t.test('Retry-After: delta-seconds, HTTP-date, garbage, and the cap', async (t) => {
  const now = Date.parse('2024-05-01T12:00:00Z')
  t.equal(parseRetryAfterMs('3', now), 3000)
  t.equal(parseRetryAfterMs(['2'], now), 2000)
  t.equal(parseRetryAfterMs('Wed, 01 May 2024 12:00:05 GMT', now), 5000)
  t.equal(parseRetryAfterMs('Wed, 01 May 2024 11:00:00 GMT', now), 0, 'a date in the past means now')
  t.equal(parseRetryAfterMs('86400', now), RETRY_AFTER_CAP_MS, 'a day is capped')
  t.equal(parseRetryAfterMs('soon', now), undefined)
  t.equal(parseRetryAfterMs(undefined, now), undefined)
  t.equal(parseRetryAfterMs('-5', now), undefined)
})
