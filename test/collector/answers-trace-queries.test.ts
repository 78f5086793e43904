/**
 * The query API: search filters, trace ordering with broken and skewed
 * traces, logs of a trace and of a span, dependencies, parameter errors, and
 * the UI folder with its index.html fallback.
 */
import t from 'tap'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'

const uiDir = mkdtempSync(join(tmpdir(), 'tracecar-ui-'))
mkdirSync(join(uiDir, 'assets'))
writeFileSync(
  join(uiDir, 'index.html'),
  '<!doctype html><title>tracecar</title><link rel="icon" href="data:," /><link rel="stylesheet" href="/assets/app.css" /><script type="module" src="/assets/app.js"></script>',
)
writeFileSync(join(uiDir, 'assets', 'app.js'), 'console.log(1)')
t.teardown(() => rmSync(uiDir, { recursive: true, force: true }))

const collector = await startTestCollector({ uiDir })
t.teardown(() => collector.close())
const api = collector.apiUrl
const T0 = Date.now() - 60_000

// frontend -> checkout -> payments (error), one trace; plus a slow trace and a broken one.
const main = hexId(16)
const [fe, co, pay, db] = [hexId(8), hexId(8), hexId(8), hexId(8)]
const slow = hexId(16)
const broken = hexId(16)
const skewed = hexId(16)
const skewParent = hexId(8)
const skewChild = hexId(8)

t.before(async () => {
  const res = await postJson(
    `${collector.otlpUrl}/v1/traces`,
    jsonTraceRequest(
      {
        frontend: [
          {
            traceId: main,
            spanId: fe,
            name: 'GET /checkout',
            kind: 2,
            startMs: T0,
            durationMs: 120,
            attributes: { 'http.response.status_code': 500, 'user.tier': 'gold' },
            traceState: 'load=run-7,other=x',
          },
          {
            traceId: slow,
            spanId: hexId(8),
            name: 'GET /slow',
            kind: 2,
            startMs: T0 + 1000,
            durationMs: 2500,
            attributes: { 'http.response.status_code': 200 },
          },
          { traceId: skewed, spanId: skewParent, name: 'GET /skew', kind: 2, startMs: T0 + 3000, durationMs: 50 },
        ],
        checkout: [
          { traceId: main, spanId: co, parentSpanId: fe, name: 'POST /pay', kind: 2, startMs: T0 + 10, durationMs: 100 },
          { traceId: broken, spanId: hexId(8), parentSpanId: hexId(8), name: 'orphan', kind: 1, startMs: T0 + 2000, durationMs: 5 },
          // Starts 3 ms before its parent: another host's clock.
          { traceId: skewed, spanId: skewChild, parentSpanId: skewParent, name: 'GET /skewed-child', kind: 2, startMs: T0 + 2997, durationMs: 10 },
        ],
        payments: [
          { traceId: main, spanId: pay, parentSpanId: co, name: 'charge', kind: 2, startMs: T0 + 20, durationMs: 80, status: 2 },
          { traceId: main, spanId: db, parentSpanId: pay, name: 'INSERT', kind: 3, startMs: T0 + 25, durationMs: 5 },
        ],
      },
      { 'deployment.environment.name': 'prod' },
    ),
  )
  if (res.status !== 200) throw new Error(`ingest failed: ${res.status}`)
  const logs = await postJson(`${collector.otlpUrl}/v1/logs`, {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'payments' } }] },
        scopeLogs: [
          {
            logRecords: [
              {
                timeUnixNano: ((BigInt(T0) + 30n) * 1_000_000n).toString(),
                severityNumber: 17,
                severityText: 'ERROR',
                body: { stringValue: 'card declined' },
                traceId: main,
                spanId: pay,
              },
              { timeUnixNano: ((BigInt(T0) + 21n) * 1_000_000n).toString(), severityNumber: 9, body: { stringValue: 'charging' }, traceId: main, spanId: pay },
              {
                timeUnixNano: ((BigInt(T0) + 26n) * 1_000_000n).toString(),
                severityNumber: 9,
                body: { kvlistValue: { values: [{ key: 'msg', value: { stringValue: 'db call' } }] } },
                traceId: main,
                spanId: db,
              },
            ],
          },
        ],
      },
    ],
  })
  if (logs.status !== 200) throw new Error(`log ingest failed: ${logs.status}`)
})

async function search(query: string): Promise<string[]> {
  const { status, body } = await getJson(`${api}/api/traces?${query}`)
  if (status !== 200) throw new Error(`search ${query} answered ${status}: ${JSON.stringify(body)}`)
  return body.traces.map((trace: { traceId: string }) => trace.traceId)
}

