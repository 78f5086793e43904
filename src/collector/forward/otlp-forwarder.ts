/**
 * Forwarding: every stored request is also sent, unchanged, to another OTLP/HTTP
 * endpoint (an OpenTelemetry Collector, a SaaS), so a team can tee tracecar's
 * data. Same rules as the sidecar's exporter (src/export): a bounded queue
 * that drops when full and counts it, a cap on requests in flight, and
 * retries with full-jitter backoff or the receiver's Retry-After, through the
 * exporter's own OtlpHttpSender. Forwarding never slows or fails ingest.
 */
import { OtlpHttpSender } from '../../export/otlp-http-send.js'
import type { OtlpHttpTarget } from '../../export/otlp-http-send.js'
import { ShutdownSignal, ShutdownWatch, createShutdownState } from '../../export/shutdown-watch.js'
import type { IngestTee, RawRequest } from '../receivers/ingest-pipeline.js'

export interface ForwardOptions {
  /** Base URL of the OTLP/HTTP receiver (`http://otel-collector:4318`); /v1/traces and /v1/logs are appended. */
  endpoint: string
  headers?: Record<string, string>
  compression?: 'gzip' | 'none'
  timeoutMs?: number
  /** Spans plus log records waiting; beyond it new requests are dropped (counted). */
  maxQueueRecords?: number
  maxConcurrentRequests?: number
  maxAttempts?: number
  initialBackoffMs?: number
  maxBackoffMs?: number
}

export interface ForwardStats {
  received: number
  forwarded: number
  dropped: { queue_full: number; export_failed: number; rejected: number; shutdown: number }
  lastError: string
}

interface QueuedRequest {
  signal: 'traces' | 'logs'
  raw: RawRequest
  records: number
}

const CONTENT_TYPE = { protobuf: 'application/x-protobuf', json: 'application/json' } as const

export class OtlpForwarder implements IngestTee {
  readonly stats: ForwardStats = { received: 0, forwarded: 0, dropped: { queue_full: 0, export_failed: 0, rejected: 0, shutdown: 0 }, lastError: '' }
  private readonly queue: QueuedRequest[] = []
  private queuedRecords = 0
  private inFlight = 0
  private closed = false
  private onIdle: (() => void) | undefined
  private readonly shutdownSignal: ShutdownSignal
  private readonly senders = new Map<string, OtlpHttpSender>()
  private readonly maxQueueRecords: number
  private readonly maxConcurrent: number

  constructor(
    private readonly options: ForwardOptions,
    private readonly log: (line: string) => void,
  ) {
    let base: URL
    try {
      base = new URL(options.endpoint)
    } catch {
      throw new Error(`forward endpoint ${JSON.stringify(options.endpoint)} is not a URL; use http(s)://host:4318`)
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`forward endpoint ${options.endpoint} must be http:// or https://`)
    this.maxQueueRecords = options.maxQueueRecords ?? 20_000
    this.maxConcurrent = options.maxConcurrentRequests ?? 2
    const state = createShutdownState()
    this.shutdownSignal = new ShutdownSignal(state)
    const watch = new ShutdownWatch(state)
    for (const signal of ['traces', 'logs'] as const) {
      for (const encoding of ['protobuf', 'json'] as const) {
        const target: OtlpHttpTarget = {
          url: new URL(`v1/${signal}`, base.href.endsWith('/') ? base.href : `${base.href}/`).href,
          contentType: CONTENT_TYPE[encoding],
          compression: options.compression ?? 'gzip',
          headers: options.headers ?? {},
          timeoutMs: options.timeoutMs ?? 10_000,
          backoff: { maxAttempts: options.maxAttempts ?? 5, initialBackoffMs: options.initialBackoffMs ?? 1000, maxBackoffMs: options.maxBackoffMs ?? 30_000 },
        }
        // Partial success from the next hop counts against the records of the request.
        const readPartial = (): { rejected: number; message: string } => ({ rejected: 0, message: '' })
        this.senders.set(`${signal}/${encoding}`, new OtlpHttpSender(target, readPartial, watch))
      }
    }
  }

  forward(signal: 'traces' | 'logs', raw: RawRequest, records: number): void {
    this.stats.received += records
    if (this.closed) {
      this.stats.dropped.shutdown += records
      return
    }
    if (this.queuedRecords + records > this.maxQueueRecords) {
      this.stats.dropped.queue_full += records
      return
    }
    this.queue.push({ signal, raw, records })
    this.queuedRecords += records
    this.pump()
  }

  private pump(): void {
    while (this.inFlight < this.maxConcurrent && this.queue.length > 0) {
      const item = this.queue.shift()!
      this.queuedRecords -= item.records
      this.inFlight++
      const sender = this.senders.get(`${item.signal}/${item.raw.encoding}`)!
      sender
        .send(item.raw.body, item.records)
        .then((outcome) => {
          this.stats.forwarded += outcome.delivered
          this.stats.dropped.rejected += outcome.rejected
          if (outcome.stoppedByShutdown) this.stats.dropped.shutdown += outcome.failed
          else this.stats.dropped.export_failed += outcome.failed
          if (outcome.error !== '') this.stats.lastError = outcome.error
        })
        .catch((err: unknown) => {
          this.stats.dropped.export_failed += item.records
          this.stats.lastError = String(err)
        })
        .finally(() => {
          this.inFlight--
          this.pump()
          if (this.inFlight === 0 && this.queue.length === 0) this.onIdle?.()
        })
    }
  }

  /** Sends what is queued for up to `deadlineMs`, then gives the rest up (counted). */
  async close(deadlineMs = 5000): Promise<void> {
    this.closed = true
    this.shutdownSignal.begin(Date.now() + deadlineMs)
    if (this.inFlight > 0 || this.queue.length > 0) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        this.onIdle = resolve
        timer = setTimeout(resolve, deadlineMs + 500)
      })
      clearTimeout(timer)
    }
    this.stats.dropped.shutdown += this.queuedRecords
    this.queue.length = 0
    this.queuedRecords = 0
    for (const sender of this.senders.values()) sender.close()
    const d = this.stats.dropped
    const dropped = d.queue_full + d.export_failed + d.rejected + d.shutdown
    if (this.stats.received > 0) {
      this.log(
        `forwarding to ${this.options.endpoint} stopped: ${this.stats.forwarded} records forwarded, ${dropped} dropped (queue_full ${d.queue_full}, export_failed ${d.export_failed}, rejected ${d.rejected}, shutdown ${d.shutdown})${this.stats.lastError ? `; last error: ${this.stats.lastError}` : ''}`,
      )
    }
  }
}
