/**
 * The kinds of value a config key can hold. Each kind knows how to read its value from
 * any source (a YAML value, an environment string, a flag string or repeated flag
 * strings), how to say what is allowed (for errors and --help), and how to show a value.
 *
 * Why hand-rolled rather than ajv: every value arrives with its origin (flag, env, file
 * line) and, from env and flags, as a string that must be coerced according to its key.
 * ajv reports `instancePath` + a generic keyword message against one merged object, which
 * loses both the origin and the raw text the user typed; the one-line errors we promise
 * ("key = value (from env X): expected ...") need both. The `expected` text below is the
 * same sentence --help prints, so the two can never disagree.
 */
import { isIP } from 'node:net'
import { KeyValueListError, parseKeyValueList } from './key-value-list.js'
import { byteSizeExpected, formatBytes, parseByteSize, type ByteSizeRules } from '../units/byte-size.js'
import { durationExpected, formatDurationMs, parseDuration, type DurationRules } from '../units/duration.js'

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string }

export interface ValueType<T> {
  /** Shown after the flag in --help, e.g. `<ms>`. Empty for booleans. */
  readonly placeholder: string
  /** What is allowed; reads after "expected ". */
  readonly expected: string
  /** For enumerations: the allowed names, listed in --help. */
  readonly choices?: readonly string[]
  /** Booleans are `--x` / `--no-x`; lists may be repeated; maps are repeated `--x k=v`. */
  readonly flagShape: 'boolean' | 'single' | 'repeatable' | 'pairs'
  parse(input: unknown): ParseResult<T>
  /** The value as a user would write it (for --help, the README and the example file). */
  show(value: T): string
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value })
const fail = (problem: string): ParseResult<never> => ({ ok: false, problem })

/** RFC 9110 `token`: what an HTTP header name may be. */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

export function integer(options: { min: number; max?: number; noun: string; placeholder: string }): ValueType<number> {
  const range = options.max === undefined ? `>= ${options.min}` : `from ${options.min} to ${options.max}`
  const expected = `an integer ${options.noun} ${range}`
  return singleType(options.placeholder, expected, (input) => {
    let n: number
    if (typeof input === 'number') n = input
    else if (typeof input === 'string' && /^\s*[+-]?\d+\s*$/.test(input)) n = Number(input)
    else return fail(`expected ${expected}`)
    if (!Number.isSafeInteger(n) || n < options.min || (options.max !== undefined && n > options.max)) {
      return fail(`expected ${expected}`)
    }
    return ok(n)
  })
}

export const milliseconds = (min = 1): ValueType<number> => integer({ min, noun: 'number of milliseconds', placeholder: '<ms>' })

/**
 * A duration in milliseconds, written in the product's one grammar (src/units/duration.ts):
 * `500ms`, `30s`, `72h`, `7d`, `1h30m`. A YAML number is milliseconds, as in the alert rules
 * file; a bare number in text means `rules.bareNumberUnit` (refused without one: `30`
 * typed on a command line is too easily seconds).
 */
export function duration(rules: DurationRules = {}): ValueType<number> {
  return quantity('<duration>', durationExpected(rules), formatDurationMs, (text, fromYamlNumber) => {
    const result = parseDuration(text, fromYamlNumber ? { ...rules, bareNumberUnit: 'ms' } : rules)
    return result.ok ? result.ms : result.problem
  })
}

/** A size in bytes, written in the product's one grammar (src/units/byte-size.ts): `16MiB`, `2GB`, `4096`. */
export function byteSize(rules: ByteSizeRules = {}): ValueType<number> {
  return quantity('<size>', byteSizeExpected(rules), formatBytes, (text) => {
    const result = parseByteSize(text, rules)
    return result.ok ? result.bytes : result.problem
  })
}

/** A number written with a unit; `read` answers the number or the problem ("expected ..."). */
function quantity(
  placeholder: string,
  expected: string,
  show: (value: number) => string,
  read: (text: string, fromYamlNumber: boolean) => number | string,
): ValueType<number> {
  return singleType(
    placeholder,
    expected,
    (input) => {
      if (typeof input !== 'number' && typeof input !== 'string') return fail(`expected ${expected}`)
      const value = read(String(input), typeof input === 'number')
      if (typeof value === 'string') return fail(value)
      return Number.isSafeInteger(Math.round(value)) ? ok(value) : fail(`expected ${expected} (this one is too large)`)
    },
    show,
  )
}

/**
 * Free-text items (field names, regular expressions): a YAML list, repeated flags, or one
 * environment variable with one item per line. Items are not split on commas, which a
 * regular expression may hold.
 */
