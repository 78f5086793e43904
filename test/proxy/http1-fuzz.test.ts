import { createHash, randomInt } from 'node:crypto'
import t, { type Test } from 'tap'
import type { SpanRecord } from '../../src/span/span-record.js'
import { generateFuzzCase } from '../helpers/http1-fuzz-cases.js'
import type { FuzzCase } from '../helpers/http1-fuzz-cases.js'
import { readRequestsStrictly } from '../helpers/http1-strict-reader.js'
import type { StrictReading, StrictRequest } from '../helpers/http1-strict-reader.js'
import { HTTP_ENGINES, httpEngineFlags, skipOn } from '../helpers/http-engines.js'
import { createLlhttpStream } from '../helpers/llhttp-stream.js'
import type { LlhttpStream, ParsedMessage } from '../helpers/llhttp-stream.js'
import { connectRawClient } from '../helpers/raw-client.js'
import type { RawClient } from '../helpers/raw-client.js'
import { answerEachRequest, startRawUpstream } from '../helpers/raw-upstream.js'
import type { RawUpstream, RawUpstreamConnection, UpstreamRequest } from '../helpers/raw-upstream.js'
import { startTestSidecar } from '../helpers/sidecar.js'
import type { TestSidecar } from '../helpers/sidecar.js'

/**
 * A seeded, reproducible, differential fuzz of HTTP/1.1 request framing
 * through the sidecar, on every engine in HTTP_ENGINES. Each case is one
 * client connection carrying one to three requests from a grammar of valid
 * requests, half of them mutated the way request smuggling probes are
 * (test/helpers/http1-fuzz-cases.ts), written in random pieces (byte by byte
 * now and then). The client's bytes are read by a strict RFC 9112 reader of
 * our own (http1-strict-reader.ts); what reached the service, and the
 * answers, by Node's own parser (llhttp-stream.ts). For any input:
 *
 * 1. No smuggling: every whole request the service received is one the
 *    strict reading accepts, with exactly its body, at most once, in order
 *    on each upstream connection, and only after every request before it.
 * 2. At most one final answer per request sent, in order: the service's
 *    answer to that very request, or the proxy's own `tracecar: <error.type>:`
 *    with a 4xx/5xx status. A connection the answers left open serves one
 *    more request.
 * 3. Exactly one span for each request that got an answer (found by the
 *    answer's trace id) or reached the service (by its path); a refused one
 *    carries error.type, the one its answer names.
 * 4. The proxy never crashes: every case's connection is served, and so is a
 *    plain request after the last case.
 * 5. Valid cases: every engine answers 200, and the service sees the same
 *    method, target, body and header names from each engine (apart from the
 *    proxy's own), among them every end-to-end header the client sent.
 *
 * What an engine gets wrong today is in KNOWN_FAILURES: such a case is
 * skipped on that engine, with what the engine does instead, and only when
 * every violation the case shows is explained by it.
 *
 * `npm test` runs one fixed seed, so that whether a change lands never depends
 * on which cases a run happened to draw. TRACECAR_FUZZ_SEED=<n> replays a run
 * (the seed is printed first), TRACECAR_FUZZ_SEED=random explores a fresh
 * one, TRACECAR_FUZZ_CASES=<n> runs more cases, TRACECAR_FUZZ_ONLY=<id,id>
 * runs only those cases of the seed.
 */

const FIXED_SEED = 1
const SEED = process.env.TRACECAR_FUZZ_SEED === 'random' ? randomInt(2 ** 31) : (envInteger('TRACECAR_FUZZ_SEED') ?? FIXED_SEED)
const CASE_COUNT = envInteger('TRACECAR_FUZZ_CASES') ?? 250
const ONLY = process.env.TRACECAR_FUZZ_ONLY?.split(',')
  .filter((s) => s.trim() !== '')
  .map(Number)
const MAX_HEADER_BYTES = 16_384
/** For a valid case: a guard against a hang, not a claim about speed. */
const HANG_GUARD_MS = 15_000
/**
 * For a mutated case: how long the connection may stay silent before the
 * client stops waiting (a proxy may rightly wait for bytes that never come).
 * Nothing is asserted about it: a cut only ends the case, and every check
 * holds for whatever arrived before it.
 */
const QUIET_MS = 1_000
/** After the answers to an incomplete case's whole requests: a little longer, to let a wrong extra answer show. */
const SETTLE_MS = 30
/** The drain deadline at the end of a run: every exchange has ended by then, so none should be left to cut. */
const DRAIN_MS = 2_000

/** Headers the proxy adds or rewrites itself: left out when engines are compared. */
const PROXY_OWNED = new Set([
  'traceparent',
  'tracestate',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-trace-id',
  'x-span-id',
  'x-request-id',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
])
/** Client headers that do not reach the service: hop-by-hop (RFC 9110 §7.6.1) or replaced by the proxy (src/proxy/request-headers.ts). */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'expect',
  'traceparent',
  'tracestate',
  'content-length',
])

