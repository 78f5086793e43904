import { SeededPrng } from './seeded-prng.js'

/**
 * Fuzz cases for HTTP/1.1 request framing: the bytes a client sends on one
 * connection and how it splits them into writes. A case is one to three
 * requests from a grammar of valid requests (methods, targets with queries,
 * header casing and whitespace, many headers, headers near the size limit,
 * Content-Length and chunked bodies with extensions and trailers, HTTP/1.0
 * and 1.1, keep-alive and close, pipelining); a mutated case then has one or
 * two of the changes request smuggling probes make. Whether the result is
 * still a valid request is not this file's business: the strict reading
 * (http1-strict-reader.ts) decides that from the bytes alone.
 *
 * Every target is `/f/<case>/<n>...`: `<n>` the request's index, `s` for a
 * request appended as garbage, `x<n>` for one hidden in request n's body, so
 * whatever reaches the service or a span names the request it came from.
 */

export interface FuzzCase {
  id: number
  /** No mutation: every request is valid and must be answered by the service. */
  valid: boolean
  /** One line per request, then the mutations. */
  summary: string
  mutations: string[]
  /** Everything the client sends. */
  bytes: Buffer
  /** `bytes` cut into the writes the client makes, in order. */
  writes: Buffer[]
  /** Before each write after the first: let the event loop turn once ('tick') or wait that many ms. */
  gaps: Array<'tick' | number>
  /** How the writes were cut: one write, pieces, byte by byte (all or around a boundary). */
  split: 'one' | 'pieces' | 'bytewise'
}

export interface FuzzCaseOptions {
  /** The proxy's limits.maxHeaderBytes: valid heads stay below it, one mutation goes past it. */
  maxHeaderBytes: number
}

interface Chunk {
  size: string
  ext: string
  data: Buffer
}

/** One request while it is built and mutated: its parts, serialised at the end. */
interface Draft {
  method: string
  target: string
  version: '1.0' | '1.1'
  requestLine: string
  /** Field lines without their CRLF. */
  fields: string[]
  framing: 'none' | 'content-length' | 'chunked'
  content: Buffer
  chunks: Chunk[]
  lastChunk: string
  trailers: string[]
  /** Appended after the request (garbage, or a request of its own). */
  after: Buffer
  /** Set by byte-level mutations: the request's bytes as sent, replacing the parts above. */
  raw: Buffer | undefined
}

const METHODS_WITH_BODY = ['POST', 'PUT', 'PATCH'] as const
const METHODS_WITHOUT_BODY = ['GET', 'GET', 'GET', 'DELETE', 'OPTIONS', 'HEAD'] as const
const COMMON_FIELDS = [
  'User-Agent',
  'Accept',
  'Accept-Language',
  'Accept-Encoding',
  'Cookie',
  'Content-Type',
  'Authorization',
  'Cache-Control',
  'Pragma',
  'Referer',
  'Origin',
  'If-None-Match',
  'X-Requested-With',
  'Forwarded',
  'X-Forwarded-For',
] as const
const PATH_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@"
const QUERY_CHARS = PATH_CHARS + '/?'
/** Visible ASCII, space inside values. */
const VALUE_CHARS = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~'

export function generateFuzzCase(seed: number, id: number, options: FuzzCaseOptions): FuzzCase {
  const rng = SeededPrng.forItem(seed, id)
  const count = rng.weighted([
    [5, 1],
    [3, 2],
    [2, 3],
  ] as const)
  const drafts: Draft[] = []
  for (let n = 0; n < count; n++) drafts.push(validRequest(rng, id, n, n === count - 1, options))

  const mutations: string[] = []
  if (rng.chance(0.5)) {
    const times = rng.chance(0.2) ? 2 : 1
    for (let i = 0; i < times; i++) mutations.push(mutate(rng, id, drafts, options))
  }
  const bytes = Buffer.concat(drafts.map(serialize))
  const summary = [...drafts.map(describe), ...mutations.map((m) => `mutation: ${m}`)].join('\n')
  const { writes, gaps, split } = splitWrites(rng, bytes, drafts)
  return { id, valid: mutations.length === 0, summary, mutations, bytes, writes, gaps, split }
}

// ---------------------------------------------------------------- valid requests

