/**
 * Plays the part of Promtail or Fluent Bit for the demo: the sample services
 * write plain text access-log lines that know nothing about OTLP; this ships
 * them, as they are, to the collector's OTLP/HTTP logs endpoint once a second.
 *
 * On purpose the records carry no structured trace id: the only link to the
 * trace is the `trace_id=<hex>` the service printed from the `x-trace-id`
 * header its sidecar injected, which is what the collector must find.
 */
export interface LogShipper {
  ship(service: string, line: string, isError: boolean): void
  close(): Promise<void>
}

interface PendingLine {
  timeUnixNano: string
  line: string
  isError: boolean
}

/** OTLP SeverityNumber values (logs data model). */
const SEVERITY_INFO = 9
const SEVERITY_ERROR = 17
const FLUSH_INTERVAL_MS = 1000
/** Lines kept while the collector is away; older ones are dropped, the demo must not grow. */
const MAX_PENDING_LINES = 5000

export function startLogShipper(otlpLogsUrl: string, onError: (message: string) => void): LogShipper {
  let pending = new Map<string, PendingLine[]>()
  let pendingCount = 0
  let reportedFailure = false

  const flush = async (): Promise<void> => {
    if (pendingCount === 0) return
    const batch = pending
    pending = new Map()
    pendingCount = 0
    const body = {
      resourceLogs: [...batch].map(([service, lines]) => ({
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [
          {
            scope: { name: 'tracecar-demo-log-shipper' },
            logRecords: lines.map((l) => ({
              timeUnixNano: l.timeUnixNano,
              observedTimeUnixNano: l.timeUnixNano,
              severityNumber: l.isError ? SEVERITY_ERROR : SEVERITY_INFO,
              severityText: l.isError ? 'ERROR' : 'INFO',
              body: { stringValue: l.line },
            })),
          },
        ],
      })),
    }
    try {
      const res = await fetch(otlpLogsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      })
      await res.arrayBuffer()
      if (!res.ok) throw new Error(`the collector answered ${res.status}`)
      reportedFailure = false
    } catch (err) {
      if (!reportedFailure) onError(`shipping access logs to ${otlpLogsUrl} failed: ${(err as Error).message}`)
      reportedFailure = true
    }
  }

  const timer = setInterval(() => void flush(), FLUSH_INTERVAL_MS)
  timer.unref()

  return {
    ship(service, line, isError) {
      if (pendingCount >= MAX_PENDING_LINES) return
      let lines = pending.get(service)
      if (lines === undefined) pending.set(service, (lines = []))
      lines.push({ timeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`, line, isError })
      pendingCount++
    },
    async close() {
      clearInterval(timer)
      await flush()
    },
  }
}
