/**
 * Request metrics are kept in preallocated series and rendered at scrape
 * time; what /metrics prints must stay what prom-client printed when it
 * observed every request itself. Each test runs the former prom-client code
 * (Reference, below) on the same exchanges at the same instants and compares
 * the rendered families byte for byte, then checks the numbers against what
 * the test sent, and lets a real Prometheus scrape the sidecar.
 */
import t from 'tap'
import client from 'prom-client'
import { ProxyAgent, request as undiciRequest } from 'undici'
import { Exchange } from '../../src/proxy/exchange.js'
import { ProxyMetrics } from '../../src/proxy/proxy-metrics.js'
import { normalizedMethod } from '../../src/proxy/span-builder.js'
import { SpanKind } from '../../src/span/span-record.js'
import { eventually } from '../collector/observability-process.js'
import { missingBinary, PROMETHEUS_BIN, startPrometheus } from '../collector/prometheus-processes.js'
import { request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

const DURATION = 'tracecar_http_request_duration_seconds'
const INVALID = 'tracecar_trace_context_invalid'
const UNSAMPLED = 'tracecar_requests_unsampled'
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx']

/** The request metrics as prom-client observed them before the preallocated series (same names, help, labels, buckets). */
class Reference {
  readonly registry = new client.Registry<client.OpenMetricsContentType>(client.Registry.OPENMETRICS_CONTENT_TYPE)
  private readonly duration = new client.Histogram<'direction' | 'method' | 'route' | 'status_class'>({
    name: DURATION,
    help: 'Requests through the sidecar by direction, method, route template and status class (0xx: no response); _count is the request count.',
    labelNames: ['direction', 'method', 'route', 'status_class'],
    buckets: BUCKETS,
    enableExemplars: true,
    registers: [this.registry],
  })
  private readonly invalidContext = new client.Counter<'header'>({
    name: `${INVALID}_total`,
    help: 'Requests whose incoming trace context header was malformed and was replaced by a new trace.',
    labelNames: ['header'],
    registers: [this.registry],
  })
  private readonly unsampled = new client.Counter({
    name: `${UNSAMPLED}_total`,
    help: 'Requests proxied and counted but not recorded as spans (sampling decision).',
    registers: [this.registry],
  })

  onExchangeEnd(ex: Exchange): void {
    const labels = {
      direction: ex.kind === 3 ? 'outbound' : 'inbound',
      method: normalizedMethod(ex.method),
      route: ex.route,
      status_class: STATUS_CLASSES[Math.floor(ex.statusCode / 100)] ?? 'other',
    }
    const value = (ex.endUnixMs - ex.startUnixMs) / 1000
    if (ex.sampled) {
      const exemplarLabels = { trace_id: ex.traceId, span_id: ex.spanId } as unknown as typeof labels
      this.duration.observe({ labels, value, exemplarLabels })
    } else {
      this.duration.observe({ labels, value })
      this.unsampled.inc()
    }
    if (ex.invalidContextHeader !== '') this.invalidContext.inc({ header: ex.invalidContextHeader })
  }
}

/**
 * Runs `fn` with Date.now() frozen at `ms`. prom-client stamps exemplars with
 * Date.now(); the series take the exchange's end in whole milliseconds, the
 * same instant on the spans' clock. Freezing Date.now() at that instant makes
 * both print the same timestamp.
 */
const realNow = Date.now
function at<T>(ms: number, fn: () => T): T {
  Date.now = () => ms
  try {
    return fn()
  } finally {
    Date.now = realNow
  }
}

/** One metric family of an OpenMetrics exposition: its HELP, TYPE and sample lines, in order. */
function family(text: string, name: string): string {
  const samples = new Set([name, `${name}_total`, `${name}_bucket`, `${name}_sum`, `${name}_count`, `${name}_created`])
  return text
    .split('\n')
    .filter((line) => (line.startsWith('# ') ? line.split(' ')[2] === name : samples.has(line.split(/[ {]/)[0]!)))
    .join('\n')
}

interface ParsedSeries {
  /** Cumulative counts by `le` as printed. */
  buckets: Map<string, number>
  sum: number
  count: number
  exemplars: Array<{ le: string; traceId: string; spanId: string; value: number; timestamp: number }>
}

const SAMPLE = /^(\w+)\{([^}]*)\} (\S+)(?: # \{trace_id="([0-9a-f]+)",span_id="([0-9a-f]+)"\} (\S+) (\S+))?$/

/** The duration histogram's series by `direction method route status_class`. */
function parseDuration(text: string): Map<string, ParsedSeries> {
  const out = new Map<string, ParsedSeries>()
  for (const line of family(text, DURATION).split('\n')) {
    if (line.startsWith('#')) continue
    const m = SAMPLE.exec(line)
    if (m === null) throw new Error(`unparsed sample line: ${line}`)
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]))
    const key = `${labels.direction} ${labels.method} ${labels.route} ${labels.status_class}`
    let series = out.get(key)
    if (series === undefined) {
      series = { buckets: new Map(), sum: NaN, count: NaN, exemplars: [] }
      out.set(key, series)
    }
    const value = Number(m[3])
    if (m[1] === `${DURATION}_bucket`) {
      series.buckets.set(labels.le!, value)
      if (m[4] !== undefined) series.exemplars.push({ le: labels.le!, traceId: m[4], spanId: m[5]!, value: Number(m[6]), timestamp: Number(m[7]) })
    } else if (m[1] === `${DURATION}_sum`) series.sum = value
    else if (m[1] === `${DURATION}_count`) series.count = value
    else throw new Error(`unexpected sample: ${line}`)
  }
  return out
}