t.test('services and operations', async (t) => {
  t.same((await getJson(`${api}/api/services`)).body, { services: ['checkout', 'frontend', 'payments'] })
  t.same((await getJson(`${api}/api/services/payments/operations`)).body, {
    operations: [
      { name: 'INSERT', spanKind: 'CLIENT' },
      { name: 'charge', spanKind: 'SERVER' },
    ],
  })
  t.same((await getJson(`${api}/api/services/nobody/operations`)).body, { operations: [] })
})

t.test('search filters', async (t) => {
  t.same(await search('service=frontend'), [skewed, slow, main], 'newest first')
  t.same(await search('service=frontend&limit=1'), [skewed])
  t.same(await search('service=payments&operation=charge'), [main])
  t.same(await search('service=frontend&minDurationMs=1000'), [slow])
  t.same(await search('service=frontend&maxDurationMs=100'), [skewed])
  t.same(await search('error=true'), [main])
  t.same(await search('attr=http.response.status_code=500'), [main], 'integer attribute')
  t.same(await search('attr=user.tier=gold&attr=deployment.environment.name=prod'), [main], 'span and resource attributes together')
  t.same(await search('service=payments&attr=user.tier=gold'), [main], 'the attribute may be on another span of the trace')
  t.same(await search('attr=user.tier=silver'), [])
  t.same(await search('tracestate=load=run-7'), [main])
  t.same(await search('tracestate=load=run-8'), [])
  t.same(await search(`service=frontend&start=${T0 + 500}&end=${T0 + 1500}`), [slow], 'time range')
  const [summary] = (await getJson(`${api}/api/traces?service=payments`)).body.traces
  t.same(summary, {
    traceId: main,
    rootService: 'frontend',
    rootOperation: 'GET /checkout',
    startTimeUnixMs: T0,
    durationMs: 120,
    spanCount: 4,
    errorCount: 1,
    services: ['checkout', 'frontend', 'payments'],
  })
})

t.test('a trace: parents before children, notes for broken and skewed traces', async (t) => {
  const { body } = await getJson(`${api}/api/traces/${main}`)
  t.same(
    body.spans.map((s: { spanId: string }) => s.spanId),
    [fe, co, pay, db],
  )
  t.same(body.warnings, [])
  const orphan = await getJson(`${api}/api/traces/${broken}`)
  t.equal(orphan.status, 200, 'a broken trace is shown, not refused')
  t.match(orphan.body.warnings, [/^checkout: orphan has parent [0-9a-f]{16} which is not in the trace$/], 'the span is named by service: operation')
  const skew = await getJson(`${api}/api/traces/${skewed}`)
  t.same(
    skew.body.spans.map((s: { spanId: string }) => s.spanId),
    [skewParent, skewChild],
    'the early child stays under its parent',
  )
  t.same(skew.body.warnings, ['checkout: GET /skewed-child starts 3.000 ms before its parent frontend: GET /skew (clock skew?)'], 'both spans named, not by id')
  t.equal((await getJson(`${api}/api/traces/${hexId(16)}`)).status, 404)
  const bad = await getJson(`${api}/api/traces/not-a-trace-id`)
  t.equal(bad.status, 400)
  t.match(bad.body.error, /not a trace id/)
})

t.test("a tracecar load request's trace: the load generator's own span is an expected missing parent, not a warning", async (t) => {
  const traceId = hexId(16)
  const first = hexId(8)
  const missingHop = hexId(8)
  const start = Date.now() - 5000
  const traceState = 'tracecar=run-0123456789ab'
  const res = await postJson(
    `${collector.otlpUrl}/v1/traces`,
    jsonTraceRequest({
      checkout: [{ traceId, spanId: first, parentSpanId: hexId(8), name: 'GET /checkout', startMs: start, durationMs: 50, traceState }],
      inventory: [{ traceId, spanId: hexId(8), parentSpanId: missingHop, name: 'GET /stock', startMs: start + 10, durationMs: 20, traceState }],
    }),
  )
  t.equal(res.status, 200)
  const { body } = await getJson(`${api}/api/traces/${traceId}`)
  t.same(body.warnings, [`inventory: GET /stock has parent ${missingHop} which is not in the trace`], 'only the hop that really is missing')
  const jaeger = await getJson(`${api}/api/jaeger/api/traces/${traceId}`)
  t.same(jaeger.body.data[0].warnings, [`inventory: GET /stock has parent ${missingHop} which is not in the trace`])
})

