/**
 * The one pool of OTLP export workers in a process, shared by the span
 * exporter and the access log's log exporter, and where its worker file lives.
 *
 * Each exporter attaches for its signal (`attach`) and gets an
 * `ExportChannel`: it sends its batches through it, begins its own shutdown
 * on it (its signal's deadline only: the other signal keeps retrying), and
 * releases it when its queue is flushed. The workers start with the first
 * batch of either signal, and are destroyed when the last exporter attached
 * releases its channel, so neither signal's flush is cut by the other's
 * shutdown.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Worker } from 'node:worker_threads'
import { Piscina } from 'piscina'
import type { ExporterConfig } from '../config/proxy-config.js'
import type { ResourceAttributes } from '../span/span-record.js'
import { EXPORT_SIGNALS } from './export-task.js'
import type { BatchOutcome, ExportSignal, ExportTask, WorkerSettings } from './export-task.js'
import type { OtlpProtocol } from './otlp-content-type.js'
import { createShutdownState, ShutdownSignal } from './shutdown-watch.js'

/**
 * The worker module beside this one, with this module's own extension: `.js`
 * when running the compiled dist/, `.ts` when running the sources under tsx
 * (worker threads inherit `--import tsx` through execArgv, so they can load it).
 */
export function exportWorkerUrl(): string {
  const ownExtension = extname(fileURLToPath(import.meta.url))
  return new URL(`./export-worker${ownExtension}`, import.meta.url).href
}

/**
 * Heap caps per worker. A worker holds at most its in-flight batches (a few
 * hundred KB of spans and bodies each), so these are far above need; they stop
 * a runaway worker from growing the proxy's RSS without bound (it would die
 * with ERR_WORKER_OUT_OF_MEMORY, be replaced, and its batch be retried once).
 * The young generation cap also keeps the scavenger's semispaces small.
 */
export const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 }

export interface OtlpExportPoolOptions {
  /**
   * The `exporter` section: endpoints (`endpoint` for traces, `logsEndpoint`
   * for logs), protocol, compression, headers, timeouts and retries for both
   * signals; `workers` and `maxConcurrentExports` size the pool.
   */
  config: ExporterConfig
  resource: ResourceAttributes
}

/** What an exporter brings when it attaches. */
export interface ExportPoolUser {
  /** Its instrumentation scope (protobuf batches carry it already; OTLP/JSON is encoded in the worker). */
  scope: { name: string; version: string }
  /**
   * A worker error outside any task (piscina replaces the worker). It belongs
   * to no batch, so it is reported once, to the first exporter attached (the
   * span exporter in the sidecar); a worker dying with batches in hand fails
   * those tasks instead, counted by each batch's own queue.
   */
  onWorkerError: (err: unknown) => void
}

/** One signal's use of the shared pool. */
export interface ExportChannel {
  readonly signal: ExportSignal
  /** Starts the workers on setImmediate if they are not running: call on the first item, off the request. */
  startSoon(): void
  /** Runs one batch in a worker; rejects only if the worker broke. */
  run(task: ExportTask, transferList?: ArrayBuffer[]): Promise<BatchOutcome>
  /** This signal's shutdown: workers stop retrying its batches when the next try could not start before the deadline. */
  beginShutdown(deadlineUnixMs: number): void
  /** This signal is flushed; the last channel released destroys the pool (resolves when it is destroyed). */
  release(): Promise<void>
}

const ENDPOINT_SETTING: Record<ExportSignal, { key: 'endpoint' | 'logsEndpoint'; example: string; what: string }> = {
  traces: { key: 'endpoint', example: 'http://127.0.0.1:4318/v1/traces', what: 'traces' },
  logs: { key: 'logsEndpoint', example: 'http://127.0.0.1:4318/v1/logs', what: 'logs' },
}

type Pool = Piscina<ExportTask, BatchOutcome>

export class OtlpExportPool {
  readonly protocol: OtlpProtocol
  readonly resource: ResourceAttributes
  private readonly config: ExporterConfig
  private readonly endpoints: Record<ExportSignal, string> = { traces: '', logs: '' }
  private readonly scopes: Record<ExportSignal, { name: string; version: string }> = {
    traces: { name: '', version: '' },
    logs: { name: '', version: '' },
  }
  private readonly shutdownSignals = {} as Record<ExportSignal, ShutdownSignal>
  private readonly users: ExportPoolUser[] = []
  private openChannels = 0
  /**
   * Created with the first batch of either signal, not with the exporters: a
   * sidecar whose traffic is unsampled, or that has none yet, never pays for a
   * worker (~20 MB RSS each). Started on setImmediate, off the request that
   * brought the first item; by the time its batch is due the worker is usually up.
   */
  private pool: Pool | undefined
  private startScheduled = false
  private destroying: Promise<void> | undefined

