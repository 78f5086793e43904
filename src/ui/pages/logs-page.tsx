// Logs across services: by service, by text in the body, over a window (a lookback or a custom
// range to the second, the same selector the services page and the service map have), newest
// first, each line linking to its trace. The URL holds the whole query.
import { useEffect, useState } from 'preact/hooks'
import { Link } from '../components/link'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import { formatDateTime } from '../lib/format'
import { href, navigate } from '../lib/router'
import { useApi } from '../lib/use-api'
import { levelOf, LogLevelAndService, LogLineBody } from '../trace/logs-panel'
import { LookbackSelect, pageWindow, windowParams } from './services-page'

const LIMITS = ['100', '500', '2000']

/** `seq` changes on every navigation: the same search submitted again reads the newest lines again. */
export function LogsPage(props: { query: URLSearchParams; seq: number }) {
  const q = props.query
  const win = pageWindow(q)
  const service = q.get('service') ?? ''
  const text = q.get('q') ?? ''
  const limit = LIMITS.includes(q.get('limit') ?? '') ? q.get('limit')! : LIMITS[0]!
  const services = useApi((signal) => api.services(signal), [])
  const [draft, setDraft] = useState(text)
  useEffect(() => setDraft(text), [text])
  const logs = useApi(
    (signal) => {
      const end = win.custom?.end ?? Date.now()
      return api.logs(
        { service: service || undefined, q: text || undefined, start: win.custom?.start ?? end - win.windowMs, end, limit: Number(limit) },
        signal,
      )
    },
    [win.key, service, text, limit, props.seq],
  )

  // The other parameters, kept when one changes (the window selector keeps these too).
  const own = { service, q: text, limit: limit === LIMITS[0] ? '' : limit }
  const go = (change: Partial<typeof own>) => navigate(href('/logs', { ...own, ...change, ...windowParams(win) }))

  let body
  if (logs.loading && !logs.data) body = <Loading what="logs" />
  else if (logs.error) body = <ErrorState title="Could not load logs" error={logs.error} hint="Check that the collector is running and reload." />
  else if (!logs.data?.logs.length) {
    body = (
      <EmptyState title="No logs in this window">
        {service || text
          ? 'Nothing matches the service and text given: widen the window or clear them.'
          : 'Logs appear here when a service sends them over OTLP (/v1/logs) or its access log reaches the collector (Loki push or the raw log route).'}
      </EmptyState>
    )
  } else {
    const list = logs.data.logs
    body = (
      <>
        <p class="muted small" data-testid="logs-count">
          {list.length} line{list.length === 1 ? '' : 's'}, newest first
          {list.length >= Number(limit) ? ` (the newest ${limit}: narrow the window or the search for older ones)` : ''}
        </p>
        <ol class="log-list" data-testid="log-list">
          {list.map((l, i) => {
            const level = levelOf(l)
            return (
              <li key={i} class={`log-row level-${level.toLowerCase()}`}>
                <div class="log-head">
                  <span class="log-time" title={new Date(l.timeUnixMs).toISOString()}>
                    {formatDateTime(l.timeUnixMs)}
                  </span>
                  <LogLevelAndService log={l} />
                  {l.traceId && (
                    <Link
                      class="mono small"
                      href={href(`/trace/${encodeURIComponent(l.traceId)}`, { span: l.spanId || undefined, tab: 'logs', logs: l.spanId ? undefined : 'trace' })}
                    >
                      trace {l.traceId.slice(0, 8)}
                    </Link>
                  )}
                </div>
                <LogLineBody log={l} />
              </li>
            )
          })}
        </ol>
      </>
    )
  }

  return (
    <div class="page logs-page">
      <div class="page-head">
        <h2>Logs</h2>
        <LookbackSelect window={win} path="/logs" keep={own} />
      </div>
      <form
        class="logs-filter"
        onSubmit={(e) => {
          e.preventDefault()
          go({ q: draft.trim() })
        }}
      >
        <label class="inline-label">
          Service
          <select name="service" value={service} onChange={(e) => go({ service: e.currentTarget.value })}>
            <option value="">All services</option>
            {(services.data?.services ?? []).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label class="inline-label">
          Text
          <input
            name="q"
            type="search"
            data-shortcut="search"
            placeholder="in the log line, any case"
            value={draft}
            onInput={(e) => setDraft(e.currentTarget.value)}
          />
        </label>
        <label class="inline-label">
          Lines
          <select name="limit" value={limit} onChange={(e) => go({ limit: e.currentTarget.value === LIMITS[0] ? '' : e.currentTarget.value })}>
            {LIMITS.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="small-button">
          Search
        </button>
      </form>
      {body}
    </div>
  )
}