function validRequest(rng: SeededPrng, id: number, n: number, last: boolean, options: FuzzCaseOptions): Draft {
  const version = rng.chance(0.2) ? '1.0' : '1.1'
  // Only the last request of a connection may close it: a request pipelined behind one is not read.
  const persistent = !last || rng.chance(0.7)
  const withBody = rng.chance(0.5)
  const method = withBody ? rng.pick(METHODS_WITH_BODY) : rng.pick(METHODS_WITHOUT_BODY)
  const target = `/f/${id}/${n}${randomPathAndQuery(rng)}`
  const fields: string[] = []

  if (version === '1.1' || rng.chance(0.5))
    fields.push(field(rng, randomCase(rng, 'Host'), rng.pick(['x', 'example.com', 'example.com:8080', '127.0.0.1:15006', '[::1]:8080'])))
  const extra = rng.weighted([
    [5, rng.int(0, 3)],
    [3, rng.int(4, 20)],
    [1, rng.int(21, 60)],
  ] as const)
  for (let i = 0; i < extra; i++) fields.push(randomField(rng, i))
  if (rng.chance(0.15)) fields.push(field(rng, randomCase(rng, 'traceparent'), `00-${hex(rng, 32)}-${hex(rng, 16)}-01`))

  // Connection: what keeps it open or closes it, sometimes naming a header of its own to drop.
  const connection: string[] = []
  if (version === '1.1' && !persistent) connection.push(rng.pick(['close', 'Close', 'CLOSE']))
  else if (version === '1.1' && rng.chance(0.4)) connection.push('keep-alive')
  else if (version === '1.0' && persistent) connection.push(rng.pick(['keep-alive', 'Keep-Alive']))
  else if (version === '1.0' && rng.chance(0.3)) connection.push('close')
  if (rng.chance(0.15)) {
    connection.push('X-Fuzz-Hop')
    fields.push(field(rng, 'X-Fuzz-Hop', 'dropped by the proxy'))
  }
  if (connection.length > 0) fields.push(field(rng, randomCase(rng, 'Connection'), connection.join(rng.pick([', ', ',']))))
  if (rng.chance(0.1)) fields.push(field(rng, 'Keep-Alive', 'timeout=5'))

  let framing: Draft['framing'] = 'none'
  let content: Buffer = Buffer.alloc(0)
  // Transfer-Encoding on HTTP/1.0 closes the connection after the request (RFC 9112 §6.1): last and closing only.
  const chunkedAllowed = version === '1.1' || (last && !persistent)
  if (method !== 'HEAD' && (withBody || rng.chance(0.15))) {
    content = randomContent(rng, id, n)
    framing = chunkedAllowed && rng.chance(0.4) ? 'chunked' : 'content-length'
  }
  const draft: Draft = {
    method,
    target,
    version,
    requestLine: `${method} ${target} HTTP/${version}`,
    fields,
    framing,
    content,
    chunks: [],
    lastChunk: '0',
    trailers: [],
    after: Buffer.alloc(0),
    raw: undefined,
  }
  if (framing === 'content-length') {
    fields.splice(rng.int(0, fields.length), 0, field(rng, randomCase(rng, 'Content-Length'), String(content.length)))
  } else if (framing === 'chunked') {
    fields.splice(rng.int(0, fields.length), 0, field(rng, randomCase(rng, 'Transfer-Encoding'), rng.pick(['chunked', 'chunked', 'Chunked'])))
    chunkContent(rng, draft)
    if (draft.trailers.length > 0 && rng.chance(0.5)) fields.push(field(rng, 'Trailer', draft.trailers.map((t) => t.slice(0, t.indexOf(':'))).join(', ')))
  }
  // Sometimes one long header that brings the head close to the limit (never over it).
  if (rng.chance(0.08)) {
    const room = options.maxHeaderBytes - headLength(draft) - rng.int(200, 1500)
    if (room > 20) fields.push(`X-Fuzz-Long: ${'L'.repeat(room - 15)}`)
  }
  return draft
}

function randomPathAndQuery(rng: SeededPrng): string {
  let out = ''
  const segments = rng.weighted([
    [4, 0],
    [3, rng.int(1, 3)],
    [1, rng.int(4, 12)],
  ] as const)
  for (let i = 0; i < segments; i++) out += '/' + randomString(rng, PATH_CHARS, rng.int(0, 12), true)
  if (rng.chance(0.5)) {
    const pairs = rng.weighted([
      [4, rng.int(1, 4)],
      [1, rng.int(5, 60)],
    ] as const)
    const parts: string[] = []
    for (let i = 0; i < pairs; i++) {
      const key = randomString(rng, QUERY_CHARS.replace(/[&=]/g, ''), rng.int(1, 8), true)
      parts.push(rng.chance(0.2) ? key : `${key}=${randomString(rng, QUERY_CHARS.replace(/&/g, ''), rng.int(0, 40), true)}`)
    }
    out += '?' + parts.join('&')
  }
  return out
}

