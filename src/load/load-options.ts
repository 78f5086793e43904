import { readFileSync } from 'node:fs'
import { commandSchema, type CommandSchema } from '../config/command-schema.js'
import type { ConfigKey } from '../config/config-schema.js'
import { commandHelpText } from '../config/help-text.js'
import { resolveCommandLine } from '../config/resolve-config.js'
import { duration, httpUrl, integer, nonEmptyString, textLines, type ValueType } from '../config/value-types.js'
import { parseTracestate } from '../trace-context/tracestate.js'

/**
 * `tracecar load` options: autocannon's familiar flags (-c, -d, -a, -R, -p, -m, -H, -b)
 * plus where the collector and the UI are, as a table of keys for the config machinery
 * (src/config): flags, TRACECAR_LOAD_* variables, a YAML file and `--help` come from it,
 * and a bad value is its one-line ConfigError. What one key cannot say alone (the target
 * URL, headers the run writes itself, a body file, -a against -c) is a LoadOptionError
 * naming the flag, what was given and what is allowed.
 */

export const DEFAULT_COLLECTOR_URL = 'http://127.0.0.1:16686'

/** The methods autocannon's request builder accepts (it throws for any other). */
export const LOAD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH'] as const
export type LoadMethod = (typeof LOAD_METHODS)[number]

export interface LoadOptions {
  url: string
  connections: number
  /** Seconds; ignored when `amount` is set (autocannon's rule). */
  durationSec: number
  amount: number | undefined
  /** Requests per second over all connections (autocannon `overallRate`). */
  rate: number | undefined
  pipelining: number
  method: LoadMethod
  /** Extra request headers as given, lower-cased names, in order. */
  headers: Array<[string, string]>
  /** tracestate members the user passed with -H, sent after the run's own member. */
  userTracestate: string
  body: Buffer | undefined
  slowest: number
  /** undefined: no JSON; '-': JSON on stdout; otherwise a file path. */
  json: string | undefined
  collectorUrl: string
  uiUrl: string
  /** How long to wait for the run's spans to reach the collector. */
  traceWaitSec: number
  /** Seconds autocannon waits for one response before counting a timeout. */
  timeoutSec: number
  help: boolean
}

export class LoadOptionError extends Error {
  override readonly name = 'LoadOptionError'
  constructor(detail: string) {
    super(`tracecar load: ${detail}`)
  }
}

/** A number above zero (requests per second). */
function positiveNumber(placeholder: string): ValueType<number> {
  const expected = 'a number above 0'
  return {
    placeholder,
    expected,
    flagShape: 'single',
    parse(input) {
      const n = typeof input === 'number' ? input : typeof input === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(input) ? Number(input) : NaN
      return n > 0 && Number.isFinite(n) ? { ok: true, value: n } : { ok: false, problem: `expected ${expected}` }
    },
    show: String,
  }
}

/** An HTTP method autocannon can send, any case, upper-cased. */
function method(): ValueType<LoadMethod> {
  const expected = `one of ${LOAD_METHODS.join(', ')}`
  return {
    placeholder: '<method>',
    expected,
    choices: LOAD_METHODS,
    flagShape: 'single',
    parse(input) {
      const upper = typeof input === 'string' ? input.trim().toUpperCase() : ''
      return (LOAD_METHODS as readonly string[]).includes(upper) ? { ok: true, value: upper as LoadMethod } : { ok: false, problem: `expected ${expected}` }
    },
    show: String,
  }
}

const seconds = (positive: boolean): ValueType<number> => duration({ bareNumberUnit: 's', positive })
const count = (noun: string, max?: number): ValueType<number> => integer({ min: 1, max, noun, placeholder: '<n>' })

