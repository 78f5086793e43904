/**
 * THE description of the proxy's configuration: one entry per key of ProxyConfig. The
 * validation, the error messages, the TRACECAR_* and OTEL_* environment mapping, the CLI
 * flags, `--help`, the README table and the example file all come from this table;
 * adding a key here is the whole job of adding a setting.
 */
import { PROPAGATION_FORMATS } from '../trace-context/propagation-format.js'
import { DEFAULT_SAMPLER, SAMPLER_NAMES } from '../trace-context/sampler.js'
import type { ProxyConfig } from './proxy-config.js'
import {
  boolean,
  formatList,
  headerName,
  host,
  httpOrigin,
  httpUrl,
  integer,
  addressRanges,
  headerNames,
  hostPatterns,
  milliseconds,
  namedRoutes,
  nonEmptyString,
  orderedChoices,
  oneOf,
  port,
  ratio,
  routeTemplates,
  stringMap,
  type ValueType,
} from './value-types.js'
import { resolve as resolvePath } from 'node:path'
import { KeyValueListError, parseKeyValueList } from './key-value-list.js'

/** Thrown by an env reader when a variable's text cannot mean anything for its key. */
export class EnvValueProblem extends Error {}

/**
 * A standard (non-TRACECAR) variable that can set a key. `read` turns its text into the
 * key's input; returning undefined means "this variable does not set the key".
 */
export interface EnvReader {
  readonly name: string
  /** How the text is used when not as-is, for the docs (e.g. "base URL + /v1/traces"). */
  readonly note?: string
  read?(text: string, env: Readonly<Record<string, string | undefined>>): unknown
}

export interface ConfigKey<T = unknown, P extends string = string> {
  /** Dotted path into the command's config (ProxyConfig: `timeouts.connectMs`). Also the YAML path. */
  readonly path: P
  readonly type: ValueType<T>
  /** Absent only for required and optional keys. */
  readonly default?: T
  /** Without a default and unset by every source, the key is left out instead of required. */
  readonly optional?: boolean
  /** When the default is more than a constant (shown in --help and the README). */
  readonly defaultNote?: string
  /** Long flag name without `--`. */
  readonly flag: string
  /** A one-letter alias (`f` for `-f`), for commands whose users know one (`tracecar inject -f`). */
  readonly short?: string
  /** A value to show in the error when a required key is missing. */
  readonly example?: string
  /** Standard variables, highest precedence first; TRACECAR_* beats all of them. */
  readonly otelEnv?: readonly EnvReader[]
  readonly description: string
  /** Values not echoed in errors (exporter headers carry API keys). */
  readonly secret?: boolean
  /** Computes the default from other resolved values; undefined keeps `default`. */
  deriveDefault?(resolved: (path: string) => unknown): T | undefined
  /** Final touch after validation, e.g. resolving a relative path against the working directory. */
  finish?(value: T, cwd: string): T
}

/** `host:port` shorthands: one flag/env/YAML string setting two keys. */
export interface AddressShorthand {
  readonly name: string
  readonly flag: string
  readonly env: string
  readonly hostPath: string
  readonly portPath: string
}

/**
 * One key of the table. Its value type must fit the ProxyConfig field at its path (a key
 * whose type yields `string` for a `'node' | 'raw'` field fails to compile), so the table
 * and the type cannot drift; the value type comes from `type` alone (`default` must fit it).
 */
const define = <P extends ConfigPath, T extends ProxyConfigValue<P>>(key: Omit<ConfigKey<T, P>, 'default'> & { default?: NoInfer<T> }): ConfigKey<unknown, P> =>
  key as ConfigKey<unknown, P>

/** OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: the signal path is appended (OTLP exporter spec). */
function appendSignalPath(signalPath: string): EnvReader['read'] {
  return (text) => `${text.trim().replace(/\/+$/, '')}/${signalPath}`
}