/** Characters from `alphabet`, with a percent-encoded octet now and then. */
function randomString(rng: SeededPrng, alphabet: string, length: number, percent: boolean): string {
  let out = ''
  for (let i = 0; i < length; i++) {
    if (percent && rng.chance(0.08)) out += '%' + rng.int(0, 255).toString(16).padStart(2, '0').toUpperCase()
    else out += alphabet[rng.int(0, alphabet.length - 1)]
  }
  return out
}

function randomCase(rng: SeededPrng, name: string): string {
  switch (rng.int(0, 4)) {
    case 0:
      return name.toLowerCase()
    case 1:
      return name.toUpperCase()
    case 2:
      return [...name].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('')
    default:
      return name
  }
}

/** A field line with one of the allowed ways of spacing the value (OWS is SP or HTAB). */
function field(rng: SeededPrng, name: string, value: string): string {
  const before = rng.weighted([
    [6, ' '],
    [2, ''],
    [1, '\t'],
    [1, '  \t '],
  ] as const)
  const after = rng.weighted([
    [16, ''],
    [2, ' '],
    [1, ' \t'],
  ] as const)
  return `${name}:${before}${value}${value === '' ? '' : after}`
}

function randomField(rng: SeededPrng, i: number): string {
  if (rng.chance(0.4)) {
    const name = rng.pick(COMMON_FIELDS)
    return field(rng, randomCase(rng, name), randomValue(rng))
  }
  const name = rng.chance(0.1) ? 'X-Fuzz-Dup' : `X-Fuzz-${i}-${randomString(rng, "abcdefghijklmnopqrstuvwxyz0123456789-_.!#$%&'*+^`|~", rng.int(0, 10), false)}`
  return field(rng, randomCase(rng, name), randomValue(rng))
}

function randomValue(rng: SeededPrng): string {
  const length = rng.weighted([
    [1, 0],
    [6, rng.int(1, 30)],
    [2, rng.int(31, 200)],
  ] as const)
  // A value neither starts nor ends with whitespace (that would be OWS).
  return randomString(rng, VALUE_CHARS, length, false).trim()
}

function hex(rng: SeededPrng, digits: number): string {
  let out = ''
  while (out.length < digits) out += rng.int(0, 15).toString(16)
  return out.replace(/^0+$/, '1'.padStart(digits, '0'))
}

/** Bytes of every value, text, and text that looks like framing (to catch a body boundary read in the wrong place). */
function randomContent(rng: SeededPrng, id: number, n: number): Buffer {
  const length = rng.weighted([
    [2, 0],
    [4, rng.int(1, 64)],
    [3, rng.int(65, 2000)],
    [1, rng.int(2001, 40_000)],
  ] as const)
  const parts: Buffer[] = []
  let size = 0
  while (size < length) {
    const part = rng.weighted<() => Buffer>([
      [3, () => rng.bytes(rng.int(1, 64))],
      [3, () => Buffer.from(randomString(rng, VALUE_CHARS, rng.int(1, 64), false), 'latin1')],
      [1, () => Buffer.from(rng.pick(['\r\n', '\r\n\r\n', '0\r\n\r\n', '\n', '\r', 'HTTP/1.1', '5\r\nhello\r\n', 'Content-Length: 0\r\n']), 'latin1')],
      [1, () => Buffer.from(smuggledRequest(id, `x${n}`), 'latin1')],
    ])()
    parts.push(part)
    size += part.length
  }
  return Buffer.concat(parts).subarray(0, length)
}

/** A request hidden where a body is, which must only reach the service if the strict reading finds it. */
function smuggledRequest(id: number, name: string): string {
  return `GET /f/${id}/${name} HTTP/1.1\r\nHost: x\r\n\r\n`
}