interface KnownFailure {
  /** What the engine does instead (the skip reason). */
  does: Readonly<Record<string, string>>
  /** Whether this failure explains the case's violations. */
  explains(run: CaseRun, violations: string[], records: UpstreamRecord[]): boolean
}

/**
 * Each entry was reproduced with its exact bytes when it was added (they are
 * in that commit's message). Checked only for a case that shows violations on
 * that engine; every such case is listed as a skip with the entry's text.
 */
const KNOWN_FAILURES: KnownFailure[] = [
  {
    does: {
      node: 'llhttp keeps a trailing HTAB (OWS, RFC 9110 §5.6.3) in Content-Length, Transfer-Encoding and Connection values: Content-Length: 5<TAB> is refused (400), Transfer-Encoding: chunked<TAB> closes the connection unanswered (client_disconnected), Connection: close<TAB> keeps the connection open and the requests after it are served, Connection: keep-alive<TAB> on HTTP/1.0 closes it',
      raw: 'llhttp keeps a trailing HTAB (OWS, RFC 9110 §5.6.3) in Content-Length, Transfer-Encoding and Connection values: Content-Length: 5<TAB> and Transfer-Encoding: chunked<TAB> are refused (400), Connection: close<TAB> keeps the connection open and the requests after it are served, Connection: keep-alive<TAB> on HTTP/1.0 closes it',
    },
    explains: (run) => /\r\n(?:content-length|transfer-encoding|connection):[ \t]*[^\r\n \t][^\r\n]*\t/i.test(run.fuzz.bytes.toString('latin1')),
  },
  {
    does: {
      node: 'Transfer-Encoding on an HTTP/1.0 request with keep-alive: processed as chunked and the connection kept alive, so the request after it is served (see http1-framing-requests.test.ts)',
    },
    explains: (run) => run.reading.rest === 'ignored' && run.reading.requests.some((r) => r.version === '1.0' && r.framing === 'chunked'),
  },
  {
    does: {
      node: 'when bad bytes (or a reset) follow requests still in flight, the connection is destroyed: an answer already written may never reach the client while its span says it was served, and a request pipelined behind the first is never finished: no span, its upstream request is not aborted, and it stays in flight (a SIGTERM drain waits out its deadline)',
    },
    explains: (_run, violations) =>
      violations.every((v) =>
        /^no span for \/f\/\S+, which reached the service$|^request \d+ reached the service whole, request \d+ before it did not$|^\/f\/\S+ was not served, but its span has no error\.type$/.test(
          v,
        ),
      ),
  },
  {
    does: {
      node: 'bytes that arrive after the 400 for a refused request are refused again: a second span (error.type malformed_request) for the same request, with no second answer',
    },
    explains: (_run, violations) => violations.every((v) => v.startsWith('a second span for bytes refused before they were a request')),
  },
  {
    does: {
      node: 'a request line without a version is read as HTTP/0.9 and forwarded (see http1-framing-requests.test.ts)',
    },
    explains: (run) => run.reading.rest === 'invalid' && /^not a request line: "[^ ]+ [^ ]+"$/.test(run.reading.reason),
  },
  {
    does: {
      node: 'llhttp accepts a chunk extension RFC 9112 §7.1.1 does not allow (a name with "=" and no value, like 5;a=): the request is forwarded',
      raw: 'llhttp accepts a chunk extension RFC 9112 §7.1.1 does not allow (a name with "=" and no value, like 5;a=): the request is forwarded',
    },
    explains: (run) => run.reading.rest === 'invalid' && /^not a chunk extension: "[^"]*=(?:\\"|")/.test(run.reading.reason),
  },
]

/** What an engine leaves in flight after the cases today. */
const LEFT_IN_FLIGHT: Readonly<Record<string, string>> = {
  node: 'the pipelined requests that never finish (see the known failures) are still in flight at the drain deadline',
}

const ids = ONLY ?? Array.from({ length: CASE_COUNT }, (_, i) => i)
const cases = ids.map((id) => generateFuzzCase(SEED, id, { maxHeaderBytes: MAX_HEADER_BYTES }))

interface Answer {
  status: number
  /** The service's x-fuzz-answer (which request it answered), when it is the service's answer. */
  names: string | undefined
  /** The proxy's own answer: its error.type. */
  errorType: string | undefined
  traceId: string | undefined
  /** Its Connection header says close. */
  closes: boolean
}

interface CaseRun {
  fuzz: FuzzCase
  /** The strict reading of what the client sent (the follow-up request included, when it was sent). */
  reading: StrictReading
  /** How many requests of the case the strict reading accepts (the follow-up not counted). */
  caseRequests: number
  answers: Answer[]
  violations: string[]
  /** The client stopped waiting and closed the connection itself. */
  cut: boolean
  /** Spans recorded before this case started, and before the next one did. */
  spansFrom: number
  spansTo: number
  ms: number
}

