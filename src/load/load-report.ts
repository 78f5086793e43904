import type autocannon from 'autocannon'
import type { TraceResponse } from '../query-api/query-api-types.js'
import type { LoadOptions } from './load-options.js'
import { CONNECTION_ERROR, type RequestOutcome } from './request-outcomes.js'
import type { LoadRun } from './run-load.js'
import { RUN_TRACESTATE_KEY } from './run-trace-context.js'
import { type SelfTimeRow, attributeSelfTime, round } from '../trace-analysis/self-time.js'

/**
 * The whole report of a run as one plain object: what `--json` writes and what the
 * text report prints. Its shape is `load-report.schema.json` (documented in
 * docs/load.md); bump `version` on an incompatible change.
 */

export const LOAD_REPORT_VERSION = 1
/** Rows of the per-trace breakdown kept in the report. */
const BREAKDOWN_ROWS = 5

export interface LatencySummary {
  min: number
  average: number
  p50: number
  p90: number
  p97_5: number
  p99: number
  max: number
}

export interface TraceSummaryPart {
  spanCount: number
  /** From the earliest span start to the latest span end. */
  durationMs: number
  rootService: string
  rootOperation: string
  services: string[]
  /** Self time by service/operation in this trace, biggest first (at most 5 rows). */
  selfTime: SelfTimeRow[]
  /**
   * False when the trace was still changing, waiting for a parent, or had a call
   * into a traced service whose child span had not arrived, at the deadline.
   * Incomplete traces are left out of `attribution`.
   */
  complete: boolean
  warnings: string[]
}

export interface ExplainedRequest {
  traceId: string
  status: number | null
  failure: string | null
  latencyMs: number
  atMs: number
  traceUrl: string
  /** null when the collector part is missing or this trace never arrived. */
  trace: TraceSummaryPart | null
}

export interface LoadReport {
  version: number
  runId: string
  tracestate: string
  target: {
    url: string
    method: string
    connections: number
    pipelining: number
    durationSec: number | null
    amount: number | null
    rate: number | null
  }
  startedAt: string
  finishedAt: string
  autocannon: {
    durationSec: number
    requestsSent: number
    responses: number
    requestsPerSec: { average: number; min: number; max: number }
    latencyMs: LatencySummary
    throughputBytesPerSec: { average: number; max: number }
    errors: number
    timeouts: number
    non2xx: number
    statusCodes: Record<string, number>
  }
  requests: {
    recorded: number
    /** Sent but not answered when the run ended (autocannon closed the connection): not errors. */
    cutOff: number
    /** The first 20 of them; a sidecar records each as `client_disconnected`. */
    cutOffTraceIds: string[]
    unmatched: number
    traceresponseSeen: number
    traceresponseMismatches: number
  }
  slowest: ExplainedRequest[]
  errors: {
    total: number
    byStatus: Record<string, number>
    listed: ExplainedRequest[]
  }
  /** Self time over the slowest traces that arrived complete, biggest first: where the tail went. */
  attribution: SelfTimeRow[]
  collector: {
    url: string
    uiUrl: string
    /** `<ui>/search?tracestate=tracecar%3Drun-<id>&lookback=custom&start=&end=` */
    searchUrl: string
    /** `<ui>/services?lookback=custom&start=&end=`: the services' RED metrics during the run. */
    servicesUrl: string
    reachable: boolean
    /** Why the trace part is missing or partial; null when everything arrived. */
    message: string | null
    tracesWanted: number
    tracesFound: number
    waitedMs: number
  }
}

/** What the collector part produced. */
export type CollectorPart =
  | { reachable: false; message: string }
  | { reachable: true; traces: Map<string, TraceResponse>; unsettled: string[]; waitedMs: number; loadSpanIds: ReadonlyMap<string, string> }

/**
 * The UI search for the run's traces. With the run's time window the link keeps
 * working after the UI's default lookback (1 h) has passed, e.g. from a CI log.
 */
export function runSearchUrl(uiUrl: string, runId: string, window?: TimeWindow): string {
  return `${uiUrl}/search?tracestate=${encodeURIComponent(`${RUN_TRACESTATE_KEY}=${runId}`)}${window ? windowParams(window) : ''}`
}

/** The UI's service metrics (RED) over the run's time window. */
export function runServicesUrl(uiUrl: string, window: TimeWindow): string {
  return `${uiUrl}/services?${windowParams(window).slice(1)}`
}

export interface TimeWindow {
  startMs: number
  endMs: number
}

// A little margin: span clocks are the services', and the first spans start as the run does.
const WINDOW_MARGIN_MS = 5000

function windowParams(window: TimeWindow): string {
  return `&lookback=custom&start=${Math.floor(window.startMs - WINDOW_MARGIN_MS)}&end=${Math.ceil(window.endMs + WINDOW_MARGIN_MS)}`
}

export function traceUrl(uiUrl: string, traceId: string): string {
  return `${uiUrl}/trace/${traceId}`
}

/**
 * The trace ids the report wants explained: the slowest and the listed errors,
 * except requests that never left (a connection error): no hop can have seen them,
 * and waiting for their traces would only run into the deadline.
 */
export function wantedTraces(run: LoadRun): RequestOutcome[] {
  const seen = new Set<string>()
  const list: RequestOutcome[] = []
  for (const o of [...run.outcomes.slowest, ...run.outcomes.errorsListed]) {
    if (seen.has(o.traceId) || o.failure === CONNECTION_ERROR) continue
    seen.add(o.traceId)
    list.push(o)
  }
  return list
}

