/**
 * startCollector: opens the store, starts the OTLP/HTTP and OTLP/gRPC
 * receivers and the API/UI server, runs retention and forwarding, and
 * closes it all in order (stop listening, finish in-flight writes, close
 * the database).
 */
import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type Database from 'better-sqlite3'
import { startApiServer } from './api/api-server.js'
import type { CollectorRoute } from './http/route.js'
import type { AllowedHosts } from './http/allowed-hosts.js'
import type { TraceIdPattern } from './logs/trace-id-in-text.js'
import { IngestPipeline } from './receivers/ingest-pipeline.js'
import type { IngestListener, IngestTee } from './receivers/ingest-pipeline.js'
import { startOtlpGrpcReceiver } from './receivers/otlp-grpc-receiver.js'
import { startOtlpHttpReceiver } from './receivers/otlp-http-receiver.js'
import { RetentionWorker } from './retention/retention-worker.js'
import type { RetentionOptions } from './retention/retention-worker.js'
import { SqliteTraceStore } from './store/sqlite/sqlite-trace-store.js'
import { OtlpForwarder } from './forward/otlp-forwarder.js'
import type { ForwardOptions } from './forward/otlp-forwarder.js'

/** What an extension gets to build its listeners and routes (it may create its own tables in `db`). */
export interface CollectorContext {
  store: SqliteTraceStore
  db: Database.Database
  log: (line: string) => void
}

/** A part plugged into the collector (RED metrics, alerts, logs ingest): everything optional. */
export interface CollectorExtension {
  ingestListeners?: IngestListener[]
  apiRoutes?: CollectorRoute[]
  ingestRoutes?: CollectorRoute[]
  traceIdPatterns?: TraceIdPattern[]
  /** Called on close, after the listeners stopped and before the database closes. */
  close?(): void | Promise<void>
}

export interface CollectorOptions {
  /** Folder of the SQLite file `tracecar.db` (default ./data). */
  dataDir?: string
  /** SQLite commit durability (see SqliteTraceStoreOptions.synchronous); default 'full'. */
  synchronous?: 'full' | 'normal'
  /** Listen address of all three listeners (default 127.0.0.1). */
  host?: string
  /**
   * Host names the API and UI answer to besides IP addresses, localhost and
   * `host` (DNS rebinding guard); 'any' turns the check off (behind a reverse
   * proxy that checks Host itself).
   */
  allowedHosts?: AllowedHosts
  /** Ports; 0 picks a free one (default 4318, 4317, 16686). */
  otlpHttpPort?: number
  otlpGrpcPort?: number
  httpPort?: number
  /** Largest request body (compressed or not) / gRPC message, bytes (default 16 MiB). */
  maxBodyBytes?: number
  /** Bodies being read at once before 429 (default 64 MiB). */
  maxInflightBytes?: number
  retention?: RetentionOptions
  forward?: ForwardOptions
  ingestListeners?: IngestListener[]
  /** Full paths (`/api/...`, `/metrics`) on the :16686 server, matched before the built-in routes. */
  apiRoutes?: CollectorRoute[]
  /** Full paths on the :4318 server, matched before /v1/traces and /v1/logs. */
  ingestRoutes?: CollectorRoute[]
  /** Built once the store is open, for parts that need `db`. */
  extensions?: Array<(context: CollectorContext) => CollectorExtension | Promise<CollectorExtension>>
  /** Static UI files; default dist/ui of the package when it exists; null for none. */
  uiDir?: string | null
  traceIdPatterns?: TraceIdPattern[]
  log?: (line: string) => void
}

export interface Collector {
  ports: { otlpHttp: number; otlpGrpc: number; http: number }
  store: SqliteTraceStore
  pipeline: IngestPipeline
  retention: RetentionWorker
  forwarder: OtlpForwarder | undefined
  close(): Promise<void>
}

export const DEFAULTS = {
  dataDir: './data',
  host: '127.0.0.1',
  otlpHttpPort: 4318,
  otlpGrpcPort: 4317,
  httpPort: 16686,
  maxBodyBytes: 16 * 1024 * 1024,
  maxInflightBytes: 64 * 1024 * 1024,
} as const

export const DATABASE_FILE = 'tracecar.db'

/** dist/ui beside the package root: two levels above this file, from src/ or from dist/. */
export function defaultUiDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../dist/ui/', import.meta.url))
  try {
    return existsSync(join(dir, 'index.html')) && statSync(dir).isDirectory() ? dir : undefined
  } catch {
    return undefined
  }
}

export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const log = options.log ?? ((line: string) => process.stderr.write(`tracecar collector: ${line}\n`))
  const host = options.host ?? DEFAULTS.host
  const store = new SqliteTraceStore({ path: resolve(options.dataDir ?? DEFAULTS.dataDir, DATABASE_FILE), synchronous: options.synchronous })
  const closers: Array<() => Promise<void> | void> = []
  try {
    const extensions: CollectorExtension[] = []
    for (const build of options.extensions ?? []) extensions.push(await build({ store, db: store.db, log }))
    const forwarder = options.forward === undefined ? undefined : new OtlpForwarder(options.forward, log)
    const tee: IngestTee | undefined = forwarder
    const pipeline = new IngestPipeline({
      store,
      listeners: [...(options.ingestListeners ?? []), ...extensions.flatMap((e) => e.ingestListeners ?? [])],
      tee,
      traceIdPatterns: [...(options.traceIdPatterns ?? []), ...extensions.flatMap((e) => e.traceIdPatterns ?? [])],
      log,
    })
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes
    const http = await startOtlpHttpReceiver({
      host,
      port: options.otlpHttpPort ?? DEFAULTS.otlpHttpPort,
      pipeline,
      maxBodyBytes,
      maxInflightBytes: options.maxInflightBytes ?? DEFAULTS.maxInflightBytes,
      routes: [...(options.ingestRoutes ?? []), ...extensions.flatMap((e) => e.ingestRoutes ?? [])],
      log,
    })
    closers.push(() => http.close())
    const grpc = await startOtlpGrpcReceiver({ host, port: options.otlpGrpcPort ?? DEFAULTS.otlpGrpcPort, pipeline, maxMessageBytes: maxBodyBytes, log })
    closers.push(() => grpc.close())
    const api = await startApiServer({
      host,
      port: options.httpPort ?? DEFAULTS.httpPort,
      store,
      routes: [...(options.apiRoutes ?? []), ...extensions.flatMap((e) => e.apiRoutes ?? [])],
      uiDir: options.uiDir === null ? undefined : (options.uiDir ?? defaultUiDir()),
      allowedHosts: options.allowedHosts,
      log,
    })
    closers.push(() => api.close())
    const retention = new RetentionWorker(store, options.retention ?? {}, log)
    retention.start()

    let closing: Promise<void> | undefined
    return {
      ports: { otlpHttp: http.port, otlpGrpc: grpc.port, http: api.port },
      store,
      pipeline,
      retention,
      forwarder,
      close: () =>
        (closing ??= (async () => {
          retention.stop()
          // Receivers first: in-flight requests finish their writes before the store closes.
          await Promise.all(closers.map((close) => close()))
          for (const extension of extensions) await extension.close?.()
          if (forwarder !== undefined) await forwarder.close()
          store.close()
        })()),
    }
  } catch (err) {
    await Promise.allSettled(closers.map((close) => close()))
    store.close()
    throw err
  }
}