/** A request (whole or not) the service received, read by Node's parser. */
interface UpstreamRecord {
  connection: number
  message: ParsedMessage
  /** The case running when its head arrived. */
  seenIn: number
}

interface EngineRun {
  engine: string
  runs: CaseRun[]
  upstream: UpstreamRecord[]
  spans: SpanRecord[]
  /** Valid cases: what the service saw of each request. */
  valid: Map<number, Array<{ method: string; target: string; body: string; names: string[] }>>
  probeStatus: number | undefined
  /** Requests the drain after the last case found still in flight. */
  requestsCut: number
  seconds: number
  /** Cases skipped as a known failure of this engine, with the reason. */
  knownFailures: Map<number, string>
}

const engineRuns: EngineRun[] = []

t.comment(
  `http1 fuzz: seed ${SEED}, ${cases.length} cases per engine; reproduce with TRACECAR_FUZZ_SEED=${SEED} TRACECAR_FUZZ_CASES=${CASE_COUNT} npx tap test/proxy/http1-fuzz.test.ts`,
)

t.test("the grammar's unmutated cases are valid to the strict reading", async (t) => {
  for (const fuzz of cases.filter((c) => c.valid)) {
    const reading = readRequestsStrictly(fuzz.bytes)
    const whole =
      (reading.rest === 'none' || reading.rest === 'ignored') &&
      reading.requests.length === fuzz.summary.split('\n').length &&
      reading.requests.every((r) => r.refuse === undefined)
    t.ok(whole, `case ${fuzz.id}`, whole ? {} : { reading: describeReading(reading), bytes: printable(fuzz.bytes) })
  }
})

for (const engine of HTTP_ENGINES) {
  t.test(engine, async (t) => {
    const run = await runEngine(t, engine)
    engineRuns.push(run)
    const results = analyse(run)
    for (const { caseRun, violations } of results) {
      const name = `case ${caseRun.fuzz.id} (${caseRun.fuzz.valid ? 'valid' : caseRun.fuzz.mutations.join('; ')})`
      const known =
        violations.length === 0
          ? undefined
          : KNOWN_FAILURES.find((k) => k.does[engine] !== undefined && k.explains(caseRun, violations, recordsOf(run, caseRun.fuzz.id)))
      if (known !== undefined) run.knownFailures.set(caseRun.fuzz.id, `${engine}: ${known.does[engine]!}`)
      if (known !== undefined) t.ok(false, name, { skip: `${engine}: ${known.does[engine]!}` })
      else t.ok(violations.length === 0, name, violations.length === 0 ? {} : failureReport(caseRun, violations))
    }
    t.equal(run.probeStatus, 200, 'after the last case, a plain request is still served')
    t.equal(run.requestsCut, 0, 'after the last case, nothing is left in flight: a drain cuts no request', { skip: skipOn(engine, LEFT_IN_FLIGHT) })
    t.comment(statistics(run, results))
  })
}

t.test('every engine forwards a valid request alike', async (t) => {
  if (engineRuns.length < 2) return t.pass('one engine only')
  const [first, ...others] = engineRuns
  for (const fuzz of cases.filter((c) => c.valid)) {
    const skip = engineRuns.map((r) => r.knownFailures.get(fuzz.id)).find((reason) => reason !== undefined) ?? false
    for (const other of others) {
      t.same(
        other.valid.get(fuzz.id),
        first!.valid.get(fuzz.id),
        `case ${fuzz.id}: ${first!.engine} and ${other.engine} forward the same method, target, body and header names`,
        { skip },
      )
    }
  }
  const valid = cases.filter((c) => c.valid).length
  t.comment(`cases per engine: ${cases.length} (${valid} valid, ${cases.length - valid} mutated); seed ${SEED}`)
})

// ---------------------------------------------------------------- running the cases

/** A sidecar on the engine in front of a recording upstream, and Node's reading of what the upstream received. */
interface Rig {
  upstream: RawUpstream
  proxy: TestSidecar
  port: number
  oracle: UpstreamOracle
  /** Spans recorded by the rigs before this one. */
  spanBase: number
}

async function startRig(engine: string, spanBase: number): Promise<Rig> {
  const upstream = await startRawUpstream(answerEachRequest(answerNamingTheRequest))
  const proxy = await startTestSidecar(upstream.url, [
    ...httpEngineFlags(engine),
    '--max-header-bytes',
    String(MAX_HEADER_BYTES),
    '--drain-timeout-ms',
    String(DRAIN_MS),
  ])
  return { upstream, proxy, port: Number(new URL(proxy.url).port), oracle: new UpstreamOracle(upstream), spanBase }
}

/**
 * Lets every span of the rig's cases arrive, then drains it: returns how many
 * requests the drain found still in flight (none should be: every case has ended).
 */