export function textLines(expected: string, placeholder: string): ValueType<string[]> {
  return {
    placeholder,
    expected,
    flagShape: 'repeatable',
    parse(input) {
      const parts = typeof input === 'string' ? input.split('\n') : Array.isArray(input) ? input : undefined
      if (!parts || !parts.every((part) => typeof part === 'string')) return fail(`expected ${expected}`)
      return ok((parts as string[]).map((part) => part.trim()).filter((part) => part !== ''))
    },
    show: (value) => (value.length === 0 ? '(none)' : value.join('\n')),
  }
}

/** http(s) URLs, e.g. where alert notices go: a YAML list, comma-separated text or repeated flags. */
export function httpUrls(example: string): ValueType<string[]> {
  const expected = `a comma-separated list of http: or https: URLs (e.g. ${example})`
  return listType('<url>', expected, (input) =>
    parseCheckedList(input, expected, (item) => (parseHttpUrl(item) ? undefined : `${JSON.stringify(item)} is not an http: or https: URL`)),
  )
}

/**
 * Host names a listener answers to besides IP addresses and localhost (a DNS rebinding
 * guard), or `any` to turn the check off.
 */
export function allowedHostNames(): ValueType<string[] | 'any'> {
  const expected = 'a comma-separated list of host names (e.g. grafana.example.com,tracecar-collector), or any'
  return {
    placeholder: '<names>',
    expected,
    flagShape: 'repeatable',
    parse(input) {
      const items = listItems(input)
      if (!items || items.length === 0) return fail(`expected ${expected}`)
      if (items.some((item) => item.toLowerCase() === 'any')) return ok('any')
      const bad = items.find((item) => !/^[A-Za-z0-9._:-]+$/.test(item))
      return bad === undefined ? ok(items) : fail(`${JSON.stringify(bad)} is not a host name; expected ${expected}`)
    },
    show: (value) => (value === 'any' ? 'any' : value.length === 0 ? '(none)' : value.join(',')),
  }
}

export const port = (): ValueType<number> => integer({ min: 0, max: 65535, noun: 'port number (0 = any free port)', placeholder: '<port>' })

export function ratio(): ValueType<number> {
  const expected = 'a number from 0 to 1'
  return singleType('<0..1>', expected, (input) => {
    let n = Number.NaN
    if (typeof input === 'number') n = input
    else if (typeof input === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(input)) n = Number(input)
    if (!Number.isFinite(n) || n < 0 || n > 1) return fail(`expected ${expected}`)
    return ok(n)
  })
}

export function boolean(): ValueType<boolean> {
  const expected = 'true or false'
  return {
    placeholder: '',
    expected,
    flagShape: 'boolean',
    parse(input) {
      if (typeof input === 'boolean') return ok(input)
      if (typeof input === 'string') {
        const text = input.trim().toLowerCase()
        if (text === 'true') return ok(true)
        if (text === 'false') return ok(false)
      }
      return fail(`expected ${expected}`)
    },
    show: String,
  }
}