function chunkContent(rng: SeededPrng, draft: Draft): void {
  const content = draft.content
  let at = 0
  while (at < content.length) {
    const size = Math.min(
      content.length - at,
      rng.weighted([
        [3, rng.int(1, 16)],
        [3, rng.int(17, 1024)],
        [1, rng.int(1025, 20_000)],
      ] as const),
    )
    draft.chunks.push({ size: chunkSize(rng, size), ext: chunkExt(rng), data: content.subarray(at, at + size) })
    at += size
  }
  draft.lastChunk = (rng.chance(0.1) ? '000' : '0') + chunkExt(rng)
  const trailers = rng.weighted([
    [6, 0],
    [2, 1],
    [1, 2],
  ] as const)
  for (let i = 0; i < trailers; i++) draft.trailers.push(field(rng, `X-Fuzz-Trailer-${i}`, randomValue(rng) || 'v'))
}

function chunkSize(rng: SeededPrng, size: number): string {
  let hexSize = size.toString(16)
  if (rng.chance(0.3)) hexSize = hexSize.toUpperCase()
  if (rng.chance(0.1)) hexSize = '0'.repeat(rng.int(1, 3)) + hexSize
  return hexSize
}

function chunkExt(rng: SeededPrng): string {
  if (!rng.chance(0.15)) return ''
  return rng.pick([';name=value', ';flag', ';a=1;b=2', ';quoted="a b;c=d"', ';esc="x\\"y"', ';n=' + 'v'.repeat(20)])
}

// ---------------------------------------------------------------- mutations

interface Mutation {
  name: string
  weight: number
  /** Changes `drafts[n]` (or the case); returns what it did. */
  apply(rng: SeededPrng, id: number, drafts: Draft[], n: number, options: FuzzCaseOptions): string
}

const TE_VARIANTS = [
  'Transfer-Encoding : chunked',
  'Transfer-Encoding\t: chunked',
  'Transfer-Encoding:\tchunked',
  'Transfer-Encoding:chunked',
  'Transfer-Encoding: chunked, identity',
  'Transfer-Encoding: identity, chunked',
  'Transfer-Encoding: identity',
  'Transfer-Encoding: xchunked',
  'Transfer-Encoding: chunkedx',
  'Transfer-Encoding: chunk',
  'Transfer-Encoding: "chunked"',
  'Transfer-Encoding: CHUNKED',
  'Transfer-Encoding: cHuNkEd',
  'Transfer-Encoding: chunked, chunked',
  'Transfer-Encoding: gzip, chunked',
  'Transfer-Encoding: ,chunked',
  'Transfer-Encoding: chunked,',
  'Transfer-Encoding: chunked;q=1',
  'Transfer-Encoding: \x0bchunked',
  'Transfer-Encoding: chunked\x00',
  'Transfer-Encoding: ',
  'Transfer_Encoding: chunked',
  'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity',
  'Transfer-Encoding: identity\r\nTransfer-Encoding: chunked',
  'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked',
  'X-Fuzz-Before: x\nTransfer-Encoding: chunked',
  ' Transfer-Encoding: chunked',
  'Transfer-Encoding:\r\n chunked',
] as const

const BAD_LENGTHS = ['+N', '-1', '0xN', 'N N', 'N;', '1e3', 'N.0', '99999999999999999999999', '9007199254740993', '', ' ', 'N, N', 'N,N', 'N\x00'] as const

const BAD_CHUNK_SIZES = [
  'g',
  '-1',
  '0xN',
  ' N',
  'N ',
  '+N',
  'N_0',
  '',
  'fffffffffffffffff',
  'N\x00',
  'N\t',
  '\tN',
  'N;',
  'N;a=',
  'N;a="open',
  'N;a b',
  'N ;x',
] as const

const GARBAGE = [
  'GET /f/ID/s HTTP/1.1\r\nHost: x\r\n\r\n',
  'G',
  'GET',
  'GET / HTTP/1.1\r\n',
  '0\r\n\r\n',
  '\r\n',
  '\r\n\r\n',
  '\n',
  'XYZ\r\n\r\n',
  'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
  '\x00\x00\x00',
  ' GET /f/ID/s HTTP/1.1\r\nHost: x\r\n\r\n',
] as const