async function settleRig(rig: Rig, runs: CaseRun[]): Promise<number> {
  rig.oracle.poll(-1, [])
  const paths = new Set(rig.oracle.records.map((r) => keyOfTarget(r.message.target)).filter((k) => k !== undefined))
  const traceIds = new Set(runs.flatMap((r) => r.answers.map((a) => a.traceId)).filter((id) => id !== undefined))
  const missingSpans = () => {
    const spans = rig.proxy.spans.spans
    return [...paths].filter((k) => !spans.some((s) => spanKey(s) === k)).length + [...traceIds].filter((id) => !spans.some((s) => s.traceId === id)).length
  }
  await untilNoProgress(missingSpans)
  await new Promise((resolve) => setTimeout(resolve, 150))
  rig.oracle.poll(-1, [])
  const { requestsCut } = await rig.proxy.sidecar.shutdown()
  return requestsCut
}

async function runEngine(t: Test, engine: string): Promise<EngineRun> {
  const started = process.hrtime.bigint()
  const rigs: Rig[] = []
  t.teardown(async () => {
    for (const rig of rigs) {
      await rig.proxy.close()
      await rig.upstream.close()
    }
  })
  const spans: SpanRecord[] = []
  const records: UpstreamRecord[] = []
  let requestsCut = 0
  let rig = await startRig(engine, 0)
  rigs.push(rig)
  let rigRuns: CaseRun[] = []
  const retire = async () => {
    requestsCut += await settleRig(rig, rigRuns)
    spans.push(...rig.proxy.spans.spans)
    records.push(...rig.oracle.records)
    rigRuns[rigRuns.length - 1]!.spansTo = spans.length
  }
  const runs: CaseRun[] = []
  for (const fuzz of cases) {
    const run = await runCase(rig.port, rig.proxy, fuzz, rig.spanBase)
    if (rigRuns.length > 0) rigRuns[rigRuns.length - 1]!.spansTo = run.spansFrom
    runs.push(run)
    rigRuns.push(run)
    if (rig.oracle.poll(fuzz.id, run.violations)) {
      // An upstream connection now carries bytes no service can read: later cases start on a fresh sidecar, so none inherits it.
      await retire()
      rig = await startRig(engine, spans.length)
      rigs.push(rig)
      rigRuns = []
    }
  }

  // The probe's span is not the last case's.
  const lastSpansTo = rig.spanBase + rig.proxy.spans.spans.length
  // Invariant 4: still serving.
  let probeStatus: number | undefined
  try {
    const client = await connectRawClient(rig.port)
    client.write('GET /probe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    probeStatus = (await client.responses(['GET']))[0]?.status
    client.destroy()
  } catch {
    probeStatus = undefined
  }
  if (rigRuns.length > 0) {
    await retire()
    rigRuns[rigRuns.length - 1]!.spansTo = lastSpansTo
  }

  const valid = new Map<number, Array<{ method: string; target: string; body: string; names: string[] }>>()
  for (const run of runs.filter((r) => r.fuzz.valid)) {
    valid.set(
      run.fuzz.id,
      run.reading.requests.slice(0, run.caseRequests).map((request) => {
        const record = records.find((r) => r.message.complete && r.message.target === request.target)
        return {
          method: record?.message.method ?? '(not received)',
          target: record?.message.target ?? '(not received)',
          body: record === undefined ? '' : digest(record.message.body),
          names: record === undefined ? [] : [...new Set(record.message.headers.map(([n]) => n.toLowerCase()).filter((n) => !PROXY_OWNED.has(n)))].sort(),
        }
      }),
    )
  }
  return {
    engine,
    runs,
    upstream: records,
    spans,
    valid,
    probeStatus,
    requestsCut,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    knownFailures: new Map(),
  }
}

async function runCase(port: number, proxy: TestSidecar, fuzz: FuzzCase, spanBase: number): Promise<CaseRun> {
  const started = Date.now()
  const spansFrom = spanBase + proxy.spans.spans.length
  const reading = readRequestsStrictly(fuzz.bytes)
  const run: CaseRun = { fuzz, reading, caseRequests: reading.requests.length, answers: [], violations: [], cut: false, spansFrom, spansTo: spansFrom, ms: 0 }
  let client: RawClient
  try {
    client = await connectRawClient(port)
  } catch (err) {
    run.violations.push(`the proxy did not take the connection: ${String(err)}`)
    return run
  }
  for (let i = 0; i < fuzz.writes.length; i++) {
    if (i > 0) {
      const gap = fuzz.gaps[i - 1]!
      await new Promise((resolve) => (gap === 'tick' ? setImmediate(resolve) : setTimeout(resolve, gap)))
    }
    if (client.isClosed()) break
    client.write(fuzz.writes[i]!)
  }
  let done = await awaitAnswers(client, run.reading, fuzz.valid)

  // A connection left open by answers that all came from the service serves one more request.
  let answers = readFinalResponses(client.received(), run.reading, false).finals.map(toAnswer)
  const last = run.reading.requests[run.reading.requests.length - 1]
  if (
    done &&
    !client.isClosed() &&
    run.reading.rest === 'none' &&
    last?.persistent === true &&
    answers.length === run.reading.requests.length &&
    answers.every((a) => a.names !== undefined && !a.closes)
  ) {
    const followUp = `GET /f/${fuzz.id}/k HTTP/1.1\r\nHost: x\r\n\r\n`
    run.reading = readRequestsStrictly(Buffer.concat([fuzz.bytes, Buffer.from(followUp, 'latin1')]))
    client.write(followUp)
    done = await awaitAnswers(client, run.reading, fuzz.valid)
    if (readFinalResponses(client.received(), run.reading, client.isClosed()).finals.length < run.reading.requests.length) {
      run.violations.push(
        `the connection was ${client.isClosed() ? 'closed' : 'left silent'} after answers that kept it open: the next request on it (${followUp.split('\r\n')[0]}) was not answered`,
      )
    }
  }

  run.cut = !done
  if (run.cut) {
    client.destroy()
    // Let the proxy see the close now, so what it records for it falls in this case.
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const read = readFinalResponses(client.received(), run.reading, !run.cut)
  if (read.error !== undefined) run.violations.push(`the answers are not HTTP/1.1 Node can read: ${read.error}`)
  if (read.partial && !run.cut) run.violations.push('the proxy closed the connection in the middle of an answer')
  answers = read.finals.map(toAnswer)
  run.answers = answers
  checkAnswers(run)
  client.destroy()
  run.ms = Date.now() - started
  return run
}

/**
 * Waits until the answers this case can get have come: true when done (all
 * answered, or the proxy closed), false when the client gave up waiting.
 */
async function awaitAnswers(client: RawClient, reading: StrictReading, valid: boolean): Promise<boolean> {
  const whole = reading.requests.length
  const attempts = whole + (reading.rest === 'incomplete' || reading.rest === 'invalid' ? 1 : 0)
  const quietMs = valid ? HANG_GUARD_MS : QUIET_MS
  let settled = false
  for (;;) {
    if (client.isClosed()) return true
    const answered = readFinalResponses(client.received(), reading, false).finals.length
    if (answered > attempts) return true
    if (answered >= whole) {
      if (reading.rest === 'none') return true
      if (reading.rest === 'incomplete') {
        // Nothing more is due; a little longer lets a wrong answer show.
        if (settled) return false
        settled = true
        if (!(await nextEvent(client, SETTLE_MS))) return false
        continue
      }
    }
    // 'ignored' and 'invalid' end with the proxy closing the connection.
    if (!(await nextEvent(client, quietMs))) return false
  }
}

/** Resolves true on the next bytes or close, false after `ms` without either. */
function nextEvent(client: RawClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer)
      client.socket.off('data', onEvent)
      client.socket.off('close', onEvent)
      client.socket.off('end', onEvent)
      resolve(value)
    }
    const onEvent = () => setImmediate(() => done(true))
    const timer = setTimeout(() => done(false), ms)
    client.socket.on('data', onEvent)
    client.socket.on('close', onEvent)
    client.socket.on('end', onEvent)
  })
}