export const CONFIG_KEYS = [
  define({
    path: 'serviceName',
    type: nonEmptyString('a non-empty service name', '<name>'),
    default: 'unknown_service:tracecar',
    defaultNote: 'service.name from OTEL_RESOURCE_ATTRIBUTES, else unknown_service:tracecar',
    flag: 'service',
    otelEnv: [
      { name: 'OTEL_SERVICE_NAME' },
      {
        name: 'OTEL_RESOURCE_ATTRIBUTES',
        note: 'its service.name',
        read(text) {
          try {
            return parseKeyValueList(text)['service.name']
          } catch (error) {
            if (error instanceof KeyValueListError) throw new EnvValueProblem(`${error.message}; expected key=value pairs`)
            throw error
          }
        },
      },
    ],
    description: 'service.name of the spans: the service behind this sidecar.',
  }),
  define({
    path: 'upstream',
    type: httpOrigin('http://127.0.0.1:8080'),
    flag: 'upstream',
    example: 'http://127.0.0.1:8080',
    description: 'The service behind the sidecar (required).',
  }),
  define({
    path: 'listen.host',
    type: host(),
    default: '0.0.0.0',
    flag: 'listen-host',
    description: 'Inbound listener address (clients call this instead of the service).',
  }),
  define({ path: 'listen.port', type: port(), default: 15006, flag: 'listen-port', description: 'Inbound listener port.' }),
  define({ path: 'admin.enabled', type: boolean(), default: true, flag: 'admin-enabled', description: 'Serve /healthz, /ready and /metrics.' }),
  define({
    path: 'admin.host',
    type: host(),
    default: '127.0.0.1',
    flag: 'admin-host',
    description: 'Admin listener address (loopback: not for the outside world).',
  }),
  define({ path: 'admin.port', type: port(), default: 15000, flag: 'admin-port', description: 'Admin listener port.' }),
  define({
    path: 'preserveHost',
    type: boolean(),
    default: true,
    flag: 'preserve-host',
    description: "Keep the client's Host header when calling the upstream.",
  }),
  define({
    path: 'httpEngine',
    type: oneOf(['node', 'raw'] as const),
    default: 'raw',
    flag: 'http-engine',
    description:
      "HTTP/1.1 engine of the inbound side: 'raw' (Node's own parser, llhttp, on plain sockets with the sidecar's own keep-alive pool to the upstream: about half the CPU per request of 'node'; upgrades are relayed by the node engine) or 'node' (Node's http server and undici).",
  }),
  define({
    path: 'timeouts.connectMs',
    type: milliseconds(),
    default: 5000,
    flag: 'connect-timeout-ms',
    description: 'Connecting to the upstream; past it the caller gets 504.',
  }),
  define({
    path: 'timeouts.headersMs',
    type: milliseconds(),
    default: 60000,
    flag: 'headers-timeout-ms',
    description: 'Request sent to response headers received; past it 504.',
  }),
  define({
    path: 'timeouts.idleMs',
    type: milliseconds(),
    default: 300000,
    flag: 'idle-timeout-ms',
    description: 'No bytes either way on an open body for this long: 504 / abort.',
  }),
  define({
    path: 'timeouts.drainMs',
    type: milliseconds(),
    default: 20000,
    flag: 'drain-timeout-ms',
    description: 'On SIGTERM, how long in-flight requests may take to finish.',
  }),
  define({
    path: 'limits.maxHeaderBytes',
    type: integer({ min: 1024, noun: 'number of bytes', placeholder: '<bytes>' }),
    default: 16384,
    flag: 'max-header-bytes',
    description: 'Request line + headers; over it the caller gets 431.',
  }),
  define({
    path: 'limits.maxUpstreamConnections',
    type: integer({ min: 1, noun: 'number of connections', placeholder: '<n>' }),
    default: 256,
    flag: 'max-upstream-connections',
    description: 'Keep-alive connections kept to the upstream.',
  }),
  define({
    path: 'propagation.extract',
    type: formatList(PROPAGATION_FORMATS, ['baggage']),
    default: ['tracecontext', 'b3', 'b3multi', 'jaeger'],
    flag: 'extract',
    otelEnv: [{ name: 'OTEL_PROPAGATORS', note: 'baggage is accepted and ignored' }],
    description: 'Trace context formats read from requests (a valid traceparent always wins).',
  }),
  define({
    path: 'propagation.inject',
    type: formatList(PROPAGATION_FORMATS, ['baggage']),
    default: ['tracecontext'],
    flag: 'inject',
    otelEnv: [{ name: 'OTEL_PROPAGATORS', note: 'baggage is accepted and ignored' }],
    description: 'Trace context formats written to the upstream.',
  }),
  define({
    path: 'propagation.injectIncoming',
    type: boolean(),
    default: true,
    flag: 'inject-incoming',
    description: 'Also re-inject whichever non-W3C format the request arrived with.',
  }),
  define({
    path: 'sampling.sampler',
    type: oneOf(SAMPLER_NAMES, {
      jaeger_remote: 'jaeger_remote is not supported by tracecar',
      parentbased_jaeger_remote: 'parentbased_jaeger_remote is not supported by tracecar',
      xray: 'xray is not supported by tracecar',
    }),
    default: DEFAULT_SAMPLER,
    flag: 'sampler',
    otelEnv: [{ name: 'OTEL_TRACES_SAMPLER' }],
    description: 'Which traces are recorded (OpenTelemetry sampler names).',
  }),
  define({
    path: 'sampling.ratio',
    type: ratio(),
    default: 1,
    flag: 'sampler-arg',
    otelEnv: [{ name: 'OTEL_TRACES_SAMPLER_ARG' }],
    description: 'Fraction of traces kept by the traceidratio samplers.',
  }),
  define({
    path: 'headers.traceId',
    type: headerName(),
    default: 'x-trace-id',
    flag: 'trace-id-header',
    description: 'Request header telling the service the trace id ("" disables).',
  }),
  define({
    path: 'headers.spanId',
    type: headerName(),
    default: 'x-span-id',
    flag: 'span-id-header',
    description: 'Request header telling the service the proxy\'s span id ("" disables).',
  }),
  define({
    path: 'headers.requestId',
    type: headerName(),
    default: 'x-request-id',
    flag: 'request-id-header',
    description: 'Request id header added when none came in ("" disables).',
  }),
  define({
    path: 'headers.responseTraceId',
    type: boolean(),
    default: true,
    flag: 'response-trace-id',
    description: 'Return the trace id to the caller under headers.traceId.',
  }),
  define({
    path: 'headers.traceresponse',
    type: boolean(),
    default: true,
    flag: 'traceresponse',
    description: 'Return the W3C trace context to the caller: the traceresponse header and the server-timing trace metric.',
  }),
  define({
    path: 'routes',
    type: routeTemplates(),
    default: [],
    flag: 'route',
    description: 'Route templates for span names, first match wins (/users/:id, /static/*).',
  }),
  define({
    path: 'outbound.enabled',
    type: boolean(),
    default: true,
    flag: 'outbound-enabled',
    description: 'Run the outbound forward proxy (HTTP_PROXY for the service) and the named routes.',
  }),
  define({
    path: 'outbound.host',
    type: host(),
    default: '127.0.0.1',
    flag: 'outbound-host',
    description: 'Outbound proxy and route listener address (loopback: it is not an open proxy).',
  }),
  define({
    path: 'outbound.port',
    type: port(),
    default: 15001,
    flag: 'outbound-port',
    description: 'Outbound forward proxy port: start the service with HTTP_PROXY=http://127.0.0.1:<port>.',
  }),
  define({
    path: 'outbound.allowClients',
    type: addressRanges(),
    default: ['127.0.0.0/8', '::1'],
    flag: 'outbound-allow-client',
    description: 'Client addresses or CIDR ranges that may use the outbound listeners; others get 403.',
  }),
  define({
    path: 'outbound.exclude',
    type: hostPatterns(),
    default: [],
    flag: 'outbound-exclude',
    description: 'NO_PROXY-style destinations relayed untouched: no span, no trace headers added.',
  }),
  define({
    path: 'outbound.routes',
    type: namedRoutes(),
    default: [],
    flag: 'outbound-route',
    description: 'Named upstreams on local ports for clients that cannot use a proxy (payments=http://payments:8080@15101).',
  }),
  define({
    path: 'outbound.join',
    type: orderedChoices(['context', 'correlation', 'worker-process', 'sole-inbound'] as const, 'join rule'),
    default: ['context', 'correlation'],
    flag: 'outbound-join',
    description:
      'How an outbound call finds its inbound request, in order: forwarded trace context, a forwarded correlation header, ' +
      'the only request the calling process serves (inferred from /proc: needs a shared PID namespace), ' +
      'the only inbound request in flight (inferred).',
  }),
  define({
    path: 'outbound.correlationHeaders',
    type: headerNames(),
    default: ['x-span-id', 'x-request-id', 'x-trace-id'],
    defaultNote: 'headers.spanId, headers.requestId, headers.traceId (those not disabled)',
    flag: 'outbound-correlation-header',
    description: 'Headers a service copies from its inbound request to its calls; their value finds that request.',
    // The headers the inbound side writes are the ones a service is most likely to copy on.
    deriveDefault(resolved) {
      return ['headers.spanId', 'headers.requestId', 'headers.traceId']
        .map((path) => resolved(path))
        .filter((name): name is string => typeof name === 'string' && name !== '')
    },
  }),
  define({ path: 'accessLog.enabled', type: boolean(), default: true, flag: 'access-log', description: 'Write one JSON access log line per request.' }),
  define({
    path: 'accessLog.destination',
    type: nonEmptyString('stdout, stderr or a file path', '<stdout|stderr|path>'),
    default: 'stdout',
    flag: 'access-log-destination',
    description: 'Where access log lines go; a relative path is resolved against the working directory.',
    finish: (value, cwd) => (value === 'stdout' || value === 'stderr' ? value : resolvePath(cwd, value)),
  }),
  define({
    path: 'accessLog.otlp',
    type: boolean(),
    default: false,
    flag: 'access-log-otlp',
    description:
      'Also send each access log record as an OTLP log record, linked to its trace and span, to exporter.logsEndpoint (queued and shipped by a worker thread like spans; only with exporter.type otlp).',
  }),
  define({
    path: 'resourceAttributes',
    type: stringMap('attributes'),
    default: {},
    flag: 'resource-attribute',
    description: 'Extra resource attributes, merged over OTEL_RESOURCE_ATTRIBUTES.',
  }),
  define({
    path: 'exporter.type',
    type: oneOf(['otlp', 'none', 'console'] as const, {
      zipkin: 'zipkin is not supported by the sidecar exporter (send OTLP to an OpenTelemetry Collector)',
      jaeger: 'jaeger is not supported by the sidecar exporter (Jaeger accepts OTLP: use otlp)',
    }),
    default: 'otlp',
    flag: 'exporter',
    otelEnv: [
      {
        name: 'OTEL_SDK_DISABLED',
        note: 'true means none',
        read(text) {
          const value = text.trim().toLowerCase()
          if (value === 'true') return 'none'
          if (value === 'false') return undefined
          throw new EnvValueProblem('expected true or false')
        },
      },
      { name: 'OTEL_TRACES_EXPORTER' },
    ],
    description: 'otlp ships spans to exporter.endpoint; none discards them (still counted); console writes JSON lines to stderr.',
  }),
  define({
    path: 'exporter.endpoint',
    type: httpUrl('http://127.0.0.1:4318/v1/traces'),
    default: 'http://127.0.0.1:4318/v1/traces',
    flag: 'otlp-endpoint',
    otelEnv: [
      { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' },
      { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', note: 'base URL + /v1/traces', read: appendSignalPath('v1/traces') },
    ],
    description: 'Full URL of the OTLP/HTTP traces endpoint.',
  }),
  define({
    path: 'exporter.logsEndpoint',
    type: httpUrl('http://127.0.0.1:4318/v1/logs'),
    default: 'http://127.0.0.1:4318/v1/logs',
    defaultNote: 'exporter.endpoint with /v1/traces replaced by /v1/logs, else http://127.0.0.1:4318/v1/logs',
    flag: 'otlp-logs-endpoint',
    otelEnv: [
      { name: 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT' },
      { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', note: 'base URL + /v1/logs', read: appendSignalPath('v1/logs') },
    ],
    description: 'Full URL of the OTLP/HTTP logs endpoint (access logs as OTLP logs).',
    // Pointing the traces at a collector should carry the logs along with them.
    deriveDefault(resolved) {
      const traces = resolved('exporter.endpoint')
      return typeof traces === 'string' && /\/v1\/traces\/?$/.test(traces) ? traces.replace(/\/v1\/traces(\/?)$/, '/v1/logs$1') : undefined
    },
  }),
  define({
    path: 'exporter.protocol',
    type: oneOf(['http/protobuf', 'http/json'] as const, {
      grpc: 'grpc is not supported by the sidecar exporter (it sends OTLP over HTTP, port 4318)',
    }),
    default: 'http/protobuf',
    flag: 'otlp-protocol',
    otelEnv: [{ name: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' }, { name: 'OTEL_EXPORTER_OTLP_PROTOCOL' }],
    description: 'OTLP encoding.',
  }),
  define({
    path: 'exporter.compression',
    type: oneOf(['gzip', 'none'] as const),
    default: 'gzip',
    flag: 'otlp-compression',
    otelEnv: [{ name: 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION' }, { name: 'OTEL_EXPORTER_OTLP_COMPRESSION' }],
    description: 'Compression of export request bodies.',
  }),
  define({
    path: 'exporter.headers',
    type: stringMap('http-headers'),
    default: {},
    flag: 'header',
    secret: true,
    otelEnv: [
      {
        name: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
        note: 'merged over OTEL_EXPORTER_OTLP_HEADERS',
        read: (text, env) => (env.OTEL_EXPORTER_OTLP_HEADERS?.trim() ? `${env.OTEL_EXPORTER_OTLP_HEADERS},${text}` : text),
      },
      { name: 'OTEL_EXPORTER_OTLP_HEADERS' },
    ],
    description: 'Headers sent with every export request (e.g. authorization).',
  }),
  define({
    path: 'exporter.timeoutMs',
    type: milliseconds(),
    default: 10000,
    flag: 'otlp-timeout-ms',
    otelEnv: [{ name: 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' }, { name: 'OTEL_EXPORTER_OTLP_TIMEOUT' }, { name: 'OTEL_BSP_EXPORT_TIMEOUT' }],
    description: "One export request's deadline.",
  }),
  define({
    path: 'exporter.maxQueueSize',
    type: integer({ min: 1, noun: 'number of spans', placeholder: '<spans>' }),
    default: 2048,
    flag: 'max-queue-size',
    otelEnv: [{ name: 'OTEL_BSP_MAX_QUEUE_SIZE' }],
    description: 'Spans held waiting for export; past it new spans are dropped (and counted).',
  }),
  define({
    path: 'exporter.maxExportBatchSize',
    type: integer({ min: 1, noun: 'number of spans', placeholder: '<spans>' }),
    default: 512,
    flag: 'max-export-batch-size',
    otelEnv: [{ name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE' }],
    description: 'Spans per export request (must be <= exporter.maxQueueSize).',
  }),
  define({
    path: 'exporter.scheduledDelayMs',
    type: milliseconds(),
    default: 5000,
    flag: 'schedule-delay-ms',
    otelEnv: [{ name: 'OTEL_BSP_SCHEDULE_DELAY' }],
    description: 'Longest a span waits before a partial batch is sent.',
  }),
  define({
    path: 'exporter.workers',
    type: integer({ min: 1, max: 64, noun: 'number of threads', placeholder: '<n>' }),
    default: 1,
    flag: 'export-workers',
    description: 'Worker threads encoding and sending batches.',
  }),
  define({
    path: 'exporter.maxAttempts',
    type: integer({ min: 1, noun: 'number of attempts', placeholder: '<n>' }),
    default: 5,
    flag: 'export-max-attempts',
    description: 'Attempts per batch, the first included.',
  }),
  define({
    path: 'exporter.initialBackoffMs',
    type: milliseconds(),
    default: 1000,
    flag: 'export-initial-backoff-ms',
    description: 'First retry delay; doubled each attempt with full jitter.',
  }),
  define({
    path: 'exporter.maxBackoffMs',
    type: milliseconds(),
    default: 5000,
    flag: 'export-max-backoff-ms',
    description: 'Cap on the retry delay (must be >= exporter.initialBackoffMs).',
  }),
  define({
    path: 'exporter.maxConcurrentExports',
    type: integer({ min: 1, noun: 'number of batches', placeholder: '<n>' }),
    default: 2,
    flag: 'max-concurrent-exports',
    description: 'Batches being sent or retried at once; more wait in the queue.',
  }),
] satisfies readonly ConfigKey[]

// Fails to compile when a field of ProxyConfig has no entry above.
type MissingKey = Exclude<ConfigPath, (typeof CONFIG_KEYS)[number]['path']>
const everyFieldHasAKey: [MissingKey] extends [never] ? true : MissingKey = true
void everyFieldHasAKey

export const ADDRESS_SHORTHANDS: readonly AddressShorthand[] = [
  { name: 'listen', flag: 'listen', env: 'TRACECAR_LISTEN', hostPath: 'listen.host', portPath: 'listen.port' },
  { name: 'admin', flag: 'admin', env: 'TRACECAR_ADMIN', hostPath: 'admin.host', portPath: 'admin.port' },
]

/** The config file: `--config <file>` or TRACECAR_CONFIG. */
export const CONFIG_FILE_FLAG = 'config'
export const CONFIG_FILE_ENV = 'TRACECAR_CONFIG'

/**
 * The TRACECAR_* name of a key: the command's prefix (`TRACECAR_` for the proxy,
 * `TRACECAR_COLLECTOR_` for the collector) + the dotted path with each dot and each
 * lower-to-upper camelCase boundary turned into `_`, upper-cased.
 * `timeouts.connectMs` -> TRACECAR_TIMEOUTS_CONNECT_MS, `exporter.logsEndpoint` ->
 * TRACECAR_EXPORTER_LOGS_ENDPOINT.
 */
export function tracecarEnvName(path: string, prefix = 'TRACECAR_'): string {
  return `${prefix}${path
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/\./g, '_')
    .toUpperCase()}`
}

/** Compile-time check that every key path names a real field of ProxyConfig. */
type Leaves<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends string | number | boolean | unknown[]
    ? `${Prefix}${K}`
    : K extends 'resourceAttributes' | 'headers'
      ? T[K] extends Record<string, string>
        ? `${Prefix}${K}`
        : Leaves<T[K], `${Prefix}${K}.`>
      : Leaves<T[K], `${Prefix}${K}.`>
}[keyof T & string]
export type ConfigPath = Leaves<ProxyConfig>

/** The type of the ProxyConfig field at a dotted path: `timeouts.connectMs` -> number. */
type ValueAt<T, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends keyof T
    ? ValueAt<T[Head], Rest>
    : never
  : P extends keyof T
    ? T[P]
    : never
export type ProxyConfigValue<P extends ConfigPath> = ValueAt<ProxyConfig, P>