t.test('logs of a trace and of one span', async (t) => {
  const all = await getJson(`${api}/api/traces/${main}/logs`)
  t.same(
    all.body.logs.map((l: { body: string }) => l.body),
    ['charging', '{"msg":"db call"}', 'card declined'],
    'oldest first by default',
  )
  const desc = await getJson(`${api}/api/traces/${main}/logs?order=desc`)
  t.equal(desc.body.logs[0].body, 'card declined')
  const span = await getJson(`${api}/api/traces/${main}/logs?spanId=${pay}`)
  t.same(
    span.body.logs.map((l: { body: string }) => l.body),
    ['charging', 'card declined'],
  )
  t.match(span.body.logs[1], { severityText: 'ERROR', severityNumber: 17, service: 'payments', traceId: main, spanId: pay, timeUnixMs: T0 + 30 })
  t.equal((await getJson(`${api}/api/traces/${main}/logs?order=sideways`)).status, 400)
  t.equal((await getJson(`${api}/api/logs?q=declined`)).body.logs.length, 1)
})

t.test('dependencies between services', async (t) => {
  const { body } = await getJson(`${api}/api/dependencies?start=${T0 - 1000}&end=${T0 + 10_000}`)
  t.same(body.edges, [
    { parent: 'checkout', child: 'payments', callCount: 1, errorCount: 1 },
    { parent: 'frontend', child: 'checkout', callCount: 2, errorCount: 0 },
  ])
})

t.test('bad parameters are 400s that say what is allowed', async (t) => {
  for (const [query, pattern] of [
    ['limit=0', /limit="0" must be a whole number from 1 to 1000/],
    ['start=yesterday', /start="yesterday" is not a Unix time in milliseconds/],
    ['minDurationMs=-3', /minDurationMs=-3 is out of range: use a duration in milliseconds from 0 to/],
    ['minDurationMs=10&maxDurationMs=5', /below minDurationMs/],
    ['error=maybe', /must be true or false/],
    ['attr=novalue', /must be key=value/],
  ] as const) {
    const { status, body } = await getJson(`${api}/api/traces?${query}`)
    t.equal(status, 400, query)
    t.match(body.error, pattern)
  }
  t.equal((await getJson(`${api}/api/nothing-here`)).status, 404)
})

t.test('well-formed but absurd numbers are 400s naming the parameter and the allowed range, not 500s', async (t) => {
  for (const [path, pattern] of [
    ['/api/traces?start=-1e308&end=1e308', /start=-1e\+308 is out of range: use a Unix time in milliseconds from 0 to 9223372036854/],
    ['/api/traces?end=1e308', /end=1e\+308 is out of range/],
    ['/api/traces?minDurationMs=1e308', /minDurationMs=1e\+308 is out of range: use a duration in milliseconds from 0 to 9223372036854/],
    ['/api/traces?maxDurationMs=1e300', /maxDurationMs=1e\+300 is out of range/],
    ['/api/logs?start=-1e308&end=1e308', /start=-1e\+308 is out of range/],
    ['/api/logs?end=1e308', /end=1e\+308 is out of range/],
    ['/api/dependencies?start=1e308&end=1e308', /end=1e\+308 is out of range/],
  ] as const) {
    const { status, body } = await getJson(`${api}${path}`)
    t.equal(status, 400, path)
    t.match(body.error, pattern, path)
  }
})

t.test('the UI folder: files, deep links to index.html, assets that do not exist', async (t) => {
  const index = await fetch(`${api}/`)
  t.equal(index.status, 200)
  t.match(await index.text(), /<title>tracecar/)
  const deep = await fetch(`${api}/trace/${main}?span=${pay}`)
  t.equal(deep.status, 200)
  t.match(deep.headers.get('content-type'), /text\/html/)
  t.match(await deep.text(), /<title>tracecar/)
  t.equal(
    deep.headers.get('link'),
    `</assets/app.css>; rel=preload; as=style, </assets/app.js>; rel=modulepreload, </api/traces/${main}/compact>; rel=preload; as=fetch; crossorigin=anonymous`,
    "a trace page has the browser fetch its style sheet and script, then the trace's compact answer while the bundle loads",
  )
  t.equal(index.headers.get('link'), null, 'other pages preload nothing')
  const js = await fetch(`${api}/assets/app.js`)
  t.match(js.headers.get('content-type'), /javascript/)
  t.equal(await js.text(), 'console.log(1)')
  const missing = await fetch(`${api}/assets/missing.js`)
  t.equal(missing.status, 404)
  await missing.text()
  const escape = await fetch(`${api}/..%2f..%2fetc%2fpasswd`)
  t.notMatch(await escape.text(), /root:/)
})