function readFinalResponses(bytes: Buffer, reading: StrictReading, ended: boolean): { finals: ParsedMessage[]; error: string | undefined; partial: boolean } {
  const stream = createLlhttpStream('response', { skipBody: (n) => reading.requests[n]?.method === 'HEAD' })
  stream.push(bytes)
  if (ended) stream.end()
  const finals = stream.messages.filter((m) => m.status >= 200 && m.complete)
  return { finals, error: stream.error, partial: stream.messages.some((m) => !m.complete) }
}

function toAnswer(message: ParsedMessage): Answer {
  const header = (name: string) => message.headers.find(([n]) => n.toLowerCase() === name)?.[1]
  const names = header('x-fuzz-answer')
  const own = /^tracecar: ([a-z0-9_]+): /.exec(message.body.toString('latin1'))
  return {
    status: message.status,
    names,
    errorType: names === undefined ? own?.[1] : undefined,
    traceId: header('x-trace-id'),
    closes: /(^|,)\s*close\s*(,|$)/i.test(header('connection') ?? ''),
  }
}

/** Invariant 2: at most one answer per request, in order, each the service's answer to it or the proxy's own. */
function checkAnswers(run: CaseRun): void {
  const { reading, answers } = run
  const attempts = reading.requests.length + (reading.rest === 'incomplete' || reading.rest === 'invalid' ? 1 : 0)
  if (answers.length > attempts) run.violations.push(`${answers.length} answers to ${attempts} request(s) (the strict reading: ${describeReading(reading)})`)
  answers.forEach((answer, i) => {
    const request = reading.requests[i]
    if (answer.names !== undefined) {
      if (request === undefined)
        run.violations.push(`answer ${i} is the service's answer to ${short(answer.names)}, a request the strict reading does not accept`)
      else if (request.refuse !== undefined) run.violations.push(`answer ${i} is the service's, to a request that must be refused (${request.refuse})`)
      else if (answer.names !== answerName(request.method, request.target, request.body)) {
        run.violations.push(
          `answer ${i} is the service's answer to ${short(answer.names)}; expected one to ${short(answerName(request.method, request.target, request.body))}`,
        )
      } else if (answer.status !== 200) run.violations.push(`answer ${i}: the service's 200 relayed as ${answer.status}`)
    } else if (answer.errorType === undefined || answer.status < 400 || answer.status > 599) {
      run.violations.push(`answer ${i} (${answer.status}) is neither the service's answer nor a 4xx/5xx "tracecar: <error.type>: ..."`)
    }
  })
  if (run.fuzz.valid) {
    if (run.cut) run.violations.push(`no answer in ${HANG_GUARD_MS} ms (hang guard)`)
    const own = answers.slice(0, run.caseRequests)
    if (own.length !== run.caseRequests || own.some((a) => a.names === undefined || a.status !== 200)) {
      run.violations.push(
        `a valid case: ${run.caseRequests} answers of 200 from the service expected, got ${own.map((a) => (a.names === undefined ? `${a.status} ${a.errorType}` : a.status)).join(', ') || 'none'}`,
      )
    }
  }
}