interface Observation {
  key: string
  value: number
  sampled: boolean
  traceId: string
  spanId: string
  /** The exemplar timestamp this observation must carry if sampled. */
  timestamp: number
}

/** What the histogram must show for these observations, computed the plain way. */
function expectedSeries(observations: Observation[]): Map<string, ParsedSeries> {
  const out = new Map<string, ParsedSeries>()
  for (const o of observations) {
    let series = out.get(o.key)
    if (series === undefined) {
      series = { buckets: new Map([...BUCKETS.map((b) => [String(b), 0] as [string, number]), ['+Inf', 0]]), sum: 0, count: 0, exemplars: [] }
      out.set(o.key, series)
    }
    for (const b of BUCKETS) if (o.value <= b) series.buckets.set(String(b), series.buckets.get(String(b))! + 1)
    series.buckets.set('+Inf', series.buckets.get('+Inf')! + 1)
    series.sum += o.value
    series.count++
    if (o.sampled) {
      const le = String(BUCKETS.find((b) => o.value <= b) ?? '+Inf')
      series.exemplars = series.exemplars.filter((e) => e.le !== le)
      series.exemplars.push({ le, traceId: o.traceId, spanId: o.spanId, value: o.value, timestamp: o.timestamp })
    }
  }
  return out
}

function labelKey(ex: Exchange): string {
  const statusClass = STATUS_CLASSES[Math.floor(ex.statusCode / 100)] ?? 'other'
  return `${ex.kind === SpanKind.CLIENT ? 'outbound' : 'inbound'} ${normalizedMethod(ex.method)} ${ex.route} ${statusClass}`
}

function hex(bytes: number): string {
  let s = ''
  for (let i = 0; i < bytes; i++)
    s += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0')
  return s
}

