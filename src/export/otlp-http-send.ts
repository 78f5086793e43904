/**
 * One OTLP/HTTP export with retries: POST an encoded body, retry what the
 * OTLP spec calls retryable with backoff (or the collector's Retry-After),
 * read partial success. Runs in export workers; never throws, it returns a
 * BatchOutcome.
 */
import { gzip } from 'node:zlib'
import { promisify } from 'node:util'
import http from 'node:http'
import https from 'node:https'
import type { IncomingHttpHeaders } from 'node:http'
import type { BatchOutcome } from './export-task.js'
import { backoffDelayMs, isRetryableStatus, parseRetryAfterMs } from './retry-policy.js'
import type { BackoffPolicy } from './retry-policy.js'
import type { ShutdownWatch } from './shutdown-watch.js'

const gzipAsync = promisify(gzip)

/**
 * zlib level 1: for OTLP span batches it costs less than half of the default
 * level 6 per span and the body is only ~5% larger (bench/otlp-encode.bench.js:
 * 2.4 vs 5.7 µs/span, 108 vs 103 B/span); level 3 was no smaller than 1.
 */
const GZIP_OPTIONS = { level: 1 }

/** The longest collector error body we quote in an error message. */
const ERROR_BODY_QUOTE_CHARS = 200

/**
 * How much of a collector's answer is read: a partial-success answer is a few
 * hundred bytes, and a misbehaving endpoint must not fill the worker's memory.
 */
const MAX_ANSWER_BYTES = 1024 * 1024

/** How long an idle keep-alive connection to the collector stays open. */
const KEEP_ALIVE_IDLE_MS = 10_000

export interface OtlpHttpTarget {
  url: string
  contentType: string
  compression: 'gzip' | 'none'
  headers: Record<string, string>
  timeoutMs: number
  backoff: BackoffPolicy
}

export type PartialSuccessReader = (body: Uint8Array, contentType: string) => { rejected: number; message: string }

type AttemptResult =
  { kind: 'ok'; rejected: number; message: string } | { kind: 'retry'; retryAfterMs: number | undefined; error: string } | { kind: 'refused'; error: string }

/**
 * Node's own http client, not undici: a worker isolate that loads undici
 * (and compiles its llhttp WebAssembly) is ~15 MiB larger, and every
 * sidecar pays that; node:http is in Node's snapshot already (~1 MiB). One
 * POST at a time per batch needs none of undici's speed.
 */
export class OtlpHttpSender {
  private readonly url: URL
  private readonly client: typeof http | typeof https
  // One keep-alive pool per worker thread; the collector sees few connections.
  private readonly agent: http.Agent

  constructor(
    private readonly target: OtlpHttpTarget,
    private readonly readPartialSuccess: PartialSuccessReader,
    private readonly shutdown: ShutdownWatch,
  ) {
    this.url = new URL(target.url)
    this.client = this.url.protocol === 'https:' ? https : http
    // An agent's timeout closes only idle (free) sockets; a request's own deadline is attemptTimeoutMs.
    this.agent = new this.client.Agent({ keepAlive: true, maxSockets: 8, timeout: KEEP_ALIVE_IDLE_MS })
  }

  async send(body: Uint8Array, itemCount: number): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { delivered: 0, rejected: 0, failed: itemCount, stoppedByShutdown: false, attempts: 0, error: '' }
    let payload: Uint8Array
    try {
      payload = this.target.compression === 'gzip' ? await gzipAsync(body, GZIP_OPTIONS) : body
    } catch (err) {
      outcome.error = `could not gzip the export body: ${describeError(err)}`
      return outcome
    }
    const { maxAttempts } = this.target.backoff
    for (let attempt = 1; ; attempt++) {
      const timeoutMs = this.attemptTimeoutMs()
      if (timeoutMs <= 0) {
        outcome.stoppedByShutdown = true
        return outcome
      }
      outcome.attempts = attempt
      const result = await this.attempt(payload, timeoutMs)
      if (result.kind === 'ok') {
        const rejected = Math.min(result.rejected, itemCount)
        outcome.delivered = itemCount - rejected
        outcome.rejected = rejected
        outcome.failed = 0
        if (rejected > 0) outcome.error = `collector accepted the batch partially, rejecting ${rejected} of ${itemCount}: ${result.message || '(no message)'}`
        return outcome
      }
      outcome.error = result.error
      if (result.kind === 'refused') {
        outcome.rejected = itemCount
        outcome.failed = 0
        return outcome
      }
      if (attempt >= maxAttempts) return outcome
      const waitMs = result.retryAfterMs ?? backoffDelayMs(this.target.backoff, attempt)
      const waited = await this.shutdown.sleepUnlessPastDeadline(waitMs)
      if (!waited) {
        outcome.stoppedByShutdown = true
        return outcome
      }
    }
  }

  /** Closes the keep-alive connections (the collector's forwarder, when it stops). */
  close(): void {
    this.agent.destroy()
  }

  /** The per-request timeout, shortened to the shutdown deadline once shutdown began. */
  private attemptTimeoutMs(): number {
    const leftMs = this.shutdown.msUntilDeadline()
    return Math.min(this.target.timeoutMs, leftMs)
  }

  private async attempt(payload: Uint8Array, timeoutMs: number): Promise<AttemptResult> {
    const headers: Record<string, string | number> = {
      ...this.target.headers,
      'content-type': this.target.contentType,
      'content-length': payload.byteLength,
      'user-agent': 'tracecar-exporter',
    }
    if (this.target.compression === 'gzip') headers['content-encoding'] = 'gzip'
    try {
      const answer = await this.post(payload, headers, timeoutMs)
      const { status } = answer
      if (status >= 200 && status < 300) {
        const contentType = String(answer.headers['content-type'] ?? this.target.contentType)
        return { kind: 'ok', ...this.readPartialSuccess(answer.body, contentType) }
      }
      const quoted = answer.body.subarray(0, ERROR_BODY_QUOTE_CHARS).toString('utf8').replace(/\s+/g, ' ').trim()
      const error = `collector at ${this.target.url} answered HTTP ${status}${quoted ? `: ${quoted}` : ''}`
      if (isRetryableStatus(status)) return { kind: 'retry', retryAfterMs: parseRetryAfterMs(answer.headers['retry-after']), error }
      return { kind: 'refused', error }
    } catch (err) {
      return { kind: 'retry', retryAfterMs: undefined, error: `POST ${this.target.url} failed: ${describeError(err)}` }
    }
  }

  /** One POST; resolves with the whole answer, rejects on any failure before its end (the timeout included). */
  private post(payload: Uint8Array, headers: Record<string, string | number>, timeoutMs: number): Promise<CollectorAnswer> {
    return new Promise((resolve, reject) => {
      const req = this.client.request(this.url, { method: 'POST', headers, agent: this.agent, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
        const chunks: Buffer[] = []
        let bytes = 0
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes <= MAX_ANSWER_BYTES) chunks.push(chunk)
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
        // A connection lost mid-answer ends neither with 'end' nor always with 'error'.
        res.on('close', () => {
          if (!res.complete) reject(new Error('the connection closed before the answer ended'))
        })
      })
      req.on('error', reject)
      req.end(payload)
    })
  }
}

interface CollectorAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer in time (${err.message})`
    const code = (err as { code?: unknown }).code
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : ''
    return `${typeof code === 'string' ? `${code}: ` : ''}${err.message}${cause}`
  }
  return String(err)
}