// ---------------------------------------------------------------- the service's side

/** The service's answer: a 200 whose body (and x-fuzz-answer header, for HEAD) names the request it answers. */
function answerNamingTheRequest(request: UpstreamRequest): string {
  const [method = '', target = ''] = request.requestLine.split(' ')
  const name = answerName(method, target, request.body)
  return `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-fuzz-answer: ${name}\r\ncontent-length: ${name.length}\r\n\r\n${method === 'HEAD' ? '' : name}`
}

function answerName(method: string, target: string, body: Buffer): string {
  return `${method} ${target} ${body.length} ${digest(body)}`
}

function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16)
}

/** Reads every upstream connection's bytes with Node's parser as they arrive, across cases. */
class UpstreamOracle {
  readonly records: UpstreamRecord[] = []
  private readonly streams = new Map<RawUpstreamConnection, { stream: LlhttpStream; fed: number; listed: number; index: number; failed: boolean }>()

  constructor(private readonly upstream: RawUpstream) {}

  /** Takes in what arrived since the last call; `caseId` is the case that just ran. True when a connection became unreadable. */
  poll(caseId: number, violations: string[]): boolean {
    let failed = false
    for (const connection of this.upstream.connections) {
      let entry = this.streams.get(connection)
      if (entry === undefined) {
        entry = { stream: createLlhttpStream('request'), fed: 0, listed: 0, index: this.streams.size, failed: false }
        this.streams.set(connection, entry)
      }
      const bytes = connection.received()
      entry.stream.push(bytes.subarray(entry.fed))
      entry.fed = bytes.length
      for (; entry.listed < entry.stream.messages.length; entry.listed++) {
        this.records.push({ connection: entry.index, message: entry.stream.messages[entry.listed]!, seenIn: caseId })
      }
      if (entry.stream.error !== undefined && !entry.failed) {
        entry.failed = true
        failed = true
        violations.push(
          `upstream connection ${entry.index}: Node's parser refuses what the proxy sent the service (${entry.stream.error}); its last bytes: ${printable(bytes.subarray(-600))}`,
        )
      }
    }
    return failed
  }
}

// ---------------------------------------------------------------- after the run: invariants 1, 3 and 5