const MUTATIONS: Mutation[] = [
  {
    name: 'content-length-conflict',
    weight: 3,
    apply(rng, _id, drafts, n) {
      const d = drafts[n]!
      const length = bodyLength(d)
      const other = Math.max(0, length + rng.pick([-5, -1, 1, 3, 40]))
      insertField(rng, d, `Content-Length: ${other}`)
      if (d.framing !== 'content-length') insertField(rng, d, `Content-Length: ${length}`)
      return `a second Content-Length (${other}; the body is ${length} bytes)`
    },
  },
  {
    name: 'content-length-duplicate',
    weight: 2,
    apply(rng, _id, drafts, n) {
      const d = drafts[n]!
      const line = `Content-Length: ${bodyLength(d)}`
      if (d.framing !== 'content-length') insertField(rng, d, line)
      insertField(rng, d, line)
      return `the same Content-Length twice (${line})`
    },
  },
  {
    name: 'content-length-bad-value',
    weight: 3,
    apply(rng, _id, drafts, n) {
      const d = drafts[n]!
      const value = rng.pick(BAD_LENGTHS).replace(/N/g, String(bodyLength(d)))
      removeFields(d, 'content-length')
      insertField(rng, d, `Content-Length: ${value}`)
      return `Content-Length: ${JSON.stringify(value)}`
    },
  },
  {
    name: 'content-length-wrong',
    weight: 3,
    apply(rng, id, drafts, n) {
      const d = drafts[n]!
      ensureBody(rng, d, id, n)
      const length = bodyLength(d)
      // Shorter: the rest of the body reads as the next request; longer: the next request reads as body.
      const other = rng.chance(0.5) ? rng.int(0, Math.max(0, length - 1)) : length + rng.int(1, 80)
      removeFields(d, 'content-length')
      insertField(rng, d, `Content-Length: ${other}`)
      return `Content-Length: ${other} on a ${length}-byte body`
    },
  },
  {
    name: 'content-length-and-transfer-encoding',
    weight: 4,
    apply(rng, id, drafts, n) {
      const d = drafts[n]!
      if (d.framing !== 'chunked') {
        toChunked(rng, d, id, n)
        removeFields(d, 'transfer-encoding')
      }
      removeFields(d, 'content-length')
      const te = rng.pick(['Transfer-Encoding: chunked', ...TE_VARIANTS.slice(0, 8)])
      // The classic probes: CL.TE (a length that stops inside the chunked body) and TE.CL.
      const length = rng.pick([0, 4, 5, 6, bodyLength(d), bodyLength(d) + 10, d.content.length])
      const lines = rng.chance(0.5) ? [`Content-Length: ${length}`, te] : [te, `Content-Length: ${length}`]
      const at = rng.int(0, d.fields.length)
      d.fields.splice(at, 0, ...lines)
      return `${lines.map((l) => JSON.stringify(l)).join(' + ')}`
    },
  },
  {
    name: 'transfer-encoding-obfuscated',
    weight: 5,
    apply(rng, id, drafts, n) {
      const d = drafts[n]!
      if (d.framing !== 'chunked') toChunked(rng, d, id, n)
      removeFields(d, 'transfer-encoding')
      removeFields(d, 'content-length')
      const te = rng.pick(TE_VARIANTS)
      insertField(rng, d, te)
      // Half the time with a length beside it, as a front end that ignores the odd TE would read it.
      if (rng.chance(0.5)) insertField(rng, d, `Content-Length: ${rng.pick([0, 5, d.content.length, bodyLength(d)])}`)
      return JSON.stringify(te) + (d.fields.some((f) => /^content-length/i.test(f)) ? ' with a Content-Length' : '')
    },
  },
  {
    name: 'http10-transfer-encoding-keep-alive',
    weight: 1,
    apply(rng, id, drafts, n) {
      const d = drafts[n]!
      if (d.framing !== 'chunked') toChunked(rng, d, id, n)
      d.version = '1.0'
      d.requestLine = `${d.method} ${d.target} HTTP/1.0`
      removeFields(d, 'connection')
      insertField(rng, d, 'Connection: keep-alive')
      if (n === drafts.length - 1) d.after = Buffer.from(smuggledRequest(id, 's'), 'latin1')
      return 'HTTP/1.0 with Transfer-Encoding: chunked and keep-alive, a request after it'
    },
  },
  {
    name: 'bare-line-ending',
    weight: 4,
    apply(rng, _id, drafts, n) {
      const d = drafts[n]!
      const bytes = serialize({ ...d, after: Buffer.alloc(0) })
      const ends = crlfOffsets(bytes, d.framing === 'chunked' ? bytes.length : headLength(d))
      const at = rng.pick(ends)
      const replacement = rng.pick(['\n', '\r', '\n\r', '\r\r\n'])
      d.raw = Buffer.concat([bytes.subarray(0, at), Buffer.from(replacement, 'latin1'), bytes.subarray(at + 2)])
      return `CRLF at byte ${at} replaced by ${JSON.stringify(replacement)}`
    },
  },
  {
    name: 'obs-fold',
    weight: 2,
    apply(rng, _id, drafts, n) {
      const d = drafts[n]!
      const at = rng.int(0, d.fields.length)
      const fold = rng.pick([' folded', '\tfolded', ' Transfer-Encoding: chunked', '\t', ' '])
      d.fields.splice(at, 0, ...(d.fields.length === 0 || at === 0 ? ['X-Fuzz-Folded: a', fold] : [fold]))
      return `a continuation line ${JSON.stringify(fold)}`
    },
  },
  {
    name: 'control-byte',
    weight: 3,
    apply(rng, _id, drafts, n) {
      const d = drafts[n]!
      const bytes = serialize({ ...d, after: Buffer.alloc(0) })
      const end = d.framing === 'chunked' ? bytes.length : headLength(d)
      const at = rng.int(0, end - 1)
      const byte = rng.pick([0x00, 0x00, 0x0d, 0x0a, 0x0b, 0x7f, 0x01, 0xff, 0x20, 0x09])
      d.raw = Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)])
      return `byte 0x${byte.toString(16).padStart(2, '0')} inserted at ${at}`
    },
  },
  {
    name: 'chunk-size-invalid',
    weight: 3,
    apply(rng, id, drafts, n) {
      const d = drafts[n]!
      if (d.framing !== 'chunked' || d.chunks.length === 0) toChunked(rng, d, id, n)
      const useLast = d.chunks.length === 0 || rng.chance(0.2)
      const size = rng.pick(BAD_CHUNK_SIZES)
      if (useLast) {
        d.lastChunk = size.replace(/N/g, '0')
        return `last chunk size line ${JSON.stringify(d.lastChunk)}`
      }
      const chunk = rng.pick(d.chunks)
      chunk.size = size.replace(/N/g, chunk.data.length.toString(16))
      chunk.ext = ''
      return `chunk size line ${JSON.stringify(chunk.size)} for ${chunk.data.length} bytes`
    },
  },
  {
    name: 'chunk-size-wrong',
    weight: 3,
    apply(rng, id, drafts, n) {
      const d = drafts[n]!
      if (d.framing !== 'chunked' || d.chunks.length === 0) toChunked(rng, d, id, n)
      if (d.chunks.length === 0) d.chunks.push({ size: '5', ext: '', data: Buffer.from('hello') })
      const chunk = rng.pick(d.chunks)
      const size = rng.pick([chunk.data.length + rng.int(1, 64), Math.max(1, chunk.data.length - rng.int(1, 8)), 0xffffffff, 0xffffffffff, 2 ** 53 + 1])
      chunk.size = size.toString(16)
      return `chunk size ${chunk.size} for ${chunk.data.length} bytes`
    },
  },
  {
    name: 'truncated',
    weight: 3,
    apply(rng, _id, drafts, n) {
      const d = drafts[n]!
      const bytes = serialize({ ...d, after: Buffer.alloc(0) })
      const at = rng.int(1, bytes.length - 1)
      d.raw = bytes.subarray(0, at)
      d.after = Buffer.alloc(0)
      drafts.splice(n + 1)
      return `cut after ${at} of its ${bytes.length} bytes (${at < headLength(d) ? 'in the head' : 'in the body'}), nothing after it`
    },
  },
  {
    name: 'garbage-after',
    weight: 4,
    apply(rng, id, drafts, n) {
      const d = drafts[n]!
      const garbage = rng.chance(0.2) ? rng.bytes(rng.int(1, 32)).toString('latin1') : rng.pick(GARBAGE).replace('ID', String(id))
      d.after = Buffer.concat([d.after, Buffer.from(garbage, 'latin1')])
      return `${JSON.stringify(garbage)} after it`
    },
  },
  {
    name: 'body-hides-a-request',
    weight: 2,
    apply(rng, id, drafts, n) {
      const d = drafts[n]!
      if (d.method === 'HEAD' || d.method === 'GET') setMethod(d, 'POST')
      const hidden = Buffer.from(smuggledRequest(id, `x${n}`), 'latin1')
      const lead = rng.bytes(rng.int(0, 20))
      d.content = Buffer.concat([lead, hidden])
      removeFields(d, 'transfer-encoding')
      removeFields(d, 'content-length')
      d.framing = 'content-length'
      d.chunks = []
      d.trailers = []
      // The length stops where the hidden request starts: it is a request of its own, in plain sight.
      insertField(rng, d, `Content-Length: ${lead.length}`)
      return `body of ${d.content.length} bytes with Content-Length: ${lead.length}: the hidden request follows in plain sight`
    },
  },
  {
    name: 'host',
    weight: 2,
    apply(rng, _id, drafts, n) {
      const d = drafts[n]!
      if (rng.chance(0.5)) {
        insertField(rng, d, 'Host: other.example')
        if (!d.fields.some((f) => /^host:/i.test(f))) insertField(rng, d, 'Host: x')
        return 'two Host fields'
      }
      removeFields(d, 'host')
      return `no Host (HTTP/${d.version})`
    },
  },
  {
    name: 'request-line',
    weight: 3,
    apply(rng, _id, drafts, n) {
      const d = drafts[n]!
      const { method, target, version } = d
      const line = rng.pick([
        `${method}  ${target} HTTP/${version}`,
        `${method}\t${target} HTTP/${version}`,
        `${method} ${target}  HTTP/${version}`,
        `${method} ${target} HTTP/${version} `,
        ` ${method} ${target} HTTP/${version}`,
        `${method.toLowerCase()} ${target} HTTP/${version}`,
        `${method} ${target} HTTP/1.2`,
        `${method} ${target} http/${version}`,
        `${method} ${target} HTTP/1`,
        `${method} ${target} HTTP/01.1`,
        `${method} ${target}`,
        `${method} ${target} x HTTP/${version}`,
        `G(T ${target} HTTP/${version}`,
      ])
      d.requestLine = line
      return `request line ${JSON.stringify(line)}`
    },
  },
  {
    name: 'field-line',
    weight: 3,
    apply(rng, _id, drafts, n) {
      const d = drafts[n]!
      const line = rng.pick([
        'X Fuzz: v',
        'X-Fuzz@: v',
        ': no name',
        'No-Colon',
        'X-Fuzz : v',
        'X-Fuzz:\x01v',
        'X-Fuzz: v\x7f',
        'X-Fuzz: a\rb',
        '\x00X-Fuzz: v',
        'X-Fuzz: \xff\xfe',
        'X-Fuzz:\x0bv',
        '"X-Fuzz": v',
      ])
      insertField(rng, d, line)
      return `field line ${JSON.stringify(line)}`
    },
  },
  {
    name: 'head-too-large',
    weight: 1,
    apply(rng, _id, drafts, n, options) {
      const d = drafts[n]!
      const over = options.maxHeaderBytes - headLength(d) + rng.int(1, 2000)
      insertField(rng, d, `X-Fuzz-Huge: ${'H'.repeat(Math.max(1, over))}`)
      return `a field that takes the head ${over > 0 ? 'past' : 'to'} --max-header-bytes (${options.maxHeaderBytes})`
    },
  },
]

