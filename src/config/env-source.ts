/**
 * Reads the environment: the command's prefix + <PATH> for every key (see tracecarEnvName:
 * TRACECAR_UPSTREAM, TRACECAR_COLLECTOR_HTTP_PORT), the host:port shorthands
 * (TRACECAR_LISTEN), and the standard OTEL_* variables listed on each key. A TRACECAR_*
 * variable beats any OTEL_* one for the same key.
 *
 * An empty TRACECAR_* variable is a value (`TRACECAR_HEADERS_TRACE_ID=` disables that
 * header); an empty OTEL_* variable counts as unset, as the OpenTelemetry spec says.
 */
import { badValue, showValue } from './config-error.js'
import { PROXY_SCHEMA, type CommandSchema } from './command-schema.js'
import { EnvValueProblem, tracecarEnvName, type ConfigKey } from './config-schema.js'
import { splitHostPort, type SourcedValue } from './sourced-value.js'

export type Environment = Readonly<Record<string, string | undefined>>

export function readTracecarEnv(env: Environment, schema: CommandSchema = PROXY_SCHEMA): Map<string, SourcedValue> {
  const values = new Map<string, SourcedValue>()
  for (const shorthand of schema.shorthands) {
    const text = env[shorthand.env]
    if (text === undefined) continue
    const origin = `env ${shorthand.env}`
    const parts = splitHostPort(text)
    if (!parts) throw badValue(shorthand.name, showValue(text), origin, 'expected host:port (e.g. 0.0.0.0:15006 or [::]:15006)')
    values.set(shorthand.hostPath, { input: parts.host, given: text, origin, validateWhenShadowed: true })
    values.set(shorthand.portPath, { input: parts.port, given: text, origin, validateWhenShadowed: true })
  }
  for (const key of schema.keys) {
    const name = tracecarEnvName(key.path, schema.envPrefix)
    const text = env[name]
    if (text === undefined) continue
    values.set(key.path, { input: text, given: text, origin: `env ${name}`, validateWhenShadowed: true })
  }
  return values
}

/** The first of the key's standard variables that sets it, or undefined. */
export function readOtelEnv(key: ConfigKey, env: Environment): SourcedValue | undefined {
  for (const reader of key.otelEnv ?? []) {
    const text = env[reader.name]
    if (text === undefined || text.trim() === '') continue
    const origin = `env ${reader.name}`
    let input: unknown
    try {
      input = reader.read ? reader.read(text, env) : text
    } catch (error) {
      if (error instanceof EnvValueProblem) throw badValue(key.path, key.secret ? '(hidden)' : showValue(text), origin, error.message)
      throw error
    }
    if (input === undefined) continue
    return { input, given: text, origin, validateWhenShadowed: false }
  }
  return undefined
}
