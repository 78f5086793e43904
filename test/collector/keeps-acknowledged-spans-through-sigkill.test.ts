/**
 * A collector killed with SIGKILL in the middle of ingest restarts on the
 * same database and still has every span it acknowledged (200), each batch
 * whole: acknowledged means durably stored.
 */
import t from 'tap'
import { rmSync } from 'node:fs'
import { hexId, jsonTraceRequest, tempDataDir } from './helpers.js'
import { startCollectorProcess } from './collector-process.js'

const SPANS_PER_BATCH = 50
const SENDERS = 4

t.test('every acknowledged span survives kill -9', async (t) => {
  const dataDir = tempDataDir()
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const first = await startCollectorProcess(dataDir)
  const acknowledged: string[] = []
  let stop = false

  async function sender(): Promise<void> {
    while (!stop) {
      const traceId = hexId(16)
      const now = Date.now()
      const spans = Array.from({ length: SPANS_PER_BATCH }, (_, i) => ({
        traceId,
        spanId: hexId(8),
        name: `op-${i}`,
        startMs: now + i,
        durationMs: 1,
        attributes: { 'batch.index': i, filler: 'x'.repeat(100) },
      }))
      try {
        const res = await fetch(`${first.otlpUrl}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(jsonTraceRequest({ 'kill-test': spans })),
        })
        await res.text()
        if (res.status === 200) acknowledged.push(traceId)
      } catch {
        // The process died under this request: it was never acknowledged.
        return
      }
    }
  }

  const senders = Array.from({ length: SENDERS }, () => sender())
  // Let ingest run until a fair number of batches are in, then kill in the middle of it.
  const deadline = Date.now() + 60_000
  while (acknowledged.length < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  first.child.kill('SIGKILL')
  await first.exited
  stop = true
  await Promise.all(senders)
  t.ok(acknowledged.length >= 60, `${acknowledged.length} batches acknowledged before the kill`)

  const second = await startCollectorProcess(dataDir)
  t.teardown(async () => {
    second.child.kill('SIGTERM')
    await second.exited
  })
  let missing = 0
  let partial = 0
  for (const traceId of acknowledged) {
    const res = await fetch(`${second.apiUrl}/api/traces/${traceId}`)
    if (res.status !== 200) {
      missing++
      await res.text()
      continue
    }
    const body = (await res.json()) as { spans: unknown[] }
    if (body.spans.length !== SPANS_PER_BATCH) partial++
  }
  t.equal(missing, 0, 'no acknowledged batch is missing')
  t.equal(partial, 0, 'no acknowledged batch is half-stored')
  // The reopened database takes new data.
  const res = await fetch(`${second.otlpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(jsonTraceRequest({ 'after-restart': [{ traceId: hexId(16), spanId: hexId(8), name: 'x', startMs: Date.now(), durationMs: 1 }] })),
  })
  t.equal(res.status, 200)
  await res.text()
  // No batch other than acknowledged or in-flight ones may appear half-stored either.
  const search = await fetch(`${second.apiUrl}/api/traces?service=kill-test&limit=1000`)
  const found = (await search.json()) as { traces: Array<{ spanCount: number }> }
  t.ok(
    found.traces.every((trace) => trace.spanCount === SPANS_PER_BATCH),
    'every stored batch is whole, acknowledged or not',
  )
})
