/**
 * Every text a sender chooses comes back exactly as sent, whatever it holds:
 * tabs, line feeds, carriage returns, backslashes, both quotes, a NUL,
 * non-ASCII and text that looks like an escape or a format's syntax. Names,
 * attribute keys and values (span, resource, event, link), status message,
 * trace state and scope; and the searches, service and operation lists find
 * them by their exact text. The store writes these values into its own
 * formats (SQL, ClickHouse's TabSeparated insert), so a wrong escape would
 * change or lose them, or split a row.
 */
import t from 'tap'
import { getJson, hexId, kvList, msToNanoString, postJson, startTestCollector } from './helpers.js'

const collector = await startTestCollector()
t.teardown(() => collector.close())
const api = collector.apiUrl
const T0 = Date.now() - 60_000

const HOSTILE = [
  'tab\there',
  'line\nfeed',
  'carriage\rreturn\r\n',
  'back\\slash \\t \\n \\\\ \\',
  `quotes ' " '' \\'`,
  'nul\u0000byte',
  'naïve café 漢字 😀 \u00a0',
  "['a','b'] {\"k\":1} ,;| --",
  '\\N',
  '',
]
const service = `svc\t"quoted"\n\\ ü`
const operation = `GET /x\t'y'\\n\n😀`
const traceId = hexId(16)
const rootId = hexId(8)
const childId = hexId(8)

const keyOf = (i: number): string => `key${i} ${HOSTILE[i]!}`
const attributes = Object.fromEntries(HOSTILE.map((value, i) => [keyOf(i), value]))

t.before(async () => {
  const res = await postJson(`${collector.otlpUrl}/v1/traces`, {
    resourceSpans: [
      {
        resource: { attributes: kvList({ 'service.name': service, 'host.note': HOSTILE.join('|') }) },
        scopeSpans: [
          {
            scope: { name: `scope\t${HOSTILE[3]}`, version: `v\n${HOSTILE[6]}` },
            spans: [
              {
                traceId,
                spanId: rootId,
                name: operation,
                kind: 2,
                startTimeUnixNano: msToNanoString(T0),
                endTimeUnixNano: msToNanoString(T0 + 40),
                traceState: 'vendor=a\tb',
                attributes: kvList(attributes),
                status: { code: 2, message: HOSTILE.join('\n') },
                events: [{ name: `event\t${HOSTILE[4]}`, timeUnixNano: msToNanoString(T0 + 5), attributes: kvList({ [`ev\n${HOSTILE[2]}`]: HOSTILE[5]! }) }],
                links: [{ traceId: hexId(16), spanId: hexId(8), traceState: '', attributes: kvList({ 'link\tkey': HOSTILE[0]! }) }],
              },
              {
                traceId,
                spanId: childId,
                parentSpanId: rootId,
                name: HOSTILE[3]!,
                kind: 1,
                startTimeUnixNano: msToNanoString(T0 + 10),
                endTimeUnixNano: msToNanoString(T0 + 20),
                attributes: kvList({ plain: 'value' }),
              },
            ],
          },
        ],
      },
    ],
  })
  if (res.status !== 200) throw new Error(`ingest failed: ${res.status} ${JSON.stringify(res.body)}`)
})

t.test('the trace comes back with every text as sent', async (t) => {
  const { status, body } = await getJson(`${api}/api/traces/${traceId}`)
  t.equal(status, 200)
  const root = body.spans.find((s: { spanId: string }) => s.spanId === rootId)
  const child = body.spans.find((s: { spanId: string }) => s.spanId === childId)
  t.equal(root.service, service)
  t.equal(root.name, operation)
  t.same(root.attributes, attributes, 'attribute keys and values')
  t.equal(root.resource['host.note'], HOSTILE.join('|'), 'resource attribute')
  t.equal(root.status.message, HOSTILE.join('\n'), 'status message')
  t.equal(root.traceState, 'vendor=a\tb')
  t.same(root.scope, { name: `scope\t${HOSTILE[3]}`, version: `v\n${HOSTILE[6]}` })
  t.equal(root.events[0].name, `event\t${HOSTILE[4]}`)
  t.same(root.events[0].attributes, { [`ev\n${HOSTILE[2]}`]: HOSTILE[5] })
  t.same(root.links[0].attributes, { 'link\tkey': HOSTILE[0] })
  t.equal(child.name, HOSTILE[3])
  t.equal(child.parentSpanId, rootId)
})

t.test('services, operations and searches find the texts exactly', async (t) => {
  t.ok((await getJson(`${api}/api/services`)).body.services.includes(service), 'the service is listed as sent')
  const ops = (await getJson(`${api}/api/services/${encodeURIComponent(service)}/operations`)).body.operations.map((o: { name: string }) => o.name)
  t.same(ops.sort(), [operation, HOSTILE[3]].sort(), 'operations as sent')
  const search = async (query: Record<string, string>): Promise<string[]> => {
    const { status, body } = await getJson(`${api}/api/traces?${new URLSearchParams(query)}`)
    if (status !== 200) throw new Error(`search answered ${status}: ${JSON.stringify(body)}`)
    return body.traces.map((trace: { traceId: string }) => trace.traceId)
  }
  t.same(await search({ service, operation }), [traceId], 'by service and operation')
  for (const [i, value] of HOSTILE.entries()) {
    if (value === '') continue
    t.same(await search({ service, attr: `${keyOf(i)}=${value}` }), [traceId], `by attribute ${JSON.stringify(value)}`)
  }
  t.same(await search({ service, attr: `${keyOf(0)}=tab here` }), [], 'a tab is not a space')
  t.same(await search({ service, attr: `${keyOf(3)}=${HOSTILE[3]!.replace(/\\/g, '\\\\')}` }), [], 'a backslash is not doubled')
})