  constructor(options: OtlpExportPoolOptions) {
    this.config = options.config
    this.protocol = options.config.protocol
    this.resource = { ...options.resource }
    for (const signal of EXPORT_SIGNALS) this.shutdownSignals[signal] = new ShutdownSignal(createShutdownState())
  }

  /**
   * Attaches the exporter of `signal` (at most one per signal, before the
   * workers start: their settings are fixed then). Checks that signal's endpoint.
   */
  attach(signal: ExportSignal, user: ExportPoolUser): ExportChannel {
    if (this.pool !== undefined || this.destroying !== undefined)
      throw new Error(`the OTLP export pool is already running: attach the ${signal} exporter before the first batch`)
    if (this.endpoints[signal] !== '') throw new Error(`the OTLP export pool already has a ${signal} exporter`)
    this.endpoints[signal] = checkEndpoint(signal, this.config[ENDPOINT_SETTING[signal].key])
    this.scopes[signal] = { ...user.scope }
    this.users.push(user)
    this.openChannels++
    const shutdownSignal = this.shutdownSignals[signal]
    let released: Promise<void> | undefined
    return {
      signal,
      startSoon: () => this.startSoon(),
      run: (task, transferList) => this.started().run(task, transferList === undefined ? undefined : { transferList }),
      beginShutdown: (deadlineUnixMs) => shutdownSignal.begin(deadlineUnixMs),
      release: () => {
        released ??= --this.openChannels === 0 ? this.destroy() : Promise.resolve()
        return released
      },
    }
  }

  /** The worker threads, for diagnostics and crash tests. */
  get threads(): readonly Worker[] {
    return this.pool?.threads ?? []
  }

  private startSoon(): void {
    if (this.startScheduled) return
    this.startScheduled = true
    setImmediate(() => {
      if (this.destroying === undefined) this.started()
    })
  }

  private started(): Pool {
    if (this.pool !== undefined) return this.pool
    if (this.destroying !== undefined) throw new Error('the OTLP export pool is shut down')
    const { config } = this
    const workers = Math.max(1, config.workers)
    const settings: WorkerSettings = {
      endpoints: { ...this.endpoints },
      protocol: config.protocol,
      compression: config.compression,
      headers: { ...config.headers },
      timeoutMs: config.timeoutMs,
      backoff: { maxAttempts: Math.max(1, config.maxAttempts), initialBackoffMs: config.initialBackoffMs, maxBackoffMs: config.maxBackoffMs },
      resource: this.resource,
      scopes: { traces: this.scopes.traces, logs: this.scopes.logs },
      shutdownStates: { traces: this.shutdownSignals.traces.state, logs: this.shutdownSignals.logs.state },
    }
    // Each signal's queue keeps up to maxConcurrentExports batches in flight.
    const inFlight = Math.max(1, config.maxConcurrentExports) * Math.max(1, this.users.length)
    const pool: Pool = new Piscina({
      filename: exportWorkerUrl(),
      name: 'default',
      minThreads: workers,
      maxThreads: workers,
      resourceLimits: WORKER_RESOURCE_LIMITS,
      // Export tasks mostly wait on the network, so one worker carries several.
      concurrentTasksPerWorker: Math.ceil(inFlight / workers),
      workerData: settings,
    })
    // Without a listener an 'error' event would throw on the main thread.
    pool.on('error', (err: unknown) => this.users[0]?.onWorkerError(err))
    this.pool = pool
    return pool
  }

  private async destroy(): Promise<void> {
    this.destroying ??= this.pool?.destroy() ?? Promise.resolve()
    await this.destroying
  }
}

function checkEndpoint(signal: ExportSignal, endpoint: string): string {
  const { key, example, what } = ENDPOINT_SETTING[signal]
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new Error(`exporter.${key}: '${endpoint}' is not a URL; give the full ${what} URL, e.g. ${example}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`exporter.${key}: '${endpoint}' uses ${url.protocol}; OTLP/HTTP needs http: or https:`)
  }
  return url.href
}