function mutate(rng: SeededPrng, id: number, drafts: Draft[], options: FuzzCaseOptions): string {
  const n = rng.int(0, drafts.length - 1)
  const d = drafts[n]!
  // A HEAD's answer has no body: keep the mutated request's answer readable without knowing what it became.
  if (d.method === 'HEAD') setMethod(d, 'POST')
  if (d.raw !== undefined) return `request ${n}: left as it was (already cut or rewritten byte by byte)`
  const mutation = rng.weighted(MUTATIONS.map((m) => [m.weight, m] as const))
  return `request ${n}: ${mutation.name}: ${mutation.apply(rng, id, drafts, n, options)}`
}

function setMethod(d: Draft, method: string): void {
  d.method = method
  d.requestLine = `${method} ${d.target} HTTP/${d.version}`
}

function insertField(rng: SeededPrng, d: Draft, line: string): void {
  d.fields.splice(rng.int(0, d.fields.length), 0, line)
}

function removeFields(d: Draft, lowerName: string): void {
  d.fields = d.fields.filter((f) => f.slice(0, lowerName.length + 1).toLowerCase() !== `${lowerName}:`)
}

function ensureBody(rng: SeededPrng, d: Draft, id: number, n: number): void {
  if (d.method === 'HEAD') setMethod(d, 'POST')
  if (d.content.length === 0) d.content = randomContent(rng, id, n)
  if (d.framing === 'chunked') {
    d.chunks = []
    chunkContent(rng, d)
  }
}

