// The logs of a trace, or of the selected span, in time order or newest first, filterable by level.
import { useMemo, useState } from 'preact/hooks'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { ValueText } from '../components/link'
import { api } from '../lib/api'
import type { LogRecord } from '../../query-api/query-api-types'
import type { SpanHead } from './span-head'
import { attributeText, formatDuration, formatTime } from '../lib/format'
import { serviceColor } from '../lib/service-colors'
import { useApi } from '../lib/use-api'

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const
type Level = (typeof LEVELS)[number]

/** OTLP severity numbers come in bands of four (1-4 TRACE … 21-24 FATAL); text is the fallback. */
export function levelOf(log: LogRecord): Level {
  const n = log.severityNumber
  if (n >= 1 && n <= 24) return LEVELS[Math.floor((n - 1) / 4)]!
  const t = (log.severityText || '').toUpperCase()
  if (t.startsWith('WARN')) return 'WARN'
  if (t.startsWith('ERR')) return 'ERROR'
  if (t.startsWith('FATAL') || t.startsWith('CRIT')) return 'FATAL'
  if (t.startsWith('DEBUG')) return 'DEBUG'
  if (t.startsWith('TRACE')) return 'TRACE'
  return 'INFO'
}

/** Access logs often carry the trace id only: a log of the span's service, without a span id,
 * written while the span ran (or just after it ended) is taken as the span's. */
const LOG_AFTER_SPAN_SLACK_MS = 50
const LOG_PAGE = 300

export function logBelongsToSpan(log: LogRecord, span: Pick<SpanHead, 'spanId' | 'service' | 'startTimeUnixMs' | 'endTimeUnixMs'>): 'id' | 'inferred' | null {
  if (log.spanId) return log.spanId === span.spanId ? 'id' : null
  if (log.service !== span.service) return null
  return log.timeUnixMs >= span.startTimeUnixMs - 1 && log.timeUnixMs <= span.endTimeUnixMs + LOG_AFTER_SPAN_SLACK_MS ? 'inferred' : null
}