function parseHttpUrl(input: unknown): URL | undefined {
  if (typeof input !== 'string') return undefined
  let url: URL
  try {
    url = new URL(input.trim())
  } catch {
    return undefined
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined
}

/** A full URL kept as written (the OTLP endpoints: their path matters). */
export function httpUrl(example: string): ValueType<string> {
  const expected = `an http: or https: URL (e.g. ${example})`
  return singleType('<url>', expected, (input) => {
    return parseHttpUrl(input) && typeof input === 'string' ? ok(input.trim()) : fail(`expected ${expected}`)
  })
}

/**
 * Scheme, host and port only: the proxy forwards each request's own path, so a path,
 * query or credentials on the upstream would be silently dropped. Resolved to the origin.
 */
export function httpOrigin(example: string): ValueType<string> {
  const expected = `an http: or https: URL with no path, query or credentials (e.g. ${example})`
  return singleType('<url>', expected, (input) => {
    const url = parseHttpUrl(input)
    if (!url || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
      return fail(`expected ${expected}`)
    }
    return ok(url.origin)
  })
}

export function oneOf<const V extends string>(values: readonly V[], refusals: Partial<Record<string, string>> = {}): ValueType<V> {
  const expected = `one of ${values.join(', ')}`
  return {
    ...singleType(values.join('|').length <= 24 ? `<${values.join('|')}>` : '<name>', expected, (input) => {
      if (typeof input === 'string') {
        const text = input.trim().toLowerCase()
        if ((values as readonly string[]).includes(text)) return ok(text as V)
        const refusal = refusals[text]
        if (refusal) return fail(`${refusal}; expected ${expected}`)
      }
      return fail(`expected ${expected}`)
    }),
    choices: values,
  }
}

/**
 * A set of propagation formats: a YAML list, or a comma-separated string (the
 * OTEL_PROPAGATORS form). `none` alone means the empty list; names in `ignored` are
 * accepted and dropped (OTEL_PROPAGATORS may name `baggage`, which the proxy does not need
 * to understand: it forwards the `baggage` header untouched).
 */
export function formatList<const V extends string>(values: readonly V[], ignored: readonly string[] = []): ValueType<V[]> {
  const expected = `a comma-separated list of ${values.join(', ')} (or none)`
  return listType(
    '<list>',
    expected,
    (input) => parseChoiceList(input, values, { expected, ignored, unknownNoun: 'propagator', othersNoun: 'formats' }),
    'none',
  )
}

/**
 * Names from a fixed set, in the order given, without repeats; `none` alone is the
 * empty list. Shared by the propagation formats and the other ordered choices.
 */
function parseChoiceList<V extends string>(
  input: unknown,
  values: readonly V[],
  words: { expected: string; ignored: readonly string[]; unknownNoun: string; othersNoun: string },
): ParseResult<V[]> {
  const { expected } = words
  const items = listItems(input)
  if (!items) return fail(`expected ${expected}`)
  const names = items.map((item) => item.toLowerCase())
  if (names.includes('none')) {
    return names.every((name) => name === 'none') ? ok([]) : fail(`none cannot be combined with other ${words.othersNoun}; expected ${expected}`)
  }
  const result: V[] = []
  for (const name of names) {
    if (words.ignored.includes(name)) continue
    if (!(values as readonly string[]).includes(name)) return fail(`unknown ${words.unknownNoun} ${JSON.stringify(name)}; expected ${expected}`)
    if (!result.includes(name as V)) result.push(name as V)
  }
  return ok(result)
}

/**
 * A list of names a flag may repeat (each possibly comma-separated), shown
 * comma-separated; `empty` is how the empty list is written back.
 */
function listType<T extends string>(
  placeholder: string,
  expected: string,
  parse: (input: unknown) => ParseResult<T[]>,
  empty: 'none' | '(none)' = '(none)',
): ValueType<T[]> {
  return { placeholder, expected, flagShape: 'repeatable', parse, show: (value) => (value.length === 0 ? empty : value.join(',')) }
}

/** A value a flag gives once; `show` writes it back (as String by default). */
function singleType<T>(placeholder: string, expected: string, parse: (input: unknown) => ParseResult<T>, show: (value: T) => string = String): ValueType<T> {
  return { placeholder, expected, flagShape: 'single', parse, show }
}

/** A list whose items are checked one by one; `problemOf` names what is wrong with an item. */
function parseCheckedList(input: unknown, expected: string, problemOf: (item: string) => string | undefined): ParseResult<string[]> {
  const items = listItems(input)
  if (!items) return fail(`expected ${expected}`)
  for (const item of items) {
    const problem = problemOf(item)
    if (problem !== undefined) return fail(`${problem}; expected ${expected}`)
  }
  return ok(items)
}

/** A YAML list of strings, a comma-separated string, or repeated flags (each possibly comma-separated). */
function listItems(input: unknown): string[] | undefined {
  const parts = typeof input === 'string' ? [input] : Array.isArray(input) ? input : undefined
  if (!parts || !parts.every((part) => typeof part === 'string')) return undefined
  return (parts as string[])
    .flatMap((part) => part.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

export function routeTemplates(): ValueType<string[]> {
  const expected = 'route templates that start with / (e.g. /users/:id or /static/*)'
  return listType('<template>', expected, (input) =>
    parseCheckedList(input, expected, (item) => (!item.startsWith('/') || /\s/.test(item) ? `route ${JSON.stringify(item)} is not allowed` : undefined)),
  )
}

export function host(): ValueType<string> {
  const expected = 'a host name or IP address (e.g. 0.0.0.0, 127.0.0.1, ::)'
  return singleType('<host>', expected, (input) => {
    if (typeof input !== 'string') return fail(`expected ${expected}`)
    const text = input.trim().replace(/^\[(.*)\]$/, '$1')
    return /^[A-Za-z0-9.\-:_%]+$/.test(text) ? ok(text) : fail(`expected ${expected}`)
  })
}

/** A header name the proxy writes into requests/responses: a valid token, lower-cased; `""` disables. */
export function headerName(): ValueType<string> {
  const expected = 'an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~, no spaces), or "" to disable'
  return singleType(
    '<name>',
    expected,
    (input) => {
      if (typeof input !== 'string') return fail(`expected ${expected}`)
      if (input === '') return ok('')
      return HTTP_TOKEN.test(input) ? ok(input.toLowerCase()) : fail(`expected ${expected}`)
    },
    (value) => (value === '' ? '""' : value),
  )
}

export function nonEmptyString(expected: string, placeholder: string): ValueType<string> {
  return singleType(placeholder, expected, (input) => {
    if (typeof input === 'number') input = String(input)
    if (typeof input !== 'string' || input.trim() === '' || /[\r\n\0]/.test(input)) return fail(`expected ${expected}`)
    return ok(input.trim())
  })
}

/**
 * A string-to-string map: a YAML mapping, or the OTel `k=v,k2=v2` form (percent-decoded).
 * `kind: 'http-headers'` also checks names are tokens and values carry no CR/LF/NUL,
 * because they are written verbatim into export requests.
 */
export function stringMap(kind: 'http-headers' | 'attributes'): ValueType<Record<string, string>> {
  const what = kind === 'http-headers' ? 'header' : 'attribute'
  const expected =
    kind === 'http-headers'
      ? 'name=value pairs (comma-separated, percent-encoded in env) with HTTP token names and no CR/LF in values'
      : 'key=value pairs (comma-separated, percent-encoded in env)'
  return {
    placeholder: '<k=v>',
    expected,
    flagShape: 'pairs',
    parse(input) {
      let map: Record<string, unknown>
      if (typeof input === 'string') {
        try {
          map = parseKeyValueList(input)
        } catch (error) {
          if (error instanceof KeyValueListError) return fail(`${error.message}; expected ${expected}`)
          throw error
        }
      } else if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
        map = input as Record<string, unknown>
      } else {
        return fail(`expected ${expected}`)
      }
      const result: Record<string, string> = {}
      for (const [name, raw] of Object.entries(map)) {
        if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
          return fail(`${what} ${JSON.stringify(name)} must have a plain text value; expected ${expected}`)
        }
        const value = String(raw)
        if (name.trim() === '') return fail(`empty ${what} name; expected ${expected}`)
        if (kind === 'http-headers') {
          if (!HTTP_TOKEN.test(name)) return fail(`header name ${JSON.stringify(name)} is not a valid HTTP token; expected ${expected}`)
          if (/[\r\n\0]/.test(value)) return fail(`header ${JSON.stringify(name)} has CR, LF or NUL in its value; expected ${expected}`)
        }
        result[name] = value
      }
      return ok(result)
    },
    show: (value) =>
      Object.keys(value).length === 0
        ? '(none)'
        : Object.entries(value)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
  }
}

/**
 * An ordered list of names from a fixed set (e.g. the outbound join rules): a YAML list, a
 * comma-separated string or repeated flags; `none` alone is the empty list.
 */
export function orderedChoices<const V extends string>(values: readonly V[], noun: string): ValueType<V[]> {
  const expected = `a comma-separated list of ${values.join(', ')} in order of preference (or none)`
  const type = listType(
    '<list>',
    expected,
    (input) => parseChoiceList(input, values, { expected, ignored: [], unknownNoun: noun, othersNoun: `${noun}s` }),
    'none',
  )
  return { ...type, choices: values }
}

/** A list of HTTP header names (lower-cased), e.g. the correlation headers the outbound proxy looks up. */
export function headerNames(): ValueType<string[]> {
  const expected = "a comma-separated list of HTTP header names (letters, digits and !#$%&'*+-.^_`|~), or none"
  return listType(
    '<name>',
    expected,
    (input) => {
      const items = listItems(input)
      if (!items) return fail(`expected ${expected}`)
      if (items.length === 1 && items[0]!.toLowerCase() === 'none') return ok([])
      const result: string[] = []
      for (const item of items) {
        if (!HTTP_TOKEN.test(item)) return fail(`header name ${JSON.stringify(item)} is not an HTTP token; expected ${expected}`)
        if (!result.includes(item.toLowerCase())) result.push(item.toLowerCase())
      }
      return ok(result)
    },
    'none',
  )
}

/** IPv4/IPv6 addresses and CIDR ranges (`127.0.0.0/8`, `::1`): who may use a listener. */
export function addressRanges(): ValueType<string[]> {
  const expected = 'a comma-separated list of IP addresses or CIDR ranges (e.g. 127.0.0.0/8,::1,10.0.0.0/8)'
  return listType('<cidr>', expected, (input) =>
    parseCheckedList(input, expected, (item) => (isAddressRange(item) ? undefined : `${JSON.stringify(item)} is not an IP address or CIDR range`)),
  )
}

function isAddressRange(text: string): boolean {
  const slash = text.indexOf('/')
  const address = slash === -1 ? text : text.slice(0, slash)
  const family = isIP(address)
  if (family === 0) return false
  if (slash === -1) return true
  const bits = text.slice(slash + 1)
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

/**
 * NO_PROXY-style destination patterns: `*`, a host name (matches it and its subdomains;
 * a leading `.` or `*.` means the same), an IP address or CIDR range, each optionally
 * with `:port`.
 */
export function hostPatterns(): ValueType<string[]> {
  const expected = 'a comma-separated list of NO_PROXY-style patterns: *, example.com, .example.com, *.example.com, 10.0.0.0/8, host:port'
  return listType('<pattern>', expected, (input) => {
    const parsed = parseCheckedList(input, expected, (item) => (isHostPattern(item) ? undefined : `${JSON.stringify(item)} is not a host pattern`))
    return parsed.ok ? ok(parsed.value.map((item) => item.toLowerCase())) : parsed
  })
}

function isHostPattern(text: string): boolean {
  if (text === '*') return true
  let host = text
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (bracketed) return isIP(bracketed[1]!) === 6 && (bracketed[2] === undefined || Number(bracketed[2]) <= 65535)
  if (isIP(text) === 6 || isAddressRange(text)) return true
  const colon = text.lastIndexOf(':')
  if (colon !== -1) {
    const portText = text.slice(colon + 1)
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return false
    host = text.slice(0, colon)
  }
  if (isAddressRange(host)) return true
  return /^(\*\.|\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)
}

/** A named upstream reachable on a local port (`payments=http://payments:8080@15101`). */
export interface NamedRoute {
  name: string
  /** Origin only: scheme, host and port. */
  upstream: string
  /** The local port clients call instead (0 = any free port). */
  port: number
}

/**
 * Named upstream routes: `name=http://host:port@localPort` strings (a YAML list of them,
 * or of `{ name, upstream, port }` mappings). Names are unique and span-safe.
 */
export function namedRoutes(): ValueType<NamedRoute[]> {
  const expected = 'name=http://host:port@localPort entries (e.g. payments=http://payments:8080@15101), names unique'
  return {
    placeholder: '<name=url@port>',
    expected,
    flagShape: 'repeatable',
    parse(input) {
      const entries = typeof input === 'string' ? [input] : Array.isArray(input) ? input : undefined
      if (!entries) return fail(`expected ${expected}`)
      const result: NamedRoute[] = []
      for (const entry of entries) {
        const parts: Array<{ name: unknown; upstream: unknown; port: unknown }> = []
        if (typeof entry === 'string') {
          for (const text of entry
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '')) {
            const equals = text.indexOf('=')
            const at = text.lastIndexOf('@')
            if (equals <= 0 || at < equals) return fail(`route ${JSON.stringify(text)} is not name=url@port; expected ${expected}`)
            parts.push({ name: text.slice(0, equals), upstream: text.slice(equals + 1, at), port: text.slice(at + 1) })
          }
        } else if (entry !== null && typeof entry === 'object') {
          const { name, upstream, port: localPort } = entry as Record<string, unknown>
          parts.push({ name, upstream, port: localPort })
        } else {
          return fail(`expected ${expected}`)
        }
        for (const part of parts) {
          const shown = `${String(part.name)}=${String(part.upstream)}@${String(part.port)}`
          if (typeof part.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(part.name)) {
            return fail(`route ${JSON.stringify(shown)}: the name must be letters, digits, . _ -; expected ${expected}`)
          }
          const origin = httpOrigin('http://payments:8080').parse(part.upstream)
          if (!origin.ok) return fail(`route ${JSON.stringify(shown)}: ${origin.problem}`)
          const localPort = port().parse(part.port)
          if (!localPort.ok) return fail(`route ${JSON.stringify(shown)}: the local port: ${localPort.problem}`)
          if (result.some((route) => route.name === part.name)) return fail(`route name ${JSON.stringify(part.name)} is given twice; expected ${expected}`)
          if (localPort.value !== 0 && result.some((route) => route.port === localPort.value)) {
            return fail(`route ${JSON.stringify(shown)}: local port ${localPort.value} is used by another route; expected ${expected}`)
          }
          result.push({ name: part.name, upstream: origin.value, port: localPort.value })
        }
      }
      return ok(result)
    },
    show: (value) => (value.length === 0 ? '(none)' : value.map((route) => `${route.name}=${route.upstream}@${route.port}`).join(',')),
  }
}