export function buildLoadReport(run: LoadRun, options: LoadOptions, collector: CollectorPart): LoadReport {
  const r = run.result
  const window = { startMs: run.startedAt.getTime(), endMs: run.finishedAt.getTime() }
  const explain = (o: RequestOutcome): ExplainedRequest => ({
    traceId: o.traceId,
    status: o.status,
    failure: o.failure,
    latencyMs: round(o.latencyMs),
    atMs: round(o.atMs),
    traceUrl: traceUrl(options.uiUrl, o.traceId),
    trace: collector.reachable ? summarizeTrace(collector, o.traceId) : null,
  })
  const slowest = run.outcomes.slowest.map(explain)
  const wanted = wantedTraces(run)

  let attribution: SelfTimeRow[] = []
  let message: string | null
  let tracesFound = 0
  if (collector.reachable) {
    // A trace still missing a hop would put the missing hop's time on its caller: left out.
    const slowTraces = run.outcomes.slowest
      .filter((o) => !collector.unsettled.includes(o.traceId))
      .map((o) => collector.traces.get(o.traceId))
      .filter((t) => t !== undefined)
    attribution = attributeSelfTime(slowTraces.map((t) => t.spans))
    tracesFound = wanted.filter((o) => collector.traces.has(o.traceId)).length
    const missing = wanted.length - tracesFound
    message =
      missing > 0
        ? `${missing} of ${wanted.length} traces had not reached the collector after ${Math.round(collector.waitedMs / 100) / 10} s ` +
          `(is the sidecar in front of ${options.url} exporting to this collector, with a sampler that keeps the caller's decision?)`
        : collector.unsettled.length > 0
          ? `${collector.unsettled.length} traces were still incomplete at the deadline (--trace-wait), e.g. a call whose callee's spans had not arrived; ` +
            'they are marked incomplete, their breakdown may miss a hop, and they are left out of where the time went'
          : null
  } else {
    message = collector.message
  }

  const statusCodes: Record<string, number> = {}
  for (const [code, stats] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number(stats?.count ?? 0)

  return {
    version: LOAD_REPORT_VERSION,
    runId: run.runId,
    tracestate: `${RUN_TRACESTATE_KEY}=${run.runId}`,
    target: {
      url: options.url,
      method: options.method,
      connections: options.connections,
      pipelining: options.pipelining,
      durationSec: options.amount === undefined ? options.durationSec : null,
      amount: options.amount ?? null,
      rate: options.rate ?? null,
    },
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    autocannon: {
      durationSec: r.duration,
      requestsSent: r.requests.sent,
      responses: r.requests.total,
      requestsPerSec: { average: r.requests.average, min: r.requests.min, max: r.requests.max },
      latencyMs: pickLatency(r.latency),
      throughputBytesPerSec: { average: r.throughput.average, max: r.throughput.max },
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      statusCodes,
    },
    requests: {
      recorded: run.outcomes.recorded,
      cutOff: run.outcomes.cutOff,
      cutOffTraceIds: [...run.outcomes.cutOffTraceIds],
      unmatched: run.outcomes.unmatched,
      traceresponseSeen: run.outcomes.traceresponseSeen,
      traceresponseMismatches: run.outcomes.traceresponseMismatches,
    },
    slowest,
    errors: {
      total: run.outcomes.errorCount,
      byStatus: { ...run.outcomes.errorsByStatus },
      listed: run.outcomes.errorsListed.map(explain),
    },
    attribution,
    collector: {
      url: options.collectorUrl,
      uiUrl: options.uiUrl,
      searchUrl: runSearchUrl(options.uiUrl, run.runId, window),
      servicesUrl: runServicesUrl(options.uiUrl, window),
      reachable: collector.reachable,
      message,
      tracesWanted: wanted.length,
      tracesFound,
      waitedMs: collector.reachable ? collector.waitedMs : 0,
    },
  }
}

function pickLatency(h: autocannon.Histogram): LatencySummary {
  return { min: h.min, average: h.average, p50: h.p50, p90: h.p90, p97_5: h.p97_5, p99: h.p99, max: h.max }
}

function summarizeTrace(collector: Extract<CollectorPart, { reachable: true }>, traceId: string): TraceSummaryPart | null {
  const trace = collector.traces.get(traceId)
  if (trace === undefined || trace.spans.length === 0) return null
  const spans = trace.spans
  const loadSpanId = collector.loadSpanIds.get(traceId)
  // The root: no parent, or the load generator's span as parent, else the earliest span.
  const root =
    spans.find((s) => s.parentSpanId === null || s.parentSpanId === loadSpanId) ?? spans.reduce((a, b) => (b.startTimeUnixMs < a.startTimeUnixMs ? b : a))
  const start = Math.min(...spans.map((s) => s.startTimeUnixMs))
  const end = Math.max(...spans.map((s) => s.endTimeUnixMs))
  return {
    spanCount: spans.length,
    durationMs: round(end - start),
    rootService: root.service,
    rootOperation: root.name,
    services: [...new Set(spans.map((s) => s.service))].sort(),
    selfTime: attributeSelfTime([spans]).slice(0, BREAKDOWN_ROWS),
    complete: !collector.unsettled.includes(traceId),
    // The missing parent every trace has is the load generator's own span: not news.
    warnings: trace.warnings.filter((w) => loadSpanId === undefined || !w.includes(loadSpanId)),
  }
}
