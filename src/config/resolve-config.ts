/**
 * One command's configuration from flags, environment, its YAML file and defaults (a flag
 * beats the environment, which beats the file, which beats the default), every value
 * validated by its key's type. Throws ConfigError, whose message is one line for the user.
 * Pure apart from reading the config file: the caller passes argv and env.
 */
import { resolve } from 'node:path'
import { ConfigError, badValue, showValue } from './config-error.js'
import type { CommandSchema } from './command-schema.js'
import { tracecarEnvName, type ConfigKey } from './config-schema.js'
import { readOtelEnv, readTracecarEnv, type Environment } from './env-source.js'
import { readConfigFile } from './file-source.js'
import { readFlags } from './flag-source.js'
import type { SourcedValue } from './sourced-value.js'

export interface ResolveConfigOptions {
  /** The arguments after `tracecar <command>`. */
  argv: readonly string[]
  env: Environment
  /** Resolves the config file and relative paths; default process.cwd(). */
  cwd?: string
}

/** A resolved value and where it came from. */
export interface ResolvedValue {
  value: unknown
  origin: string
}

/**
 * Every key's value (an optional key nobody set is absent) and its origin. `checkEnvironment`
 * runs once the command's own sources are read, before the keys are resolved (the proxy
 * checks OTEL_RESOURCE_ATTRIBUTES there).
 */
export function resolveConfig(schema: CommandSchema, options: ResolveConfigOptions, checkEnvironment?: (env: Environment) => void): Map<string, ResolvedValue> {
  return resolveCommandLine(schema, options, checkEnvironment).values
}

/** As resolveConfig, plus the arguments that are not flags (for a schema that allows them). */
export function resolveCommandLine(
  schema: CommandSchema,
  options: ResolveConfigOptions,
  checkEnvironment?: (env: Environment) => void,
): { values: Map<string, ResolvedValue>; positionals: readonly string[] } {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env
  const flags = readFlags(options.argv, schema)

  const fileEnv = env[schema.configFile.env]
  const fileName = flags.configFile ?? (fileEnv?.trim() ? fileEnv : undefined)
  const file = fileName === undefined ? new Map<string, SourcedValue>() : readConfigFile(resolve(cwd, fileName), fileName, schema)
  const tracecarEnv = readTracecarEnv(env, schema)
  checkEnvironment?.(env)

  const resolved = new Map<string, ResolvedValue>()
  for (const key of schema.keys) {
    const own = [flags.values.get(key.path), tracecarEnv.get(key.path)]
    const fromFile = file.get(key.path)
    const parsed = new Map<SourcedValue, unknown>()
    for (const given of [...own, fromFile]) if (given) parsed.set(given, parse(key, given))

    const winner = own.find(Boolean) ?? readOtelEnv(key, env) ?? fromFile
    let value: unknown
    let origin: string
    if (winner) {
      value = parsed.has(winner) ? parsed.get(winner) : parse(key, winner)
      origin = winner.origin
    } else {
      const derived = key.deriveDefault?.((path) => resolved.get(path)?.value)
      if (derived !== undefined) {
        value = derived
        origin = 'default (derived)'
      } else if (key.default !== undefined) {
        value = structuredClone(key.default)
        origin = 'default'
      } else if (key.optional) {
        continue
      } else {
        throw missing(key, schema)
      }
    }
    if (key.finish) value = key.finish(value, cwd)
    resolved.set(key.path, { value, origin })
  }
  return { values: resolved, positionals: flags.positionals }
}

/** The resolved values as one nested object: `timeouts.connectMs` -> `{ timeouts: { connectMs } }`. */
export function nestValues(resolved: ReadonlyMap<string, ResolvedValue>): Record<string, unknown> {
  const target: Record<string, unknown> = {}
  for (const [path, { value }] of resolved) {
    const parts = path.split('.')
    let node = target
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>
    node[parts.at(-1)!] = value
  }
  return target
}

function parse(key: ConfigKey, given: SourcedValue): unknown {
  const result = key.type.parse(given.input)
  if (result.ok) return result.value
  throw badValue(key.path, key.secret ? hidden(given.given) : showValue(given.given), given.origin, result.problem)
}

/** Export headers carry API keys: say which names were given, never the values. */
function hidden(given: unknown): string {
  if (given !== null && typeof given === 'object' && !Array.isArray(given)) {
    return `{${Object.keys(given)
      .map((name) => `${JSON.stringify(name)}: (hidden)`)
      .join(', ')}}`
  }
  return '(value hidden)'
}

function missing(key: ConfigKey, schema: CommandSchema): ConfigError {
  const placeholder = key.type.placeholder
  const example = key.example === undefined ? '' : `, e.g. --${key.flag} ${key.example}`
  return new ConfigError(
    `${key.path} is not set (from default: it has none): give --${key.flag} ${placeholder}, ${tracecarEnvName(key.path, schema.envPrefix)}=${placeholder} or "${key.path}:" in the config file${example}`,
    key.path,
    'default',
  )
}
