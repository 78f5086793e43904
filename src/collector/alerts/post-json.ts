/**
 * POSTs a JSON body with a deadline and a few retries (network errors, 429,
 * 5xx), for the alert notifiers. Never throws: resolves to what happened so
 * the caller can log it; an alert engine must not stop over a dead receiver.
 */
export interface PostResult {
  ok: boolean
  status: number
  attempts: number
  error: string
}

export interface PostOptions {
  timeoutMs?: number
  maxAttempts?: number
  backoffMs?: number
  headers?: Record<string, string>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref())

export async function postJson(url: string, body: unknown, options: PostOptions = {}): Promise<PostResult> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3)
  const text = JSON.stringify(body)
  let last: PostResult = { ok: false, status: 0, attempts: 0, error: '' }
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: text,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      })
      const answer = await res.text().catch(() => '')
      if (res.ok) return { ok: true, status: res.status, attempts: attempt, error: '' }
      last = { ok: false, status: res.status, attempts: attempt, error: `HTTP ${res.status}${answer === '' ? '' : `: ${answer.slice(0, 200)}`}` }
      if (res.status !== 429 && res.status < 500) return last
    } catch (err) {
      last = { ok: false, status: 0, attempts: attempt, error: (err as Error).message }
    }
    if (attempt < maxAttempts) await sleep((options.backoffMs ?? 500) * 2 ** (attempt - 1))
  }
  return last
}
