/**
 * `tracecar collector`'s settings from flags, TRACECAR_COLLECTOR_* variables, its YAML
 * file and defaults, validated by the collector's table (collector-schema.ts) with the
 * same machinery and the same one-line ConfigError as the proxy's.
 */
import { badValue, showValue } from './config-error.js'
import { COLLECTOR_SCHEMA, type CollectorConfig } from './collector-schema.js'
import { commandHelpText } from './help-text.js'
import { resolveConfig, type ResolveConfigOptions } from './resolve-config.js'

/**
 * A check the command adds for a key whose meaning lives in another part (the store URL's
 * syntax is the collector's): the problem with the value ("expected ..."), or undefined.
 */
export type CollectorValueChecks = { readonly [P in keyof CollectorConfig]?: (value: NonNullable<CollectorConfig[P]>) => string | undefined }

export function loadCollectorConfig(options: ResolveConfigOptions, checks: CollectorValueChecks = {}): CollectorConfig {
  const resolved = resolveConfig(COLLECTOR_SCHEMA, options)
  for (const [path, check] of Object.entries(checks) as Array<[string, (value: unknown) => string | undefined]>) {
    const given = resolved.get(path)
    const problem = given === undefined ? undefined : check(given.value)
    if (problem !== undefined) throw badValue(path, showValue(given!.value), given!.origin, problem)
  }
  const headers = resolved.get('forward.headers')!
  if (Object.keys(headers.value as object).length > 0 && !resolved.has('forward.endpoint')) {
    throw badValue('forward.headers', '(hidden)', headers.origin, 'headers are only sent when forwarding: set forward.endpoint (--forward-endpoint) too')
  }
  return Object.fromEntries([...resolved].map(([path, { value }]) => [path, value])) as CollectorConfig
}

export function collectorHelpText(): string {
  return commandHelpText(
    COLLECTOR_SCHEMA,
    [
      'Usage: tracecar collector [flags]',
      '',
      'Receives OTLP traces and logs, stores them in SQLite, serves the query API and UI, and evaluates alert rules.',
      'Every setting comes from, in order of precedence: a flag, the environment (TRACECAR_COLLECTOR_*), the YAML',
      'file given with --config, the default. Durations read like 500ms, 30s, 72h, 7d; sizes like 16MiB, 2GB.',
      'Lists and k=v flags may be repeated; booleans take --x, --no-x or --x=true|false.',
    ],
    ['On start it prints {"event":"listening","otlpHttpPort":N,"otlpGrpcPort":N,"httpPort":N} to stdout.', ''],
  )
}