export const LOAD_KEYS: readonly ConfigKey[] = [
  { path: 'connections', type: count('number of connections'), default: 10, flag: 'connections', short: 'c', description: 'Concurrent connections.' },
  {
    path: 'duration',
    type: seconds(true),
    default: 10_000,
    flag: 'duration',
    short: 'd',
    description: 'How long to run (a bare number is seconds: 30, 30s, 2m); ignored with --amount.',
  },
  {
    path: 'amount',
    type: count('number of requests'),
    optional: true,
    defaultNote: 'run for --duration',
    flag: 'amount',
    short: 'a',
    description: 'Number of requests to make instead of a duration.',
  },
  {
    path: 'rate',
    type: positiveNumber('<n>'),
    optional: true,
    defaultNote: 'as fast as possible',
    flag: 'rate',
    short: 'R',
    description: 'Requests per second over all connections.',
  },
  {
    path: 'pipelining',
    type: count('number of requests per connection'),
    default: 1,
    flag: 'pipelining',
    short: 'p',
    description: 'Pipelined requests per connection.',
  },
  { path: 'method', type: method(), default: 'GET', flag: 'method', short: 'm', description: 'The request method.' },
  {
    path: 'headers',
    type: textLines('request headers "Name: value" or Name=value (one per line in the environment)', '<header>'),
    default: [],
    flag: 'header',
    short: 'H',
    description: 'A request header, "Name: value" or Name=value.',
  },
  {
    path: 'body',
    type: nonEmptyString('a request body, or @file', '<body>'),
    optional: true,
    defaultNote: 'none',
    flag: 'body',
    short: 'b',
    description: 'The request body, or @file to read it from a file.',
  },
  { path: 'timeout', type: seconds(true), default: 10_000, flag: 'timeout', description: 'How long to wait for one response (a bare number is seconds).' },
  { path: 'slowest', type: count('number of requests', 1000), default: 10, flag: 'slowest', description: 'How many of the slowest requests to explain.' },
  {
    path: 'json',
    type: nonEmptyString('a file path, or - for stdout', '<file>'),
    optional: true,
    defaultNote: 'no JSON',
    flag: 'json',
    description: 'Write the whole report as JSON to this file (--json=FILE); --json alone writes it to stdout and the text report to stderr.',
  },
  { path: 'collector', type: httpUrl(DEFAULT_COLLECTOR_URL), default: DEFAULT_COLLECTOR_URL, flag: 'collector', description: "The collector's query API." },
  { path: 'ui', type: httpUrl(DEFAULT_COLLECTOR_URL), optional: true, defaultNote: 'the collector URL', flag: 'ui', description: 'The UI for links.' },
  {
    path: 'traceWait',
    type: seconds(false),
    default: 20_000,
    flag: 'trace-wait',
    description: "How long to wait for the run's spans to arrive (a bare number is seconds).",
  },
]

export const LOAD_SCHEMA: CommandSchema = commandSchema('load', LOAD_KEYS, { positionals: true })

export function loadHelpText(): string {
  return commandHelpText(
    LOAD_SCHEMA,
    [
      'Usage: tracecar load <url> [flags]',
      '',
      'Drives load with autocannon; every request carries its own sampled W3C traceparent and',
      'a tracestate entry naming the run (tracecar=run-<id>). At the end the collector is asked',
      "for the run's traces: the slowest requests, the errors, and where their time went.",
      'Settings come from, in order of precedence: a flag, the environment (TRACECAR_LOAD_*), the',
      'YAML file given with --config, the default.',
    ],
    ["autocannon's progress bar and summary table go to stderr; the trace report to stdout.", ''],
  )
}

// Headers the runner writes itself for every request; a user value would break the
// one-trace-per-request promise or the body framing.
const RESERVED_HEADERS = new Set(['traceparent', 'content-length', 'host', 'connection', 'transfer-encoding'])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const FORBIDDEN_VALUE_CHARS = /[\r\n\0]/

/**
 * `--json` takes an optional file: `--json report.json` names one; `--json` at the end,
 * before another flag or before the target URL writes to stdout (`--json=-`).
 */
function withJsonTarget(argv: readonly string[]): string[] {
  const result: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      result.push(...argv.slice(i))
      break
    }
    if (arg === '--json=') {
      result.push('--json=-')
      continue
    }
    if (arg !== '--json') {
      result.push(arg)
      continue
    }
    const next = argv[i + 1]
    if (next !== undefined && (next === '-' || (!next.startsWith('-') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(next)))) {
      result.push(`--json=${next}`)
      i++
    } else {
      result.push('--json=-')
    }
  }
  return result
}

