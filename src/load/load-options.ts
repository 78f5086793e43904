import { readFileSync } from 'node:fs'
import { parseTracestate } from '../trace-context/tracestate.js'
import { parseDuration } from '../units/duration.js'

/**
 * `tracecar load` options: autocannon's familiar flags plus where the collector and
 * the UI are. Parsed by hand rather than with `util.parseArgs` because `--json` takes
 * an optional file and `-H` is repeatable with `Name: value` text; every bad value is
 * one `LoadOptionError` naming the flag, what was given and what is allowed.
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

export const LOAD_HELP = `usage: tracecar load <url> [options]

Drives load with autocannon; every request carries its own sampled W3C traceparent and
a tracestate entry naming the run (tracecar=run-<id>). At the end the collector is asked
for the run's traces: the slowest requests, the errors, and where their time went.

  -c, --connections N    concurrent connections (default 10)
  -d, --duration S       seconds to run, e.g. 30, 30s, 2m (default 10)
  -a, --amount N         number of requests to make instead of a duration
  -R, --rate N           requests per second over all connections (default: as fast as possible)
  -p, --pipelining N     pipelined requests per connection (default 1)
  -m, --method M         ${LOAD_METHODS.join(', ')} (default GET)
  -H, --header H         request header "Name: value" (or Name=value); repeatable
  -b, --body B           request body, or @file to read it from a file
      --timeout S        seconds to wait for one response (default 10)
      --slowest N        how many of the slowest requests to explain (default 10)
      --json [FILE]      write the whole report as JSON to FILE (--json=FILE), or to stdout
                         when no file is given (the text report then goes to stderr)
      --collector URL    the collector's query API (default ${DEFAULT_COLLECTOR_URL})
      --ui URL           the UI for links (default: the collector URL)
      --trace-wait S     how long to wait for the run's spans to arrive (default 20)
  -h, --help             this text

autocannon's progress bar and summary table go to stderr; the trace report to stdout.
`

interface FlagSpec {
  key: keyof LoadOptions | 'header'
  takesValue: 'yes' | 'no' | 'optional'
}

const FLAGS: Record<string, FlagSpec> = {
  '-c': { key: 'connections', takesValue: 'yes' },
  '--connections': { key: 'connections', takesValue: 'yes' },
  '-d': { key: 'durationSec', takesValue: 'yes' },
  '--duration': { key: 'durationSec', takesValue: 'yes' },
  '-a': { key: 'amount', takesValue: 'yes' },
  '--amount': { key: 'amount', takesValue: 'yes' },
  '-R': { key: 'rate', takesValue: 'yes' },
  '--rate': { key: 'rate', takesValue: 'yes' },
  '-p': { key: 'pipelining', takesValue: 'yes' },
  '--pipelining': { key: 'pipelining', takesValue: 'yes' },
  '-m': { key: 'method', takesValue: 'yes' },
  '--method': { key: 'method', takesValue: 'yes' },
  '-H': { key: 'header', takesValue: 'yes' },
  '--header': { key: 'header', takesValue: 'yes' },
  '-b': { key: 'body', takesValue: 'yes' },
  '--body': { key: 'body', takesValue: 'yes' },
  '--timeout': { key: 'timeoutSec', takesValue: 'yes' },
  '--slowest': { key: 'slowest', takesValue: 'yes' },
  '--json': { key: 'json', takesValue: 'optional' },
  '--collector': { key: 'collectorUrl', takesValue: 'yes' },
  '--ui': { key: 'uiUrl', takesValue: 'yes' },
  '--trace-wait': { key: 'traceWaitSec', takesValue: 'yes' },
  '-h': { key: 'help', takesValue: 'no' },
  '--help': { key: 'help', takesValue: 'no' },
}

// Headers the runner writes itself for every request; a user value would break the
// one-trace-per-request promise or the body framing.
const RESERVED_HEADERS = new Set(['traceparent', 'content-length', 'host', 'connection', 'transfer-encoding'])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const FORBIDDEN_VALUE_CHARS = /[\r\n\0]/

export function isLoadHelpRequested(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h')
}

export function parseLoadOptions(argv: readonly string[], readFile: (path: string) => Buffer = readFileSync): LoadOptions {
  const given = new Map<string, { flag: string; value: string | undefined }>()
  const headers: Array<[string, string]> = []
  const positionals: string[] = []

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq === -1 ? arg : arg.slice(0, eq)
    const spec = FLAGS[flag]
    if (spec === undefined) throw new LoadOptionError(`unknown option '${flag}' (see 'tracecar load --help')`)
    let value: string | undefined
    if (eq !== -1) {
      if (spec.takesValue === 'no') throw new LoadOptionError(`${flag} takes no value`)
      value = arg.slice(eq + 1)
    } else if (spec.takesValue === 'yes') {
      value = argv[i + 1]
      if (value === undefined) throw new LoadOptionError(`${flag} needs a value (see 'tracecar load --help')`)
      i++
    } else if (spec.takesValue === 'optional') {
      // `--json report.json` names a file; `--json http://...` is the target URL and
      // `--json -c 5` another flag, so only a plain word is taken as the file.
      const next = argv[i + 1]
      if (next !== undefined && (next === '-' || (!next.startsWith('-') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(next)))) {
        value = next
        i++
      }
    }
    if (spec.key === 'header') {
      headers.push(parseHeader(flag, value!))
      continue
    }
    given.set(spec.key, { flag, value })
  }

  if (given.has('help')) return { ...defaults(''), help: true }

  if (positionals.length === 0) throw new LoadOptionError(`a target URL is required, e.g. 'tracecar load http://127.0.0.1:15006/checkout'`)
  if (positionals.length > 1) throw new LoadOptionError(`one target URL expected, got ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`)
  const url = parseHttpUrl('the target URL', positionals[0]!)

  const options = defaults(url)
  const num = (key: string, parse: (flag: string, value: string) => number): number | undefined => {
    const g = given.get(key)
    return g === undefined ? undefined : parse(g.flag, g.value!)
  }
  options.connections = num('connections', positiveInteger) ?? options.connections
  options.durationSec = num('durationSec', durationSeconds) ?? options.durationSec
  options.amount = num('amount', positiveInteger)
  options.rate = num('rate', positiveNumber)
  options.pipelining = num('pipelining', positiveInteger) ?? options.pipelining
  options.slowest = num('slowest', (f, v) => boundedInteger(f, v, 1, 1000)) ?? options.slowest
  options.traceWaitSec = num('traceWaitSec', nonNegativeNumber) ?? options.traceWaitSec
  options.timeoutSec = num('timeoutSec', positiveNumber) ?? options.timeoutSec

  const method = given.get('method')
  if (method !== undefined) {
    const upper = method.value!.toUpperCase()
    if (!(LOAD_METHODS as readonly string[]).includes(upper)) {
      throw new LoadOptionError(`${method.flag} ${JSON.stringify(method.value)}: expected one of ${LOAD_METHODS.join(', ')}`)
    }
    options.method = upper as LoadMethod
  }

  const body = given.get('body')
  if (body !== undefined) options.body = readBody(body.flag, body.value!, readFile)

  const json = given.get('json')
  if (json !== undefined) options.json = json.value === undefined || json.value === '' ? '-' : json.value

  const collector = given.get('collectorUrl')
  if (collector !== undefined) options.collectorUrl = trimSlash(parseHttpUrl(collector.flag, collector.value!))
  const ui = given.get('uiUrl')
  options.uiUrl = ui !== undefined ? trimSlash(parseHttpUrl(ui.flag, ui.value!)) : options.collectorUrl

  for (const [name, value] of headers) {
    if (name === 'tracestate') {
      options.userTracestate = options.userTracestate === '' ? value : `${options.userTracestate},${value}`
    } else {
      options.headers.push([name, value])
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
    throw new LoadOptionError(
      `${flag} ${name}: tracecar load sets ${name} itself` + (name === 'traceparent' ? ' (a new sampled trace for every request)' : ''),
    )
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

function positiveInteger(flag: string, value: string): number {
  return boundedInteger(flag, value, 1, Number.MAX_SAFE_INTEGER)
}

function boundedInteger(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new LoadOptionError(`${flag} ${JSON.stringify(value)}: expected a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`)
  }
  return n
}

function positiveNumber(flag: string, value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN
  if (!(n > 0) || !Number.isFinite(n)) throw new LoadOptionError(`${flag} ${JSON.stringify(value)}: expected a number above 0`)
  return n
}

function nonNegativeNumber(flag: string, value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN
  if (!Number.isFinite(n)) throw new LoadOptionError(`${flag} ${JSON.stringify(value)}: expected a number of seconds, 0 or more`)
  return n
}

/** `30`, `30s`, `1.5m`, `1h` → seconds. */
function durationSeconds(flag: string, value: string): number {
  const result = parseDuration(value, { bareNumberUnit: 's', positive: true })
  if (!result.ok || !Number.isFinite(result.ms)) {
    throw new LoadOptionError(`${flag} ${JSON.stringify(value)}: expected a duration above 0 in seconds, e.g. 30, 30s, 2m`)
  }
  return result.ms / 1000
}
