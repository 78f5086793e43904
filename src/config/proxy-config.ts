/**
 * The proxy's resolved configuration: what the loader (src/config/load-proxy-config.ts)
 * produces after merging defaults < YAML file < environment < flags and validating.
 * Every other part of the proxy reads this shape and nothing else.
 */
import type { PropagationFormat } from '../trace-context/propagation-format.js'
import type { SamplerName } from '../trace-context/sampler.js'
import type { NamedRoute } from './value-types.js'

export type { PropagationFormat } from '../trace-context/propagation-format.js'

/** How an outbound call is joined to the inbound request it belongs to (docs/outbound-and-joining.md). */
export type OutboundJoinRule = 'context' | 'correlation' | 'worker-process' | 'sole-inbound'

export type { NamedRoute } from './value-types.js'

export interface ListenAddress {
  host: string
  port: number
}

export interface ProxyConfig {
  /** `service.name` of the spans (OTEL_SERVICE_NAME, --service). */
  serviceName: string
  /** The service behind the sidecar, e.g. http://127.0.0.1:8080 (TRACECAR_UPSTREAM, --upstream). */
  upstream: string
  /** Inbound HTTP/1.1 engine: `raw` (llhttp on plain sockets, the default) or `node` (node:http + undici). */
  httpEngine: 'node' | 'raw'
  /** Inbound listener: clients call this instead of the service. Default 0.0.0.0:15006. */
  listen: ListenAddress
  /** /healthz /ready /metrics. Default 127.0.0.1:15000; port 0 = any free port. */
  admin: ListenAddress & { enabled: boolean }
  /** Keep the client's Host header when calling the upstream (default true). */
  preserveHost: boolean

  timeouts: {
    /** Connecting to the upstream; past it: 504 (error.type `connect_timeout`). */
    connectMs: number
    /** From request sent to response headers received; past it: 504. */
    headersMs: number
    /** No bytes either way on an open request/response body for this long: 504 / abort. */
    idleMs: number
    /** SIGTERM: how long in-flight requests may take to finish. */
    drainMs: number
  }

  limits: {
    /** Request line + headers; over it: 431. */
    maxHeaderBytes: number
    /** Upstream keep-alive connections kept per origin. */
    maxUpstreamConnections: number
  }

  propagation: {
    /** Formats read from requests, in order of preference (tracecontext always wins when valid). */
    extract: PropagationFormat[]
    /**
     * Formats written to the upstream. 'incoming' additionally re-injects whichever
     * non-W3C format the request arrived with.
     */
    inject: PropagationFormat[]
    injectIncoming: boolean
  }

  sampling: {
    /** OTEL_TRACES_SAMPLER names (SAMPLER_NAMES in src/trace-context/sampler.ts). */
    sampler: SamplerName
    /** 0..1, for the traceidratio samplers (OTEL_TRACES_SAMPLER_ARG). */
    ratio: number
  }

  headers: {
    /** Header carrying the trace id to the service (for its access log); '' disables. */
    traceId: string
    /** Header carrying the proxy's span id to the service; '' disables. */
    spanId: string
    /** Request id header added when none came in; '' disables. */
    requestId: string
    /** Also return the trace id to the caller under `headers.traceId`. */
    responseTraceId: boolean
    /** Return the W3C trace context to the caller: `traceresponse` and the `server-timing` `trace` metric. */
    traceresponse: boolean
  }

  /** Route templates such as `/users/:id` or `/static/*`, matched in order for span names. */
  routes: string[]

  /** The forward proxy for the service's own calls (HTTP_PROXY) and named upstream routes. */
  outbound: {
    enabled: boolean
    /** Default 127.0.0.1:15001: loopback, it is not an open proxy. */
    host: string
    port: number
    /** Client addresses / CIDR ranges allowed to use the outbound listeners. */
    allowClients: string[]
    /** NO_PROXY-style destinations relayed untouched: no span, no context injected. */
    exclude: string[]
    /** Named upstreams, each on a local port, for clients that cannot use a proxy. */
    routes: NamedRoute[]
    /** Join rules tried in order; a call no rule joins starts a new trace (and is counted). */
    join: OutboundJoinRule[]
    /** Headers the service may copy from its inbound request, looked up to find it. */
    correlationHeaders: string[]
  }

  accessLog: {
    enabled: boolean
    /** 'stdout', 'stderr' or a file path. */
    destination: string
    /** Also ship each record as an OTLP log to exporter.logsEndpoint. */
    otlp: boolean
  }

  /** Extra resource attributes (merged over OTEL_RESOURCE_ATTRIBUTES). */
  resourceAttributes: Record<string, string>

  exporter: ExporterConfig
}

export interface ExporterConfig {
  /** 'otlp' ships to `endpoint`; 'none' discards (spans still counted); 'console' writes JSON lines to stderr. */
  type: 'otlp' | 'none' | 'console'
  /** Full URL of the traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. */
  endpoint: string
  /** Full URL of the logs endpoint (access logs as OTLP logs). */
  logsEndpoint: string
  protocol: 'http/protobuf' | 'http/json'
  compression: 'gzip' | 'none'
  headers: Record<string, string>
  /** One export request's deadline (OTEL_EXPORTER_OTLP_TIMEOUT / OTEL_BSP_EXPORT_TIMEOUT). */
  timeoutMs: number
  /** OTEL_BSP_MAX_QUEUE_SIZE: spans held before new ones are dropped. */
  maxQueueSize: number
  /** OTEL_BSP_MAX_EXPORT_BATCH_SIZE. */
  maxExportBatchSize: number
  /** OTEL_BSP_SCHEDULE_DELAY. */
  scheduledDelayMs: number
  /** Worker threads encoding and sending batches. */
  workers: number
  /** Attempts per batch including the first. */
  maxAttempts: number
  /** Backoff: first delay, doubled each attempt with full jitter, capped. */
  initialBackoffMs: number
  maxBackoffMs: number
  /** Batches being sent or retried at once; more wait in the queue. */
  maxConcurrentExports: number
}