/** Throws ConfigError for a bad value, LoadOptionError for what no single value says. */
export function parseLoadOptions(
  argv: readonly string[],
  readFile: (path: string) => Buffer = readFileSync,
  env: Readonly<Record<string, string | undefined>> = {},
): LoadOptions {
  const { values, positionals } = resolveCommandLine(LOAD_SCHEMA, { argv: withJsonTarget(argv), env })
  const value = <T>(path: string): T => values.get(path)?.value as T

  if (positionals.length === 0) throw new LoadOptionError(`a target URL is required, e.g. 'tracecar load http://127.0.0.1:15006/checkout'`)
  if (positionals.length > 1)
    throw new LoadOptionError(`one target URL expected, got ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`)
  const options = defaults(parseHttpUrl('the target URL', positionals[0]!))
  options.connections = value('connections')
  options.durationSec = value<number>('duration') / 1000
  options.amount = value('amount')
  options.rate = value('rate')
  options.pipelining = value('pipelining')
  options.method = value('method')
  options.slowest = value('slowest')
  options.timeoutSec = value<number>('timeout') / 1000
  options.traceWaitSec = value<number>('traceWait') / 1000
  options.json = value('json')
  options.collectorUrl = trimSlash(value('collector'))
  const ui = value<string | undefined>('ui')
  options.uiUrl = ui === undefined ? options.collectorUrl : trimSlash(ui)
  const body = value<string | undefined>('body')
  if (body !== undefined) options.body = readBody('-b', body, readFile)

  for (const text of value<string[]>('headers')) {
    const [name, headerValue] = parseHeader('-H', text)
    if (name === 'tracestate') {
      options.userTracestate = options.userTracestate === '' ? headerValue : `${options.userTracestate},${headerValue}`
    } else {
      options.headers.push([name, headerValue])
    }
  }
  if (options.userTracestate !== '') {
    const parsed = parseTracestate(options.userTracestate)
    if (parsed === undefined || /(^|,)\s*tracecar=/.test(options.userTracestate)) {
      throw new LoadOptionError(
        `-H tracestate ${JSON.stringify(options.userTracestate)}: not a valid W3C tracestate list without a 'tracecar' member (the run adds tracecar=run-<id> itself)`,
      )
    }
    options.userTracestate = parsed
  }
  if (options.amount !== undefined && options.amount < options.connections) {
    // autocannon gives every connection at least one request and throws otherwise.
    throw new LoadOptionError(`-a ${options.amount} is fewer requests than -c ${options.connections} connections; lower -c or raise -a`)
  }
  if (options.pipelining > 1 && options.rate !== undefined) {
    // autocannon's rate limiter pauses a connection between whole requests; with
    // several in flight per connection the rate is not what was asked for.
    throw new LoadOptionError('--rate cannot be combined with --pipelining above 1')
  }
  return options
}

function defaults(url: string): LoadOptions {
  return {
    url,
    connections: 10,
    durationSec: 10,
    amount: undefined,
    rate: undefined,
    pipelining: 1,
    method: 'GET',
    headers: [],
    userTracestate: '',
    body: undefined,
    slowest: 10,
    json: undefined,
    collectorUrl: DEFAULT_COLLECTOR_URL,
    uiUrl: DEFAULT_COLLECTOR_URL,
    traceWaitSec: 20,
    timeoutSec: 10,
    help: false,
  }
}

function parseHeader(flag: string, text: string): [string, string] {
  const colon = text.indexOf(':')
  const equals = text.indexOf('=')
  const cut = colon === -1 ? equals : equals === -1 ? colon : Math.min(colon, equals)
  if (cut <= 0) throw new LoadOptionError(`${flag} ${JSON.stringify(text)}: expected "Name: value" or Name=value`)
  const name = text.slice(0, cut).trim().toLowerCase()
  const value = text.slice(cut + 1).trim()
  if (!TOKEN.test(name)) throw new LoadOptionError(`${flag} ${JSON.stringify(text)}: ${JSON.stringify(name)} is not a valid header name`)
  if (FORBIDDEN_VALUE_CHARS.test(value)) throw new LoadOptionError(`${flag} ${JSON.stringify(name)}: the value may not contain CR, LF or NUL`)
  if (RESERVED_HEADERS.has(name)) {
    throw new LoadOptionError(`${flag} ${name}: tracecar load sets ${name} itself` + (name === 'traceparent' ? ' (a new sampled trace for every request)' : ''))
  }
  return [name, value]
}

function readBody(flag: string, value: string, readFile: (path: string) => Buffer): Buffer {
  if (!value.startsWith('@')) return Buffer.from(value)
  const path = value.slice(1)
  if (path === '') throw new LoadOptionError(`${flag} @: a file name is needed after @`)
  try {
    return readFile(path)
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new LoadOptionError(`${flag} ${value}: cannot read ${JSON.stringify(path)} (${reason})`)
  }
}

function parseHttpUrl(what: string, text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new LoadOptionError(`${what} ${JSON.stringify(text)}: not a URL; expected http://host:port/path`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LoadOptionError(`${what} ${JSON.stringify(text)}: expected an http:// or https:// URL`)
  }
  return url.href
}

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url
}