/** `<case>/<token>` of a target `/f/<case>/<token>...`, or undefined. */
function keyOfTarget(target: string): string | undefined {
  const match = /^\/f\/(\d+)\/([^/?#]+)/.exec(target)
  return match === null ? undefined : `${match[1]}/${match[2]}`
}

function spanKey(span: SpanRecord): string | undefined {
  const path = span.attributes['url.path']
  return typeof path === 'string' ? keyOfTarget(path) : undefined
}

function recordsOf(run: EngineRun, caseId: number): UpstreamRecord[] {
  return run.upstream.filter((record) => {
    const key = keyOfTarget(record.message.target)
    return key === undefined ? record.seenIn === caseId : Number(key.split('/')[0]) === caseId
  })
}

function analyse(run: EngineRun): Array<{ caseRun: CaseRun; violations: string[] }> {
  const spansByKey = new Map<string, SpanRecord[]>()
  const spansByTrace = new Map<string, SpanRecord[]>()
  for (const span of run.spans) {
    const key = spanKey(span)
    if (key !== undefined) spansByKey.set(key, [...(spansByKey.get(key) ?? []), span])
    spansByTrace.set(span.traceId, [...(spansByTrace.get(span.traceId) ?? []), span])
  }

  return run.runs.map((caseRun, index) => {
    const { fuzz, reading } = caseRun
    const violations = [...caseRun.violations]
    const records = recordsOf(run, fuzz.id)

    // Invariant 1: what the service received whole.
    const matched = new Map<number, UpstreamRecord>()
    const lastOnConnection = new Map<number, number>()
    for (const record of records) {
      const { message } = record
      if (!message.complete) continue
      const i = reading.requests.findIndex((r) => r.target === message.target)
      const request = reading.requests[i]
      const what = `${message.method} ${short(message.target)} with ${message.body.length} body bytes`
      if (request === undefined) {
        violations.push(`smuggled: the service received ${what}, a request the strict reading does not accept (it reads: ${describeReading(reading)})`)
        continue
      }
      if (matched.has(i)) violations.push(`the service received request ${i} (${what}) twice`)
      if (request.refuse !== undefined) violations.push(`the service received request ${i} (${what}), which must be refused (${request.refuse})`)
      matched.set(i, record)
      if (message.method !== request.method) violations.push(`request ${i} reached the service as ${message.method}, sent as ${request.method}`)
      if (!message.body.equals(request.body)) {
        violations.push(
          `request ${i} reached the service with ${message.body.length} body bytes (${digest(message.body)}); the strict reading gives ${request.body.length} (${digest(request.body)}): a body boundary elsewhere`,
        )
      }
      const last = lastOnConnection.get(record.connection) ?? -1
      if (i < last) violations.push(`request ${i} reached the service after request ${last}, on the same upstream connection`)
      lastOnConnection.set(record.connection, i)
    }
    const highest = Math.max(-1, ...matched.keys())
    for (let i = 0; i < highest; i++) {
      if (!matched.has(i)) violations.push(`request ${highest} reached the service whole, request ${i} before it did not`)
    }

    // Invariant 3: one span per answer (its trace id), one per request that reached the service (its path).
    for (const [i, answer] of caseRun.answers.entries()) {
      const spans = answer.traceId === undefined ? [] : (spansByTrace.get(answer.traceId) ?? [])
      if (answer.traceId === undefined) violations.push(`answer ${i} (${answer.status}) carries no x-trace-id`)
      else if (spans.length !== 1) violations.push(`${spans.length} spans for the trace of answer ${i} (${answer.status})`)
      const span = spans[0]
      if (span === undefined) continue
      const errorType = span.attributes['error.type']
      if (answer.names !== undefined && errorType !== undefined)
        violations.push(`answer ${i} is the service's 200, its span says error.type ${String(errorType)}`)
      if (answer.errorType !== undefined && errorType !== answer.errorType)
        violations.push(`answer ${i} says "tracecar: ${answer.errorType}", its span error.type ${String(errorType)}`)
    }
    const answeredKeys = new Set(caseRun.answers.map((a, i) => (reading.requests[i] === undefined ? undefined : keyOfTarget(reading.requests[i]!.target))))
    const served = new Set(
      caseRun.answers.flatMap((a, i) => (a.names !== undefined && reading.requests[i] !== undefined ? [keyOfTarget(reading.requests[i]!.target)] : [])),
    )
    const reached = new Set(records.map((r) => keyOfTarget(r.message.target)).filter((k): k is string => k !== undefined))
    const keys = new Set([...reached, ...[...spansByKey.keys()].filter((k) => k.startsWith(`${fuzz.id}/`))])
    for (const key of keys) {
      const spans = spansByKey.get(key) ?? []
      if (spans.length > 1) violations.push(`${spans.length} spans for /f/${key}`)
      if (spans.length === 0) {
        if (reached.has(key) && !answeredKeys.has(key)) violations.push(`no span for /f/${key}, which reached the service`)
        continue
      }
      if (!served.has(key) && spans[0]!.attributes['error.type'] === undefined) violations.push(`/f/${key} was not served, but its span has no error.type`)
    }
    // Spans of bytes refused before they were a request have no path; each one answers a request of its own.
    const pathless = run.spans.slice(caseRun.spansFrom, caseRun.spansTo).filter((s) => spanKey(s) === undefined)
    for (const span of pathless) {
      if (span.attributes['error.type'] === undefined) violations.push(`a span without a request path or error.type (${span.name})`)
    }
    const answeredPathless = pathless.filter((s) => caseRun.answers.some((a) => a.traceId === s.traceId)).length
    const previousCut = run.runs[index - 1]?.cut ?? false
    if (answeredPathless > 0 && pathless.length > answeredPathless && !caseRun.cut && !previousCut) {
      const extra = pathless.filter((s) => !caseRun.answers.some((a) => a.traceId === s.traceId))
      violations.push(
        `a second span for bytes refused before they were a request (${extra.map((s) => `${s.attributes['error.type']}: ${s.statusMessage}`).join('; ')})`,
      )
    }

    // Invariant 5, against what the client sent: end-to-end headers reach the service.
    if (fuzz.valid) {
      for (const [i, request] of reading.requests.entries()) {
        const record = matched.get(i)
        if (record === undefined) continue
        const got = new Set(record.message.headers.map(([n]) => n.toLowerCase()))
        const missing = [...endToEndNames(request)].filter((n) => !got.has(n))
        if (missing.length > 0) violations.push(`request ${i}: the service did not get ${missing.join(', ')}`)
      }
    }
    return { caseRun, violations }
  })
}

/** Header names of a request that should reach the service (lower case). */
function endToEndNames(request: StrictRequest): Set<string> {
  const named = new Set(request.headers.filter(([n]) => n.toLowerCase() === 'connection').flatMap(([, v]) => v.split(',').map((s) => s.trim().toLowerCase())))
  return new Set(request.headers.map(([n]) => n.toLowerCase()).filter((n) => !NOT_FORWARDED.has(n) && !named.has(n)))
}

// ---------------------------------------------------------------- reporting

function short(text: string): string {
  return text.length > 90 ? `${text.slice(0, 60)}...${text.slice(-25)}` : text
}

function describeReading(reading: StrictReading): string {
  const requests = reading.requests.map((r) => `${r.method} ${short(r.target)} (${r.body.length} B${r.persistent ? '' : ', closes'})`)
  const rest = reading.rest === 'none' ? '' : `; then ${reading.rest} at byte ${reading.restStart}${reading.reason === '' ? '' : ` (${reading.reason})`}`
  return `${requests.length === 0 ? 'no request' : requests.join(', ')}${rest}`
}

function failureReport(run: CaseRun, violations: string[]): Record<string, unknown> {
  return {
    violations,
    reproduce: `TRACECAR_FUZZ_SEED=${SEED} TRACECAR_FUZZ_ONLY=${run.fuzz.id} npx tap test/proxy/http1-fuzz.test.ts`,
    case: run.fuzz.summary,
    strictReading: describeReading(run.reading),
    answers: run.answers.map((a) => `${a.status} ${short(a.names ?? a.errorType ?? '')}`),
    cut: run.cut,
    writes: `${run.fuzz.writes.length} (${run.fuzz.split})`,
    bytes: printable(run.fuzz.bytes).slice(0, 4000),
  }
}

/** Bytes as the inside of a JS string literal: printable ASCII as is, the rest escaped. */
function printable(bytes: Buffer): string {
  return JSON.stringify(bytes.toString('latin1')).slice(1, -1)
}

function statistics(run: EngineRun, results: Array<{ caseRun: CaseRun; violations: string[] }>): string {
  const valid = run.runs.filter((r) => r.fuzz.valid).length
  let sent = 0
  let served = 0
  let refused = 0
  const errorTypes = new Map<string, number>()
  for (const r of run.runs) {
    sent += r.reading.requests.length + (r.reading.rest === 'incomplete' || r.reading.rest === 'invalid' ? 1 : 0)
    for (const a of r.answers) {
      if (a.names !== undefined) served++
      else {
        refused++
        const key = `${a.status} ${a.errorType ?? '?'}`
        errorTypes.set(key, (errorTypes.get(key) ?? 0) + 1)
      }
    }
  }
  const casesRefused = run.runs.filter((r) => r.answers.some((a) => a.names === undefined)).length
  const casesForwarded = run.runs.filter((r) => recordsOf(run, r.fuzz.id).some((record) => record.message.complete)).length
  const slowest = [...run.runs]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3)
    .map((r) => `${r.fuzz.id} ${r.ms} ms${r.cut ? ' (cut)' : ''}`)
  return [
    `${run.engine}: ${run.runs.length} cases in ${run.seconds.toFixed(1)} s, seed ${SEED}: ${valid} valid, ${run.runs.length - valid} mutated; ${casesRefused} with a refusal, ${casesForwarded} with a request forwarded`,
    `  requests sent ${sent}: forwarded whole ${run.upstream.filter((r) => r.message.complete).length}, answered by the service ${served}, refused by the proxy ${refused} (${[...errorTypes].map(([k, v]) => `${k} x${v}`).join(', ') || 'none'})`,
    `  cases the client stopped waiting on (the proxy waited for more bytes): ${run.runs.filter((r) => r.cut).length}; with violations (each a known failure, or a failure above): ${results.filter((r) => r.violations.length > 0).length}; slowest: ${slowest.join(', ')}`,
  ].join('\n')
}

// ---------------------------------------------------------------- small helpers

function envInteger(name: string): number | undefined {
  const value = process.env[name]
  if (value === undefined || value.trim() === '') return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`)
  return n
}

/**
 * Waits until `missing()` is 0, or has not gone down for a while: every
 * exchange has ended by the time this is called, so a span still missing
 * then is missing for good (a guard against a hang, not a timing claim).
 */
async function untilNoProgress(missing: () => number): Promise<void> {
  let last = missing()
  let lastChange = Date.now()
  while (last > 0 && Date.now() - lastChange < 2_000) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    const now = missing()
    if (now < last) lastChange = Date.now()
    last = now
  }
}