/** The request as chunked, with a body. */
function toChunked(rng: SeededPrng, d: Draft, id: number, n: number): void {
  if (d.method === 'HEAD' || d.method === 'GET') setMethod(d, 'POST')
  if (d.content.length === 0 || rng.chance(0.3)) d.content = Buffer.concat([Buffer.from('hello'), randomContent(rng, id, n)])
  removeFields(d, 'content-length')
  removeFields(d, 'transfer-encoding')
  d.framing = 'chunked'
  d.chunks = []
  d.trailers = []
  chunkContent(rng, d)
  insertField(rng, d, 'Transfer-Encoding: chunked')
}

// ---------------------------------------------------------------- bytes and writes

function bodyBytes(d: Draft): Buffer {
  if (d.framing !== 'chunked') return d.content
  const parts: Buffer[] = []
  for (const c of d.chunks) parts.push(Buffer.from(`${c.size}${c.ext}\r\n`, 'latin1'), c.data, Buffer.from('\r\n'))
  parts.push(Buffer.from(`${d.lastChunk}\r\n${d.trailers.map((t) => `${t}\r\n`).join('')}\r\n`, 'latin1'))
  return Buffer.concat(parts)
}

function bodyLength(d: Draft): number {
  return bodyBytes(d).length
}

function headOf(d: Draft): string {
  return `${d.requestLine}\r\n${d.fields.map((f) => `${f}\r\n`).join('')}\r\n`
}

