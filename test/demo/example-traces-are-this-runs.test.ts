import t from 'tap'
import { watchForExampleTraces } from '../../src/demo/example-traces.js'
import { hexId, jsonTraceRequest, postJson, startTestCollector } from '../collector/helpers.js'

// The demo's data folder outlives a run, and its first slow-looking trace is often a
// warm-up. The links it prints must be this run's, and "slow" must mean payments took
// its slow path, not that the whole request happened to be slow.

const SERVER = 2
const ERROR = 2

/** frontend's SERVER span with payments' SERVER span under it, as the demo's hops end up (shortened). */
function trace(startMs: number, frontendMs: number, paymentsMs: number, failed = false) {
  const traceId = hexId(16)
  const root = hexId(8)
  return {
    traceId,
    body: jsonTraceRequest({
      frontend: [{ traceId, spanId: root, name: 'GET /buy', kind: SERVER, startMs, durationMs: frontendMs, status: failed ? ERROR : 0 }],
      payments: [{ traceId, spanId: hexId(8), parentSpanId: root, name: 'GET /charge', kind: SERVER, startMs: startMs + 2, durationMs: paymentsMs }],
    }),
  }
}

t.test("the slow link is this run's trace where payments was slow, the failing link this run's failure", async (t) => {
  const collector = await startTestCollector()
  t.teardown(() => collector.close())
  const post = async (tr: { body: unknown }): Promise<void> => {
    t.equal((await postJson(`${collector.otlpUrl}/v1/traces`, tr.body)).status, 200)
  }
  const runStartMs = Date.now() - 30_000
  const lastRunSlow = trace(runStartMs - 60_000, 700, 650)
  const lastRunFailing = trace(runStartMs - 50_000, 20, 5, true)
  const warmUp = trace(runStartMs + 3000, 900, 8) // slow end to end, payments fast; the newest
  const paymentsSlow = trace(runStartMs + 1000, 520, 480)
  for (const tr of [lastRunSlow, lastRunFailing, warmUp, paymentsSlow]) await post(tr)

  const failing: string[] = []
  const slow = await new Promise<{ traceId: string; paymentsMs: number }>((resolve) => {
    const stop = watchForExampleTraces(collector.apiUrl, runStartMs, {
      slow: (traceId, _durationMs, paymentsMs) => resolve({ traceId, paymentsMs }),
      failing: (traceId) => failing.push(traceId),
    })
    t.teardown(stop)
  })
  t.equal(slow.traceId, paymentsSlow.traceId, 'the trace where payments took its slow path, not the warm-up or the last run')
  t.equal(slow.paymentsMs, 480)
  t.same(failing, [], "the last run's failing trace is not this run's example")

  const failed = trace(runStartMs + 4000, 15, 4, true)
  await post(failed)
  while (failing.length === 0) await new Promise((resolve) => setTimeout(resolve, 200))
  t.same(failing, [failed.traceId], "this run's failing trace")
})
