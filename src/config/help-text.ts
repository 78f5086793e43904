/** A command's `--help`, generated from its config schema: one line per key. */
import { PROXY_SCHEMA, type CommandSchema } from './command-schema.js'
import { tracecarEnvName, type ConfigKey } from './config-schema.js'

export function flagUsage(key: ConfigKey): string {
  const shape = key.type.flagShape
  const short = key.short === undefined ? '' : `-${key.short}, `
  if (shape === 'boolean') return `${short}--[no-]${key.flag}`
  const repeat = shape === 'single' ? '' : ' ...'
  return `${short}--${key.flag} ${key.type.placeholder}${repeat}`
}

export function envNames(key: ConfigKey, envPrefix = PROXY_SCHEMA.envPrefix): string[] {
  return [tracecarEnvName(key.path, envPrefix), ...(key.otelEnv ?? []).map((reader) => (reader.note ? `${reader.name} (${reader.note})` : reader.name))]
}

export function defaultText(key: ConfigKey): string {
  if (key.defaultNote) return key.defaultNote
  if (key.default === undefined) return key.optional ? '(not set)' : 'required'
  return key.type.show(key.default)
}

/** `about`: the usage line and the paragraphs before the flags; `after`: lines after them. */
export function commandHelpText(schema: CommandSchema, about: readonly string[], after: readonly string[] = []): string {
  const rows: Array<[string, string]> = [
    ['--help, -h', 'print this help and exit'],
    [`--${schema.configFile.flag} <file>`, `YAML config file (keys as below; env ${schema.configFile.env})`],
    ...schema.shorthands.map((shorthand): [string, string] => [
      `--${shorthand.flag} <host:port>`,
      `sets ${shorthand.hostPath} and ${shorthand.portPath} at once; env ${shorthand.env}`,
    ]),
    ...schema.keys.map((key): [string, string] => [
      flagUsage(key),
      `${key.path}: ${key.description}${key.type.choices ? ` One of: ${key.type.choices.join(', ')}.` : ''} Default: ${defaultText(key)}. Env: ${envNames(key, schema.envPrefix).join(', ')}.`,
    ]),
  ]
  const width = Math.min(34, Math.max(...rows.map(([flag]) => flag.length)) + 2)
  return [...about, '', ...rows.map(([flag, text]) => `  ${flag.padEnd(width - 1)} ${text}`), '', ...after].join('\n')
}

export function proxyHelpText(): string {
  return commandHelpText(PROXY_SCHEMA, [
    'Usage: tracecar proxy --upstream <url> [flags]',
    '',
    'Runs the sidecar proxy in front of the service at --upstream.',
    'Every setting comes from, in order of precedence: a flag, the environment (TRACECAR_* before',
    'the standard OTEL_* variables), the YAML file given with --config, the default.',
    'Lists and k=v flags may be repeated; booleans take --x, --no-x or --x=true|false.',
  ])
}
