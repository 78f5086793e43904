import type { ExplainedRequest, LoadReport } from './load-report.js'
import type { SelfTimeRow } from '../trace-analysis/self-time.js'

/**
 * The text report printed after autocannon's table: what autocannon alone cannot
 * say. Plain text, no colours (it is often piped into CI logs).
 */

const ERRORS_PRINTED = 10

export function formatLoadReport(report: LoadReport): string {
  const out: string[] = []
  out.push('')
  out.push(
    `tracecar load ${report.runId}: ${report.autocannon.responses} responses in ${report.autocannon.durationSec} s, ` +
      `p50 ${ms(report.autocannon.latencyMs.p50)}, p99 ${ms(report.autocannon.latencyMs.p99)}, max ${ms(report.autocannon.latencyMs.max)}`,
  )
  out.push(`all traces of this run: ${report.collector.searchUrl}`)
  out.push(`service metrics during the run: ${report.collector.servicesUrl}`)

  const c = report.collector
  if (!c.reachable) {
    out.push('')
    out.push(`trace report missing: ${c.message}`)
    out.push(`(autocannon's figures above are complete; the requests still carried trace context, tracestate ${report.tracestate})`)
  } else if (c.message !== null) {
    out.push('')
    out.push(`note: ${c.message}`)
  }

  out.push('')
  out.push(`slowest ${report.slowest.length} requests:`)
  out.push(
    ...table(
      ['latency', 'status', 'trace', 'most time in'],
      report.slowest.map((r) => requestRow(r)),
    ),
  )
  for (const r of report.slowest) out.push(`  ${r.traceUrl}`)

  if (report.attribution.length > 0) {
    out.push('')
    const complete = report.slowest.filter((r) => r.trace?.complete === true).length
    const incomplete = report.slowest.filter((r) => r.trace?.complete === false).length
    out.push(`where the slowest requests spent their time (self time over ${complete} traces${incomplete > 0 ? `; ${incomplete} incomplete left out` : ''}):`)
    out.push(...table(['service', 'operation', 'self time', 'share'], report.attribution.slice(0, 8).map(attributionRow)))
  }

  out.push('')
  if (report.errors.total === 0) {
    out.push('errors: none')
  } else {
    const by = Object.entries(report.errors.byStatus)
      .map(([k, n]) => `${n} x ${k}`)
      .join(', ')
    out.push(`errors: ${report.errors.total} (${by}); the first ${Math.min(ERRORS_PRINTED, report.errors.listed.length)}:`)
    const shown = report.errors.listed.slice(0, ERRORS_PRINTED)
    out.push(
      ...table(
        ['status', 'latency', 'at', 'trace', 'link'],
        shown.map((r) => [status(r), ms(r.latencyMs), `+${ms(r.atMs)}`, r.traceId, r.traceUrl]),
      ),
    )
  }

  const q = report.requests
  if (q.cutOff > 0) {
    out.push('')
    out.push(
      `cut off by the end of the run: ${q.cutOff} ${q.cutOff === 1 ? 'request was' : 'requests were'} sent but not answered when the load stopped; ` +
        'not errors (the sidecar records them as client_disconnected)',
    )
  }
  if (q.unmatched > 0 || q.traceresponseMismatches > 0) {
    out.push('')
    out.push(
      `warning: ${q.unmatched} responses could not be paired with a sent trace, ${q.traceresponseMismatches} paired by their traceresponse header instead`,
    )
  }
  out.push('')
  return out.join('\n')
}

function requestRow(r: ExplainedRequest): string[] {
  const top = r.trace?.selfTime[0]
  const where = r.trace === null ? '(trace not in the collector)' : top ? `${top.service} ${top.operation} ${ms(top.selfMs)} (${pct(top.share)})` : '-'
  if (r.trace !== null && !r.trace.complete) return [ms(r.latencyMs), status(r), r.traceId, `${where} (incomplete: a hop had not arrived)`]
  return [ms(r.latencyMs), status(r), r.traceId, where]
}

function attributionRow(row: SelfTimeRow): string[] {
  return [row.service, row.operation, ms(row.selfMs), pct(row.share)]
}

function status(r: ExplainedRequest): string {
  return r.status === null ? (r.failure ?? 'failed') : String(r.status)
}

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${Math.round(value * 10) / 10} ms`
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`
}

function table(header: string[], rows: string[][]): string[] {
  if (rows.length === 0) return ['  (none)']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => '  ' + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')
  return [line(header), ...rows.map(line)]
}
