/**
 * THE description of `tracecar collector`'s configuration: one entry per setting. Its
 * flags, its TRACECAR_COLLECTOR_* environment variables (handy in a Kubernetes
 * Deployment), its YAML file, `--help`, the table in docs/collector.md and the example
 * config/collector.yaml all come from this table, through the same machinery as the
 * proxy's (config-schema.ts). The command turns the values into CollectorOptions.
 */
import { resolve as resolvePath } from 'node:path'
import { commandSchema, type CommandSchema } from './command-schema.js'
import type { ConfigKey } from './config-schema.js'
import { allowedHostNames, boolean, byteSize, duration, host, httpUrl, httpUrls, nonEmptyString, oneOf, port, stringMap, textLines } from './value-types.js'

/** A key whose value's type is kept, so the config type can be derived from the table. */
// The value's type comes from the key's type alone (`default: 'full'` must not widen it to string).
const key = <T, P extends string>(entry: Omit<ConfigKey<T, P>, 'default'> & { default?: NoInfer<T> }): ConfigKey<T, P> => entry
/** A key no default sets: absent from the config unless a source gives it. */
const optionalKey = <T, P extends string>(entry: Omit<ConfigKey<T, P>, 'default' | 'optional'>): ConfigKey<T | undefined, P> =>
  ({ ...entry, optional: true }) as ConfigKey<T | undefined, P>

const absolute = (value: string, cwd: string): string => resolvePath(cwd, value)

