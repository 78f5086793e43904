import t from 'tap'
import { request } from '../helpers/servers.js'
import { callConcurrently, classifyHops, isOneConnectedTrace, startChain } from './outbound-chain.js'
import type { Chain, ForwardMode } from './outbound-chain.js'

// A calls B calls C, each a legacy service behind its own tracecar process,
// calls made through the sidecars' outbound proxies; default join rules
// (context, correlation), services handling requests concurrently.
const chain: Chain = await startChain(['svc-a', 'svc-b', 'svc-c'], { join: 'context,correlation', serial: false })
t.teardown(() => chain.stop())

const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

async function oneAtATime(mode: ForwardMode, requestIds: string[]): Promise<void> {
  for (const id of requestIds) t.equal(await chain.call(mode, id), 200, `${mode} ${id} answered`)
  await chain.waitForRequests(mode, requestIds)
}

t.test('(a) services that forward traceparent give one connected trace', async (t) => {
  const requestIds = ids('seq', 3)
  await oneAtATime('traceparent', requestIds)
  for (const id of requestIds) t.ok(isOneConnectedTrace(chain, 'traceparent', id), `request ${id}: one trace, every parent in it`)
  const hops = classifyHops(chain, 'traceparent', requestIds)
  t.same(hops, { joined: 6, unjoined: 0, wrong: 0, byRule: { context: 6 } })
})

t.test('(b) services that forward only x-request-id give one connected trace', async (t) => {
  const requestIds = ids('seq', 3)
  await oneAtATime('x-request-id', requestIds)
  for (const id of requestIds) t.ok(isOneConnectedTrace(chain, 'x-request-id', id), `request ${id}: one trace`)
  const hops = classifyHops(chain, 'x-request-id', requestIds)
  t.same(hops, { joined: 6, unjoined: 0, wrong: 0, byRule: { correlation: 6 } })
})

t.test('(c, rule 3 off) services that forward nothing give separate traces, and say so on /metrics', async (t) => {
  const requestIds = ids('seq', 3)
  await oneAtATime('nothing', requestIds)
  for (const id of requestIds) {
    t.notOk(isOneConnectedTrace(chain, 'nothing', id), `request ${id}: not one trace`)
    const traces = new Set(
      chain
        .spans()
        .filter((s) => s.attributes['url.path'] === `/nothing/${id}` || String(s.attributes['url.full']).endsWith(`/nothing/${id}`))
        .map((s) => s.traceId),
    )
    t.equal(traces.size, 3, `request ${id}: three traces (A's, A→B, B→C)`)
  }
  const hops = classifyHops(chain, 'nothing', requestIds)
  t.same(hops, { joined: 0, unjoined: 6, wrong: 0, byRule: { none: 6 } })
  const metrics = (await request(`${chain.sidecars[0]!.adminUrl}/metrics`)).body
  t.match(metrics, /tracecar_outbound_unjoined_total 3\b/, "A's sidecar counts its three unjoined calls")
  t.match(metrics, /tracecar_outbound_joins_total\{rule="correlation"\} 3\b/)
})

t.test('under concurrency (10 in flight): forwarded context and forwarded x-request-id still join every call; nothing is never misjoined', async (t) => {
  for (const mode of ['traceparent', 'x-request-id', 'nothing'] as const) {
    const requestIds = ids('conc', 40)
    const statuses = await callConcurrently(chain, mode, requestIds, 10)
    t.ok(
      statuses.every((s) => s === 200),
      `${mode}: every request answered 200`,
    )
    await chain.waitForRequests(mode, requestIds)
    const hops = classifyHops(chain, mode, requestIds)
    t.comment(`join rules context,correlation; 40 requests, 10 concurrent, forwarding ${mode}: ${JSON.stringify(hops)}`)
    t.equal(hops.wrong, 0, `${mode}: no call parented in the wrong trace`)
    t.equal(hops.joined, mode === 'nothing' ? 0 : 80, `${mode}: hops joined`)
  }
})
