/**
 * Reads a command's flags (`tracecar proxy`, `tracecar collector`) with node:util parseArgs
 * (strict), with the option table derived from its config schema. Booleans take `--x`,
 * `--no-x` and `--x=true|false`.
 */
import { parseArgs } from 'node:util'
import { ConfigError, badValue, showValue } from './config-error.js'
import { PROXY_SCHEMA, type CommandSchema } from './command-schema.js'
import { splitHostPort, type SourcedValue } from './sourced-value.js'

export interface FlagValues {
  readonly values: ReadonlyMap<string, SourcedValue>
  readonly configFile?: string
  readonly help: boolean
  /** Arguments that are not flags, for a command that allows them. */
  readonly positionals: readonly string[]
}

type OptionTable = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>

function optionTable(schema: CommandSchema): OptionTable {
  const options: OptionTable = {
    help: { type: 'boolean', short: 'h' },
    [schema.configFile.flag]: { type: 'string' },
  }
  for (const shorthand of schema.shorthands) options[shorthand.flag] = { type: 'string' }
  for (const key of schema.keys) {
    const shape = key.type.flagShape
    options[key.flag] = shape === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: shape !== 'single' }
    if (key.short !== undefined) options[key.flag]!.short = key.short
  }
  return options
}

/** True when `--help` or `-h` appears before any `--` terminator. */
export function isHelpRequested(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false
    if (arg === '--help' || arg === '-h') return true
  }
  return false
}

export function readFlags(argv: readonly string[], schema: CommandSchema = PROXY_SCHEMA): FlagValues {
  const options = optionTable(schema)
  const { values: parsed, positionals } = parseStrict(rewriteBooleanAssignments(argv, options, schema), options, schema)
  const values = new Map<string, SourcedValue>()

  // Shorthands first: a specific flag (--listen-port) given alongside --listen wins.
  for (const shorthand of schema.shorthands) {
    const text = parsed[shorthand.flag]
    if (typeof text !== 'string') continue
    const origin = `flag --${shorthand.flag}`
    const parts = splitHostPort(text)
    if (!parts) throw badValue(shorthand.name, showValue(text), origin, 'expected host:port (e.g. 0.0.0.0:15006 or [::]:15006)')
    values.set(shorthand.hostPath, { input: parts.host, given: text, origin, validateWhenShadowed: true })
    values.set(shorthand.portPath, { input: parts.port, given: text, origin, validateWhenShadowed: true })
  }

  for (const key of schema.keys) {
    const value = parsed[key.flag]
    if (value === undefined) continue
    let input: unknown = value
    // `--header k=v` / `--resource-attribute k=v`: one pair per occurrence, split on the
    // first `=` only, no percent-decoding (the shell already quoted it). Anything without
    // `=` is passed on as the raw list, which the map type rejects with its usual message.
    if (key.type.flagShape === 'pairs' && isStringList(value) && value.every((entry) => entry.includes('='))) {
      input = Object.fromEntries(value.map((entry) => [entry.slice(0, entry.indexOf('=')).trim(), entry.slice(entry.indexOf('=') + 1)]))
    }
    values.set(key.path, { input, given: input, origin: `flag --${key.flag}`, validateWhenShadowed: true })
  }

  const configFile = parsed[schema.configFile.flag]
  return {
    values,
    configFile: typeof configFile === 'string' ? configFile : undefined,
    help: parsed.help === true,
    positionals,
  }
}

/** `--access-log=false` -> `--no-access-log`: parseArgs itself refuses a value on a boolean. */
function rewriteBooleanAssignments(argv: readonly string[], options: OptionTable, schema: CommandSchema): string[] {
  const result: string[] = []
  let terminated = false
  for (const arg of argv) {
    const match = terminated ? null : /^--([^=]+)=(.*)$/s.exec(arg)
    if (arg === '--') terminated = true
    if (match && options[match[1]!]?.type === 'boolean') {
      const name = match[1]!
      const text = match[2]!.trim().toLowerCase()
      if (text === 'true') result.push(`--${name}`)
      else if (text === 'false') result.push(`--no-${name}`)
      else {
        const key = schema.keys.find((candidate) => candidate.flag === name)
        throw badValue(key?.path ?? name, showValue(match[2]), `flag --${name}`, 'expected true or false')
      }
    } else result.push(arg)
  }
  return result
}

type ParsedFlags = { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] }

function parseStrict(args: string[], options: OptionTable, schema: CommandSchema): ParsedFlags {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: schema.positionals === true, allowNegative: true }) as ParsedFlags
  } catch (error) {
    throw flagError(error, schema.command)
  }
}

function flagError(error: unknown, command: string): ConfigError {
  const code = (error as { code?: string }).code
  const message = error instanceof Error ? error.message : String(error)
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? ''
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new ConfigError(`unknown flag ${quoted} (run tracecar ${command} --help for the list)`, undefined, `flag ${quoted}`)
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new ConfigError(
        `unexpected argument ${JSON.stringify(quoted)}: every setting is a --flag (run tracecar ${command} --help for the list)`,
        undefined,
        'command line',
      )
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // parseArgs names a flag with a short alias as '-c, --connections <value>'.
      const flag = (quoted.split(' ')[0] ?? quoted).replace(/,$/, '')
      if (/argument missing/.test(message)) return new ConfigError(`flag ${flag} needs a value`, undefined, `flag ${flag}`)
      if (/ambiguous/.test(message)) {
        return new ConfigError(
          `flag ${flag} needs a value, but the next argument looks like a flag (write ${flag}=<value> if it is the value)`,
          undefined,
          `flag ${flag}`,
        )
      }
      return new ConfigError(`flag ${flag}: ${message.split('\n')[0]}`, undefined, `flag ${flag}`)
    }
    default:
      return new ConfigError(`command line: ${message.split('\n')[0]}`, undefined, 'command line')
  }
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string')
}