export function LogsPanel(props: {
  traceId: string
  traceStartMs: number
  selectedSpan: SpanHead | null
  scope: 'span' | 'trace'
  order: 'asc' | 'desc'
  onChange: (change: { scope?: 'span' | 'trace'; order?: 'asc' | 'desc' }) => void
  onSelectSpan: (spanId: string) => void
}) {
  const span = props.selectedSpan
  const spanOnly = props.scope === 'span' && span !== null
  // The whole trace's logs, filtered here: the span filter also catches logs without a span id.
  const logs = useApi((signal) => api.traceLogs(props.traceId, { order: props.order }, signal), [props.traceId, props.order])
  const [hidden, setHidden] = useState<ReadonlySet<Level>>(new Set())
  const inScope = useMemo(() => {
    const all = logs.data?.logs ?? []
    return spanOnly ? all.filter((l) => logBelongsToSpan(l, span) !== null) : all
  }, [logs.data, spanOnly, span])
  const counts = useMemo(() => {
    const c = new Map<Level, number>()
    for (const l of inScope) c.set(levelOf(l), (c.get(levelOf(l)) ?? 0) + 1)
    return c
  }, [inScope])
  const shown = inScope.filter((l) => !hidden.has(levelOf(l)))
  // A chatty trace can carry thousands of lines: render a page at a time.
  const [pageCount, setPageCount] = useState(1)
  const visible = shown.slice(0, pageCount * LOG_PAGE)

  return (
    <div class="logs-panel" data-testid="logs-panel">
      <div class="panel-toolbar">
        <div class="segmented" role="group" aria-label="Which logs">
          <button type="button" class={!spanOnly ? 'on' : ''} onClick={() => props.onChange({ scope: 'trace' })}>
            Whole trace
          </button>
          <button
            type="button"
            class={spanOnly ? 'on' : ''}
            disabled={!span}
            onClick={() => props.onChange({ scope: 'span' })}
            title={span ? 'Logs with this span id, and logs of its service without a span id written while it ran' : 'Select a span in the waterfall first'}
          >
            Selected span
          </button>
        </div>
        <div class="segmented" role="group" aria-label="Order">
          <button type="button" class={props.order === 'asc' ? 'on' : ''} onClick={() => props.onChange({ order: 'asc' })}>
            Oldest first
          </button>
          <button type="button" class={props.order === 'desc' ? 'on' : ''} onClick={() => props.onChange({ order: 'desc' })}>
            Newest first
          </button>
        </div>
      </div>
      <div class="level-filter" role="group" aria-label="Levels">
        {LEVELS.map((lv) => (
          <label key={lv} class={`level-chip level-${lv.toLowerCase()} ${hidden.has(lv) ? 'off' : ''}`}>
            <input
              type="checkbox"
              checked={!hidden.has(lv)}
              onChange={() => {
                const next = new Set(hidden)
                if (next.has(lv)) next.delete(lv)
                else next.add(lv)
                setHidden(next)
              }}
            />
            {lv} <span class="count">{counts.get(lv) ?? 0}</span>
          </label>
        ))}
      </div>
      {logs.loading && !logs.data ? (
        <Loading what="logs" />
      ) : logs.error ? (
        <ErrorState title="Could not load the logs" error={logs.error} hint="Check that the collector is running and try again." />
      ) : !shown.length ? (
        <EmptyState title={spanOnly ? `No logs for span "${span.name}"` : 'No logs for this trace'}>
          {inScope.length > 0
            ? 'All of them are hidden by the level filter above.'
            : spanOnly && (logs.data?.logs.length ?? 0) > 0
              ? `The trace has ${logs.data!.logs.length} log line(s) from other spans: try "Whole trace".`
              : 'Logs appear here when a service sends them over OTLP (/v1/logs) or its access log reaches the collector with this trace id.'}
        </EmptyState>
      ) : (
        <ol class="log-list" data-testid="log-list">
          {visible.map((l, i) => {
            const level = levelOf(l)
            const belongs = span ? logBelongsToSpan(l, span) : null
            return (
              <li key={i} class={`log-row level-${level.toLowerCase()} ${belongs ? 'of-selected' : ''}`}>
                <div class="log-head">
                  <span class="log-time" title={new Date(l.timeUnixMs).toISOString()}>
                    {formatTime(l.timeUnixMs)}
                  </span>
                  <span class="log-offset">+{formatDuration(l.timeUnixMs - props.traceStartMs)}</span>
                  <LogLevelAndService log={l} />
                  {l.spanId && (
                    <button type="button" class="link-button mono small" onClick={() => props.onSelectSpan(l.spanId!)}>
                      {l.spanId.slice(0, 8)}
                    </button>
                  )}
                  {belongs === 'inferred' && (
                    <span class="inferred" title="This log carries no span id; it is from this span's service and was written while the span ran">
                      by service and time
                    </span>
                  )}
                </div>
                <LogLineBody log={l} />
              </li>
            )
          })}
        </ol>
      )}
      {shown.length > visible.length && (
        <button type="button" class="small-button more-logs" onClick={() => setPageCount(pageCount + 1)}>
          Show {Math.min(LOG_PAGE, shown.length - visible.length)} more of {shown.length - visible.length} remaining
        </button>
      )}
    </div>
  )
}

/** A log line's level badge and its service (in the service's colour): the same on the Logs page and beside a trace. */
export function LogLevelAndService(props: { log: LogRecord }) {
  const l = props.log
  const level = levelOf(l)
  return (
    <>
      <span class={`level-badge level-${level.toLowerCase()}`}>{l.severityText || level}</span>
      {l.service && (
        <span class="log-svc" style={{ color: serviceColor(l.service) }}>
          {l.service}
        </span>
      )}
    </>
  )
}

/** A log line's text and its attributes (folded, sorted by key): the same on the Logs page and beside a trace. */
export function LogLineBody(props: { log: LogRecord }) {
  const l = props.log
  const attrs = Object.keys(l.attributes ?? {}).sort()
  return (
    <>
      <div class="log-body">{l.body}</div>
      {attrs.length > 0 && (
        <details class="log-attrs">
          <summary>
            {attrs.length} attribute{attrs.length === 1 ? '' : 's'}
          </summary>
          {attrs.map((k) => (
            <div key={k}>
              <b>{k}</b>=<ValueText value={attributeText(l.attributes[k])} />
            </div>
          ))}
        </details>
      )}
    </>
  )
}