function headLength(d: Draft): number {
  return Buffer.byteLength(headOf(d), 'latin1')
}

function serialize(d: Draft): Buffer {
  const own = d.raw ?? Buffer.concat([Buffer.from(headOf(d), 'latin1'), bodyBytes(d)])
  return Buffer.concat([own, d.after])
}

/** Offsets of each CRLF in `bytes` before `end`. */
function crlfOffsets(bytes: Buffer, end: number): number[] {
  const out: number[] = []
  for (let at = bytes.indexOf('\r\n'); at !== -1 && at < end; at = bytes.indexOf('\r\n', at + 1)) out.push(at)
  return out
}

function describe(d: Draft, n: number): string {
  const framing = d.framing === 'none' ? 'no body' : `${d.framing} ${d.content.length} B${d.framing === 'chunked' ? ` in ${d.chunks.length} chunks` : ''}`
  return `${n}: ${d.method} ${d.target.length > 60 ? d.target.slice(0, 57) + '...' : d.target} HTTP/${d.version}, ${d.fields.length} fields, ${framing}${d.raw !== undefined ? ' (bytes rewritten)' : ''}`
}

function splitWrites(rng: SeededPrng, bytes: Buffer, drafts: Draft[]): Pick<FuzzCase, 'writes' | 'gaps' | 'split'> {
  const split = rng.weighted([
    [2, 'one'],
    [6, 'pieces'],
    [2, 'bytewise'],
  ] as const)
  const cuts = new Set<number>()
  if (split === 'pieces') {
    const count = rng.int(1, 8)
    for (let i = 0; i < count; i++) cuts.add(rng.int(1, Math.max(1, bytes.length - 1)))
  } else if (split === 'bytewise') {
    // All of a small case; around a boundary (the end of a head, or of a request) of a big one.
    let from = 0
    let to = bytes.length
    if (bytes.length > 600) {
      const boundaries: number[] = []
      let at = 0
      for (const d of drafts) {
        boundaries.push(at + Math.min(headLength(d), serialize(d).length), at + serialize(d).length)
        at += serialize(d).length
      }
      const around = rng.pick(boundaries)
      from = Math.max(0, around - rng.int(20, 150))
      to = Math.min(bytes.length, around + rng.int(20, 150))
      cuts.add(from)
      cuts.add(to)
    }
    for (let at = from + 1; at < to; at++) cuts.add(at)
  }
  const offsets = [0, ...[...cuts].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]
  const writes: Buffer[] = []
  const gaps: Array<'tick' | number> = []
  for (let i = 0; i + 1 < offsets.length; i++) {
    if (offsets[i] === offsets[i + 1]) continue
    writes.push(bytes.subarray(offsets[i], offsets[i + 1]))
    if (writes.length > 1) gaps.push(split === 'bytewise' || rng.chance(0.7) ? 'tick' : rng.int(1, 3))
  }
  return { writes, gaps, split }
}