export const COLLECTOR_KEYS = [
  key({
    path: 'store',
    type: nonEmptyString('sqlite, or a ClickHouse URL such as clickhouse://default@127.0.0.1:8123/tracecar', '<sqlite|url>'),
    default: 'sqlite',
    flag: 'store',
    description:
      'Where data is kept: sqlite (a file in dataDir), or a ClickHouse that several collectors share: clickhouse://user:password@host:8123/database (docs/scale-out.md).',
  }),
  key({
    path: 'dataDir',
    type: nonEmptyString('a folder path', '<dir>'),
    default: './data',
    flag: 'data-dir',
    description: 'Folder of the database file tracecar.db; a relative path is resolved against the working directory.',
    finish: absolute,
  }),
  key({
    path: 'host',
    type: host(),
    default: '127.0.0.1',
    flag: 'host',
    description: 'Listen address of all listeners (loopback by default; 0.0.0.0 to open them, e.g. in a Kubernetes pod).',
  }),
  optionalKey({
    path: 'allowedHosts',
    type: allowedHostNames(),
    flag: 'allowed-hosts',
    defaultNote: 'IP addresses, localhost and host only',
    description:
      "Host names the API and UI answer to, besides IP addresses, localhost and host; others get 403 (DNS rebinding guard). Name the collector's DNS name here (a Kubernetes Service, Grafana's data source URL), or any behind a reverse proxy that checks Host itself.",
  }),
  key({ path: 'otlpHttpPort', type: port(), default: 4318, flag: 'otlp-http-port', description: 'OTLP/HTTP receiver: /v1/traces, /v1/logs.' }),
  key({ path: 'otlpGrpcPort', type: port(), default: 4317, flag: 'otlp-grpc-port', description: 'OTLP/gRPC receiver.' }),
  key({ path: 'httpPort', type: port(), default: 16686, flag: 'http-port', description: 'Query API (/api) and UI.' }),
  optionalKey({
    path: 'retention.maxAge',
    type: duration({ positive: true }),
    flag: 'retention',
    defaultNote: 'keep everything',
    example: '7d',
    description: 'Delete spans and logs older than this (e.g. 72h, 7d).',
  }),
  optionalKey({
    path: 'retention.maxSize',
    type: byteSize(),
    flag: 'max-db-size',
    defaultNote: 'no limit',
    example: '2GiB',
    description: 'Delete the oldest data while the database is larger than this (e.g. 2GiB, 500MB).',
  }),
  key({
    path: 'retention.interval',
    type: duration({ positive: true }),
    default: 60_000,
    flag: 'retention-interval',
    description: 'How often retention runs.',
  }),
  key({
    path: 'maxBodyBytes',
    type: byteSize(),
    default: 16 * 1024 * 1024,
    flag: 'max-body-bytes',
    description: 'Largest OTLP request body (compressed or not) or gRPC message.',
  }),
  key({
    path: 'sync',
    type: oneOf(['full', 'normal'] as const),
    default: 'full',
    flag: 'sync',
    description:
      'full: a batch is acknowledged once fsynced, safe against power loss; normal: safe against kill -9 and crashes, not power loss, with less CPU per batch.',
  }),
  optionalKey({
    path: 'forward.endpoint',
    type: httpUrl('http://otel-collector:4318'),
    flag: 'forward-endpoint',
    defaultNote: 'no forwarding',
    description: 'Also send everything received to this OTLP/HTTP receiver (base URL: /v1/traces and /v1/logs are appended).',
  }),
  key({
    path: 'forward.headers',
    type: stringMap('http-headers'),
    default: {},
    flag: 'forward-header',
    secret: true,
    description: 'Headers of the forwarded requests (e.g. authorization=Bearer x); needs forward.endpoint.',
  }),
  key({ path: 'ui.enabled', type: boolean(), default: true, flag: 'ui', description: 'Serve the web UI (--no-ui: only the API).' }),
  optionalKey({
    path: 'ui.dir',
    type: nonEmptyString('a folder path', '<dir>'),
    flag: 'ui-dir',
    defaultNote: 'dist/ui of the package, if built',
    description: 'Serve the UI from this folder.',
    finish: absolute,
  }),
  optionalKey({
    path: 'alerts.rules',
    type: nonEmptyString('a file path', '<file>'),
    flag: 'alert-rules',
    defaultNote: 'no rules',
    description: 'Alert rules (YAML, see config/alerts.yaml), evaluated on the RED rollups.',
    finish: absolute,
  }),
  key({
    path: 'alerts.webhooks',
    type: httpUrls('http://hooks.example.com/tracecar'),
    default: [],
    flag: 'alert-webhook',
    description: 'POST alert notices (JSON, docs/logs-metrics-alerts.md) to these URLs.',
  }),
  key({
    path: 'alerts.alertmanagerUrls',
    type: httpUrls('http://alertmanager:9093'),
    default: [],
    flag: 'alertmanager-url',
    description: 'Send alerts to these Prometheus Alertmanagers.',
  }),
  optionalKey({
    path: 'alerts.uiBaseUrl',
    type: httpUrl('http://tracecar.example.com'),
    flag: 'ui-base-url',
    defaultNote: 'http://<host>:<httpPort>',
    description: 'Base of the trace links in alerts.',
  }),
  optionalKey({
    path: 'alerts.evaluationInterval',
    type: duration({ minMs: 100 }),
    flag: 'alert-eval-interval',
    defaultNote: "the rules file's evaluationInterval, else 15s",
    description: 'How often alert rules are evaluated.',
  }),
  key({
    path: 'logs.traceIdFields',
    type: textLines('log field names, each optionally with :decimal (one per line in the environment)', '<field>'),
    default: [],
    flag: 'log-trace-id-field',
    description: 'Extra log fields holding trace ids; field:decimal for 64-bit decimal ids.',
  }),
  key({
    path: 'logs.traceIdPatterns',
    type: textLines('regular expressions (one per line in the environment)', '<regexp>'),
    default: [],
    flag: 'log-trace-id-pattern',
    description: 'Extra regular expressions finding trace ids in log text (named group traceId, or group 1).',
  }),
] as const

export const COLLECTOR_SCHEMA: CommandSchema = commandSchema('collector', COLLECTOR_KEYS)

/** The collector's settings by dotted key, each typed as its key's value type: derived from the table, so the two cannot drift. */
export type CollectorConfig = {
  [K in (typeof COLLECTOR_KEYS)[number] as K['path']]: K extends ConfigKey<infer T, string> ? T : never
}