t.test('the same exchanges print the same families as prom-client did, edge cases included', async (t) => {
  const registry = new client.Registry<client.OpenMetricsContentType>(client.Registry.OPENMETRICS_CONTENT_TYPE)
  const metrics = new ProxyMetrics(registry)
  const reference = new Reference()
  const empty = await registry.metrics()
  t.equal(empty, await reference.registry.metrics(), 'identical before any request (unsampled counter at 0, no series)')

  // Durations in ms: 0, exact bounds (le is inclusive), between bounds, above the last bound (+Inf exemplar).
  const durationsMs = [0, 1, 1.5, 2.5, 5, 7, 10, 25, 49.999, 100, 250, 999, 1000, 2500, 5000, 10000, 10001, 12500, 60000]
  const statuses = [0, 101, 200, 204, 302, 404, 499, 503, 599, 600, 999]
  const methods = ['GET', 'POST', 'DELETE', 'BREW', 'get']
  const routes = ['/users/:id', '', '/a "quoted" \\ route\n']
  const invalid = ['', '', 'traceparent', '', 'tracestate', 'b3', '', 'jaeger']
  let n = 0
  for (const durationMs of durationsMs) {
    for (let i = 0; i < 7; i++, n++) {
      const start = 1_700_000_000_000 + n * 3
      const ex = new Exchange(start)
      ex.endUnixMs = start + durationMs
      ex.kind = n % 3 === 0 ? SpanKind.CLIENT : SpanKind.SERVER
      ex.method = methods[n % methods.length]!
      ex.route = routes[n % routes.length]!
      ex.statusCode = statuses[n % statuses.length]!
      ex.sampled = n % 4 !== 1
      ex.traceId = hex(16)
      ex.spanId = hex(8)
      ex.invalidContextHeader = invalid[n % invalid.length]!
      at(Math.floor(ex.endUnixMs), () => reference.onExchangeEnd(ex))
      metrics.onExchangeEnd(ex)
    }
  }
  const text = await registry.metrics()
  const expected = await reference.registry.metrics()
  t.equal(text, expected, 'byte-identical OpenMetrics text: order, labels, escaping, buckets, sums, exemplars and their timestamps')
  t.match(
    text,
    /_bucket\{le="\+Inf",[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}"\} 1[02]\.5?\d* \d+\.\d+/,
    'an exemplar above the last bound sits on +Inf',
  )
  t.match(text, /status_class="other"/)
  t.match(text, /method="_OTHER"/)
  t.match(text, /route="\/a \\"quoted\\" \\\\ route\\n"/)
  t.same(await registry.getMetricsAsJSON(), await reference.registry.getMetricsAsJSON(), 'getMetricsAsJSON agrees too')

  // A non-finite duration throws as prom-client did (the exchange's observer error is counted by the sidecar).
  const broken = new Exchange(0)
  broken.endUnixMs = NaN
  t.throws(() => metrics.onExchangeEnd(broken), TypeError)
  t.throws(() => reference.onExchangeEnd(broken), TypeError)
  t.equal(await registry.metrics(), await reference.registry.metrics(), 'nothing counted for it on either side')

  const duration = registry.getSingleMetric(DURATION)!
  duration.reset()
  t.equal(
    family(await registry.metrics(), DURATION),
    `# HELP ${DURATION} ${(await reference.registry.getSingleMetric(DURATION)!.get()).help}\n# TYPE ${DURATION} histogram`,
    'reset forgets every series',
  )
})

t.test('after real requests through a sidecar, /metrics shows their buckets, sums, counts, exemplars and counters', async (t) => {
  const testStart = Date.now()
  const upstream = await startHttpServer((req, res) => {
    const path = req.url ?? '/'
    if (path.startsWith('/slow')) {
      setTimeout(() => res.end('slow'), 30)
      return
    }
    if (path === '/users/404') res.statusCode = 404
    else if (req.method === 'POST') res.statusCode = 201
    else if (path === '/boom') res.statusCode = 503
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  const destination = await startHttpServer((_req, res) => res.end('destination'))

  // Every exchange the sidecar's metrics observe, also observed by the reference at the same instant.
  const reference = new Reference()
  const observations: Observation[] = []
  const original = ProxyMetrics.prototype.onExchangeEnd
  ProxyMetrics.prototype.onExchangeEnd = function (this: ProxyMetrics, ex: Exchange) {
    original.call(this, ex)
    at(Math.floor(ex.endUnixMs), () => reference.onExchangeEnd(ex))
    observations.push({
      key: labelKey(ex),
      value: (ex.endUnixMs - ex.startUnixMs) / 1000,
      sampled: ex.sampled,
      traceId: ex.traceId,
      spanId: ex.spanId,
      timestamp: Math.floor(ex.endUnixMs) / 1000,
    })
  }
  const proxy = await startTestSidecar(upstream.url, ['--route', '/users/:id', '--route', '/orders'])
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${proxy.sidecar.outbound!.forward.port}`, proxyTunnel: false })
  t.teardown(async () => {
    ProxyMetrics.prototype.onExchangeEnd = original
    await agent.close()
    await proxy.close()
    await upstream.close()
    await destination.close()
  })

  const unsampledTraceIds: string[] = []
  let sent = 0
  const send = async (path: string, options: Parameters<typeof request>[1] = {}, status = 200): Promise<void> => {
    const res = await request(proxy.url + path, options)
    t.equal(res.status, status, `${options.method ?? 'GET'} ${path}`)
    sent++
  }
  for (let i = 0; i < 5; i++) await send(`/users/${i}`)
  for (let i = 0; i < 3; i++) await send('/orders', { method: 'POST', body: 'x' }, 201)
  for (let i = 0; i < 2; i++) await send('/users/404', {}, 404)
  for (let i = 0; i < 2; i++) await send('/slow')
  await send('/boom', {}, 503)
  await send('/users/1', { method: 'PURGE' })
  for (let i = 0; i < 4; i++) {
    const traceId = hex(16)
    unsampledTraceIds.push(traceId)
    await send(`/users/${i}`, { headers: { traceparent: `00-${traceId}-${hex(8)}-00` } })
  }
  for (let i = 0; i < 2; i++) await send('/users/8', { headers: { traceparent: 'not-a-traceparent' } })
  await send('/users/9', { headers: { traceparent: `00-${hex(16)}-${hex(8)}-01`, tracestate: 'a=1,@b=2' } })
  for (let i = 0; i < 2; i++) {
    const res = await undiciRequest(`${destination.url}/x`, { dispatcher: agent })
    t.equal(await res.body.text(), 'destination')
    sent++
  }
  // An exchange is observed when its server side closes, just after the client has the reply.
  await eventually('every exchange observed', async () => (observations.length >= sent ? true : undefined), 5000, 10)
  t.equal(observations.length, sent, 'one observation per request')
  const testEnd = Date.now()

  const res = await request(proxy.adminUrl + '/metrics')
  t.equal(res.status, 200)
  t.equal(res.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8')
  t.match(res.body, /\n# EOF\n$/, 'an OpenMetrics exposition ends with # EOF')
  const referenceText = await reference.registry.metrics()
  for (const name of [DURATION, INVALID, UNSAMPLED]) {
    t.equal(family(res.body, name), family(referenceText, name), `${name}: what prom-client printed for the same observations`)
  }

  // The numbers, from what the test sent.
  const series = parseDuration(res.body)
  const counts = Object.fromEntries([...series].map(([key, s]) => [key, s.count]))
  const outboundKey = [...series.keys()].find((k) => k.startsWith('outbound '))
  t.ok(outboundKey?.startsWith('outbound GET '), 'the forward proxy calls have their own series')
  t.same(counts, {
    'inbound GET /users/:id 2xx': 5 + 4 + 2 + 1,
    'inbound POST /orders 2xx': 3,
    'inbound GET /users/:id 4xx': 2,
    'inbound GET  2xx': 2,
    'inbound GET  5xx': 1,
    'inbound _OTHER /users/:id 2xx': 1,
    [outboundKey ?? 'outbound']: 2,
  })
  t.equal(series.get('inbound GET  2xx')!.buckets.get('0.025'), 0, 'the 30 ms requests are above le="0.025"')
  t.equal(series.get('inbound GET  2xx')!.buckets.get('+Inf'), 2)

  // Buckets, sums and exemplars, from the exact durations the exchanges had.
  const expected = expectedSeries(observations)
  t.same([...series.keys()], [...expected.keys()], 'series in the order of their first request')
  for (const [key, want] of expected) {
    const got = series.get(key)!
    t.same(got.buckets, want.buckets, `${key}: cumulative buckets`)
    t.equal(got.count, want.count, `${key}: count`)
    t.ok(Math.abs(got.sum - want.sum) < 1e-9, `${key}: sum ${got.sum}`)
    t.same(
      [...got.exemplars].sort((a, b) => a.le.localeCompare(b.le)),
      [...want.exemplars].sort((a, b) => a.le.localeCompare(b.le)),
      `${key}: per bucket, the last sampled request in it, stamped with its end in seconds`,
    )
  }

  // Exemplars point at exported spans, never at unsampled requests.
  await proxy.spans.waitFor(sent - unsampledTraceIds.length)
  const spanIds = new Set(proxy.spans.spans.map((s) => `${s.traceId}/${s.spanId}`))
  const exemplars = [...series.values()].flatMap((s) => s.exemplars)
  t.ok(exemplars.length > 0)
  t.ok(
    exemplars.every((e) => spanIds.has(`${e.traceId}/${e.spanId}`)),
    'every exemplar is an exported span',
  )
  const spanEnds = new Map(proxy.spans.spans.map((s) => [`${s.traceId}/${s.spanId}`, s.endUnixMs]))
  t.ok(
    exemplars.every((e) => e.timestamp === Math.floor(spanEnds.get(`${e.traceId}/${e.spanId}`)!) / 1000),
    'exemplar timestamps: the span end, milliseconds, in seconds',
  )
  t.ok(
    exemplars.every((e) => e.timestamp * 1000 >= testStart - 1000 && e.timestamp * 1000 <= testEnd + 1000),
    'and wall-clock time',
  )
  t.notOk(
    exemplars.some((e) => unsampledTraceIds.includes(e.traceId)),
    'no exemplar for an unsampled request',
  )

  t.match(res.body, /\ntracecar_trace_context_invalid_total\{header="traceparent"\} 2\n/)
  t.match(res.body, /\ntracecar_trace_context_invalid_total\{header="tracestate"\} 1\n/)
  t.match(res.body, /\ntracecar_requests_unsampled_total 4\n/)

  const skip = missingBinary(PROMETHEUS_BIN, 'prometheus')
  t.test('a real Prometheus scrapes the sidecar: counts, exemplars and counters', { skip }, async (t) => {
    const prometheus = await startPrometheus(`127.0.0.1:${proxy.sidecar.admin!.port}`)
    t.teardown(() => prometheus.stop())
    const query = async (promql: string): Promise<string | undefined> => {
      const r = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
        data: { result: Array<{ value: [number, string] }> }
      }
      return r.data.result[0]?.value[1]
    }
    t.equal(await eventually('Prometheus to scrape the sidecar', () => query(`sum(${DURATION}_count)`), 60_000, 250), String(sent))
    const targets = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as {
      data: { activeTargets: Array<{ health: string; lastError: string }> }
    }
    t.same(
      targets.data.activeTargets.map((a) => [a.health, a.lastError]),
      [['up', '']],
      'the scrape parses without error',
    )
    t.equal(await query(`${DURATION}_count{direction="inbound",method="GET",route="/users/:id",status_class="2xx"}`), '12')
    t.equal(await query(`${DURATION}_bucket{direction="inbound",method="GET",route="",status_class="2xx",le="0.025"}`), '0')
    t.equal(await query(`${INVALID}_total{header="traceparent"}`), '2')
    t.equal(await query(`${UNSAMPLED}_total`), '4')
    const exemplarIds = await eventually(
      'Prometheus to return exemplars',
      async () => {
        const q = new URL(`${prometheus.url}/api/v1/query_exemplars`)
        q.searchParams.set('query', `${DURATION}_bucket`)
        q.searchParams.set('start', String((testStart - 60_000) / 1000))
        q.searchParams.set('end', String((Date.now() + 60_000) / 1000))
        const r = (await (await fetch(q)).json()) as { data: Array<{ exemplars: Array<{ labels: { trace_id: string; span_id: string } }> }> }
        const ids = r.data.flatMap((s) => s.exemplars.map((e) => `${e.labels.trace_id}/${e.labels.span_id}`))
        return ids.length > 0 ? ids : undefined
      },
      60_000,
      250,
    )
    t.same(new Set(exemplarIds), new Set(exemplars.map((e) => `${e.traceId}/${e.spanId}`)), 'Prometheus stored the exemplars of the sampled requests')
  })
})
