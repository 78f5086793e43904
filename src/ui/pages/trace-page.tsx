// One trace: header, minimap, waterfall, and a side panel with the selected span's details, the
// trace's logs and its service's metrics. The selected span and tab live in the URL
// (/trace/:id?span=..&tab=logs) so they can be linked to.
import { Fragment } from 'preact'
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { Link } from '../components/link'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import { formatDateTime, formatDuration } from '../lib/format'
import { href, navigate } from '../lib/router'
import { serviceColor } from '../lib/service-colors'
import { isTyping } from '../lib/shortcuts'
import { useApi } from '../lib/use-api'
import { LogsPanel } from '../trace/logs-panel'
import { MetricsPanel } from '../trace/metrics-panel'
import { Minimap } from '../trace/minimap'
import { SpanDetails } from '../trace/span-details'
import { ComparePicker } from '../trace/compare-picker'
import { FlameGraph } from '../trace/flame-graph'
import { TraceHeading } from '../trace/trace-heading'
import { decodeCompactTrace } from '../trace/span-head'
import { FIRST_ROWS_ABOVE_SPANS, FirstRows } from '../trace/first-rows'
import type { CompactTraceResponse } from '../../query-api/query-api-types'
import { buildTraceModel, findSpans, type TraceModel, visibleRows } from '../trace/trace-model'
import { formatStatsSort, parseStatsSort, TraceStats } from '../trace/trace-stats'
import { type TimeWindow, ViewportStore, Waterfall } from '../trace/waterfall'
import { Segmented } from '../components/segmented'

type Tab = 'details' | 'logs' | 'metrics'
/** The trace's main view: the span waterfall, the flame graph, or its time grouped by service/operation. */
type View = 'waterfall' | 'flame' | 'stats'
const VIEWS: { value: View; label: string }[] = [
  { value: 'waterfall', label: 'Waterfall' },
  { value: 'flame', label: 'Flame graph' },
  { value: 'stats', label: 'Statistics' },
]

export function TracePage(props: { traceId: string; query: URLSearchParams }) {
  // The compact encoding (columns, strings once, no attributes): a 10,000-span trace is a sixth of
  // its JSON and the page draws sooner; the opened span's attributes are fetched on their own.
  // A big trace's model is built after its first rows are drawn (null until then).
  const trace = useApi(
    (signal) =>
      api
        .compactTrace(props.traceId, signal)
        .then((data) => ({ data, model: data.spanId.length > FIRST_ROWS_ABOVE_SPANS ? null : buildTraceModel(decodeCompactTrace(data)) })),
    [props.traceId],
  )
  const [built, setBuilt] = useState<{ data: CompactTraceResponse; model: TraceModel } | null>(null)
  useEffect(() => {
    const loaded = trace.data
    if (!loaded || loaded.model) return
    // Effects run after the browser has painted: the first rows are on screen while this builds.
    const timer = setTimeout(() => setBuilt({ data: loaded.data, model: buildTraceModel(decodeCompactTrace(loaded.data)) }), 0)
    return () => clearTimeout(timer)
  }, [trace.data])
  const model = trace.data?.model ?? (built?.data === trace.data?.data ? built?.model : undefined)
  const selectSpan = useCallback((spanId: string) => replaceQuery({ span: spanId }), [])

  if (trace.loading && !trace.data) return <Loading what={`trace ${props.traceId}`} />
  if (trace.error) {
    if (trace.error.status === 404) {
      return (
        <div class="page-message">
          <EmptyState title={`Trace ${props.traceId} was not found`}>
            It may not have arrived yet (sidecars export in batches every few seconds: reload in a moment), it may have been sampled out, or it is older than
            the collector's retention. <Link href="/search">Search for traces</Link>.
          </EmptyState>
        </div>
      )
    }
    return (
      <div class="page-message">
        <ErrorState title="Could not load the trace" error={trace.error} hint="Check that the collector is running and reload." />
      </div>
    )
  }
  if (trace.data && !model) {
    return <FirstRows key={props.traceId} traceId={props.traceId} data={trace.data.data} selectedId={props.query.get('span')} onSelect={selectSpan} />
  }
  if (!trace.data || !model || model.nodes.length === 0) {
    return (
      <div class="page-message">
        <EmptyState title="This trace has no spans" />
      </div>
    )
  }
  return <TraceView key={props.traceId} traceId={props.traceId} model={model} warnings={trace.data.data.warnings ?? []} query={props.query} />
}

/** Changes the URL's query without a history entry (a click does not make the back button stay on the trace). */
function replaceQuery(change: Record<string, string | null>): void {
  const next = new URLSearchParams(window.location.search)
  for (const [k, v] of Object.entries(change)) {
    if (v === null) next.delete(k)
    else next.set(k, v)
  }
  const s = next.toString()
  navigate(`${window.location.pathname}${s ? `?${s}` : ''}`, { replace: true })
}

function TraceView(props: { traceId: string; model: TraceModel; warnings: string[]; query: URLSearchParams }) {
  const { model } = props
  const q = props.query
  const selectedId = q.get('span')
  const tab: Tab = (['details', 'logs', 'metrics'] as const).find((t) => t === q.get('tab')) ?? 'details'
  const mainView: View = VIEWS.find((v) => v.value === q.get('view'))?.value ?? 'waterfall'
  const selected = selectedId ? (model.byId.get(selectedId) ?? null) : null
  const root = model.roots[0]!

  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set())
  const [view, setView] = useState<TimeWindow>({ start: model.startMs, end: model.endMs || model.startMs + 1 })
  const [viewport] = useState(() => new ViewportStore())
  const [scrollTo, setScrollTo] = useState<{ index: number; seq: number } | null>(null)
  const rows = useMemo(() => visibleRows(model, collapsed), [model, collapsed])
  // Other traces whose span links name this one (a collector without the route answers 404: none shown).
  const incoming = useApi((signal) => api.linkedFrom(props.traceId, signal), [props.traceId])
  const incomingLinks = incoming.data?.links ?? []

  // Update the URL without a history entry per click: the back button leaves the trace.
  const setQuery = useCallback((change: Record<string, string | null>) => replaceQuery(change), [])
  const onSelect = useCallback((spanId: string) => setQuery({ span: spanId }), [setQuery])
  const onToggle = useCallback((spanId: string) => {
    setCollapsed((c) => {
      const next = new Set(c)
      if (next.has(spanId)) next.delete(spanId)
      else next.add(spanId)
      return next
    })
  }, [])

  // A deep-linked or newly selected span: expand its ancestors and scroll it into view.
  const seq = useRef(0)
  useEffect(() => {
    if (!selected) return
    let hiddenBy = false
    const next = new Set(collapsed)
    for (let p = selected.parent; p; p = p.parent) if (next.delete(p.span.spanId)) hiddenBy = true
    if (hiddenBy) setCollapsed(next)
    // eslint-disable-next-line react-hooks/exhaustive-deps -- runs for a new selection only; the user may collapse its ancestors again afterwards
  }, [selectedId])
  useEffect(() => {
    if (!selected) return
    const index = rows.indexOf(selected)
    if (index >= 0) setScrollTo({ index, seq: ++seq.current })
    // eslint-disable-next-line react-hooks/exhaustive-deps -- selected follows from selectedId and the trace behind rows
  }, [selectedId, rows])

  // Find in the trace: name, service or span id here, and the spans with an attribute value
  // containing the text as the collector finds them (the page holds no attributes).
  const [find, setFind] = useState('')
  const [findText, setFindText] = useState('')
  useEffect(() => {
    const timer = setTimeout(() => setFindText(find.trim()), 200)
    return () => clearTimeout(timer)
  }, [find])
  const attributeMatches = useApi(
    findText ? (signal) => api.findInTrace(props.traceId, findText, signal).then((r) => ({ text: findText, ids: r.spanIds })) : null,
    [props.traceId, findText],
  )
  const attributeMatchIds = useMemo(() => new Set(attributeMatches.data?.text === find.trim() ? attributeMatches.data.ids : []), [attributeMatches.data, find])
  const matchList = useMemo(() => findSpans(model, find, attributeMatchIds), [model, find, attributeMatchIds])
  const matches = useMemo(() => new Set(matchList), [matchList])
  const jumpToMatch = (step: 1 | -1) => {
    if (!matchList.length) return
    const at = selected ? matchList.indexOf(selected) : -1
    const next = matchList[(at + step + matchList.length) % matchList.length]!
    onSelect(next.span.spanId)
  }

  // Keyboard (the `?` list, lib/shortcuts.ts): on the document, so no element needs the focus.
  const fullView = (): TimeWindow => ({ start: model.startMs, end: model.endMs || model.startMs + 1 })
  const onKey = (e: KeyboardEvent) => {
    if (isTyping(e) || document.querySelector('[data-testid=shortcuts-help]')) return
    const at = selected ? rows.indexOf(selected) : -1
    const move = (step: number) => {
      const next = rows[Math.min(rows.length - 1, Math.max(0, at + step))]
      if (next) onSelect(next.span.spanId)
    }
    const zoom = (factor: number) => {
      const full = fullView()
      const width = Math.min(full.end - full.start, Math.max((view.end - view.start) * factor, (full.end - full.start) / 1e6))
      const center = selected ? (selected.span.startTimeUnixMs + selected.span.endTimeUnixMs) / 2 : (view.start + view.end) / 2
      const start = Math.min(Math.max(full.start, center - width / 2), full.end - width)
      setView({ start, end: start + width })
    }
    switch (e.key) {
      case 'j':
      case 'ArrowDown':
        move(1)
        break
      case 'k':
      case 'ArrowUp':
        move(-1)
        break
      case 'Enter':
        // Enter on a focused button or link is that control's own click.
        if ((e.target as HTMLElement).closest?.('button, a')) return
        if (!selected) move(1)
        setQuery({ tab: null })
        break
      case 'Escape':
        if (!selected) return
        setQuery({ span: null })
        break
      case 'h':
      case 'ArrowLeft':
        if (!selected) return
        if (selected.children.length && !collapsed.has(selected.span.spanId)) onToggle(selected.span.spanId)
        else if (selected.parent) onSelect(selected.parent.span.spanId)
        break
      case 'l':
      case 'ArrowRight':
        if (!selected) return
        if (collapsed.has(selected.span.spanId)) onToggle(selected.span.spanId)
        else if (selected.children.length) onSelect(selected.children[0]!.span.spanId)
        break
      case '+':
      case '=':
        zoom(0.5)
        break
      case '-':
        zoom(2)
        break
      case '0':
        setView(fullView())
        break
      default:
        return
    }
    e.preventDefault()
  }
  const onKeyRef = useRef(onKey)
  onKeyRef.current = onKey
  useEffect(() => {
    const listener = (e: KeyboardEvent) => onKeyRef.current(e)
    document.addEventListener('keydown', listener)
    return () => document.removeEventListener('keydown', listener)
  }, [])

  const setTab = (t: Tab) => setQuery({ tab: t === 'details' ? null : t })
  const panelSpan = selected?.span ?? root.span

  return (
    <div class="trace-page">
      <div class="trace-header">
        <TraceHeading service={root.span.service} name={root.span.name} traceId={props.traceId}>
          <a
            class="small-button"
            href={`/api/traces/${encodeURIComponent(props.traceId)}`}
            download={`trace-${props.traceId}.json`}
            title="The trace as the query API returns it"
          >
            JSON
          </a>
          <ComparePicker traceId={props.traceId} service={root.span.service} operation={root.span.name} durationMs={model.durationMs} />
          <span class="trace-tools">
            <span class="trace-find">
              <input
                type="search"
                name="find"
                data-shortcut="search"
                placeholder="Find spans…"
                value={find}
                aria-label="Find spans by name, service, id or attribute value"
                onInput={(e) => setFind(e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault()
                    jumpToMatch(e.shiftKey ? -1 : 1)
                  }
                }}
              />
              {find.trim() && (
                <span class="find-count" data-testid="find-count">
                  {matchList.length} match{matchList.length === 1 ? '' : 'es'}
                  <button type="button" class="small-button" disabled={!matchList.length} onClick={() => jumpToMatch(-1)} aria-label="Previous match">
                    ↑
                  </button>
                  <button type="button" class="small-button" disabled={!matchList.length} onClick={() => jumpToMatch(1)} aria-label="Next match">
                    ↓
                  </button>
                </span>
              )}
            </span>
            <Segmented label="View" options={VIEWS} value={mainView} onSelect={(v) => setQuery({ view: v === 'waterfall' ? null : v })} />
            {mainView === 'waterfall' && (
              <span class="trace-actions">
                <button type="button" class="small-button" onClick={() => setCollapsed(new Set())}>
                  Expand all
                </button>
                <button
                  type="button"
                  class="small-button"
                  title="Collapse every span below the root's children"
                  onClick={() =>
                    setCollapsed(
                      new Set(
                        model.roots
                          .flatMap((r) => r.children)
                          .filter((n) => n.children.length)
                          .map((n) => n.span.spanId),
                      ),
                    )
                  }
                >
                  Collapse
                </button>
              </span>
            )}
          </span>
        </TraceHeading>
        <div class="trace-facts">
          <span>
            Started <b>{formatDateTime(model.startMs)}</b>
          </span>
          <span>
            Duration <b>{formatDuration(model.durationMs)}</b>
          </span>
          <span>
            Spans <b>{model.nodes.length}</b>
          </span>
          <span>
            Depth <b>{model.maxDepth + 1}</b>
          </span>
          {model.errorCount > 0 && (
            <span class="badge badge-error">
              {model.errorCount} error{model.errorCount === 1 ? '' : 's'}
            </span>
          )}
          {model.errorOrigins.length > 0 && (
            <span class="error-origin" data-testid="error-origin">
              starts at{' '}
              {model.errorOrigins.slice(0, 3).map((n, i) => (
                <Fragment key={n.span.spanId}>
                  {i > 0 && ', '}
                  <button type="button" class="link-button" onClick={() => onSelect(n.span.spanId)}>
                    {n.span.service}: {n.span.name}
                  </button>
                </Fragment>
              ))}
              {model.errorOrigins.length > 3 && ` and ${model.errorOrigins.length - 3} more`}
            </span>
          )}
          <span class="svc-chips">
            {model.services.map((s) => (
              <Link key={s} href={href('/search', { service: s })} class="svc-chip" title={`Search ${s}`}>
                <i style={{ background: serviceColor(s) }} />
                {s}
              </Link>
            ))}
          </span>
          {mainView === 'waterfall' && (
            <span
              class="legend"
              title="The dark marks on the bars: the intervals in which each span itself, not a child it waited for, held up the end of the trace"
            >
              <i class="legend-critical" /> critical path
            </span>
          )}
        </div>
        {incomingLinks.length > 0 && (
          <details class="trace-linked-from" data-testid="trace-linked-from">
            <summary>
              Linked from {incomingLinks.length}
              {incoming.data?.incomplete ? '+' : ''} span{incomingLinks.length === 1 ? '' : 's'} in {new Set(incomingLinks.map((l) => l.traceId)).size} other
              trace{new Set(incomingLinks.map((l) => l.traceId)).size === 1 ? '' : 's'}
            </summary>
            <ul>
              {incomingLinks.map((l, i) => {
                const target = model.byId.get(l.linkedSpanId)
                return (
                  <li key={i}>
                    <Link href={`/trace/${encodeURIComponent(l.traceId)}?span=${encodeURIComponent(l.spanId)}`}>
                      {l.service}: {l.name}
                    </Link>
                    <span class="muted"> {formatDateTime(l.startTimeUnixMs)} → </span>
                    {target ? (
                      <button type="button" class="link-button" onClick={() => onSelect(l.linkedSpanId)}>
                        {target.span.service}: {target.span.name}
                      </button>
                    ) : (
                      <span class="mono muted" title="not in this trace">
                        {l.linkedSpanId}
                      </span>
                    )}
                  </li>
                )
              })}
            </ul>
          </details>
        )}
        {props.warnings.length > 0 && (
          <details class="trace-warnings">
            <summary>
              {props.warnings.length} warning{props.warnings.length === 1 ? '' : 's'} about this trace's structure
            </summary>
            <ul>
              {props.warnings.slice(0, 50).map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          </details>
        )}
      </div>
      {mainView === 'waterfall' && (
        <Minimap
          model={model}
          rows={rows}
          view={view}
          viewport={viewport}
          onJump={(index) => setScrollTo({ index, seq: ++seq.current })}
          onZoom={(w) => setView(w ?? { start: model.startMs, end: model.endMs || model.startMs + 1 })}
        />
      )}
      <div class="trace-body">
        {mainView === 'stats' && (
          <div class="trace-main-scroll">
            <TraceStats
              model={model}
              group={q.get('group') === 'operation' ? 'operation' : 'service'}
              sort={parseStatsSort(q.get('sort'))}
              onChange={(c) =>
                setQuery({
                  ...(c.group ? { group: c.group === 'service' ? null : c.group } : {}),
                  ...(c.sort ? { sort: formatStatsSort(c.sort) === '-self' ? null : formatStatsSort(c.sort) } : {}),
                })
              }
            />
          </div>
        )}
        {mainView === 'flame' && <FlameGraph model={model} selectedId={selectedId} onSelect={onSelect} matches={matches} finding={find.trim() !== ''} />}
        {mainView === 'waterfall' && (
          <Waterfall
            model={model}
            rows={rows}
            view={view}
            selectedId={selectedId}
            collapsed={collapsed}
            onSelect={onSelect}
            onToggle={onToggle}
            viewport={viewport}
            scrollTo={scrollTo}
            matches={matches}
          />
        )}
        <aside class="side-panel" aria-label="Span details, logs and metrics">
          <div class="tabs" role="tablist">
            {(['details', 'logs', 'metrics'] as const).map((t) => (
              <button key={t} type="button" role="tab" aria-selected={tab === t} class={tab === t ? 'on' : ''} onClick={() => setTab(t)}>
                {t === 'details' ? 'Span' : t === 'logs' ? 'Logs' : 'Metrics'}
              </button>
            ))}
          </div>
          <div class="tab-body">
            {tab === 'details' &&
              (selected ? (
                <SpanDetails
                  span={selected.span}
                  model={model}
                  incomingLinks={incomingLinks}
                  onSelect={onSelect}
                  onOpenTab={(t) => setQuery({ tab: t, ...(t === 'logs' ? { logs: null } : {}) })}
                />
              ) : (
                <EmptyState title="Select a span">
                  Click a span in the waterfall or the flame graph (or use j/k or ↑/↓; ? lists the keys) to see its attributes, timing events, resource and
                  status.
                  {selectedId && (
                    <p>
                      Span <code>{selectedId}</code> from the link is not in this trace.
                    </p>
                  )}
                </EmptyState>
              ))}
            {tab === 'logs' && (
              <LogsPanel
                traceId={props.traceId}
                traceStartMs={model.startMs}
                selectedSpan={selected ? selected.span : null}
                scope={q.get('logs') === 'trace' ? 'trace' : 'span'}
                order={q.get('order') === 'desc' ? 'desc' : 'asc'}
                onChange={(c) =>
                  setQuery({
                    ...(c.scope ? { logs: c.scope === 'trace' ? 'trace' : null } : {}),
                    ...(c.order ? { order: c.order === 'desc' ? 'desc' : null } : {}),
                  })
                }
                onSelectSpan={onSelect}
              />
            )}
            {tab === 'metrics' && <MetricsPanel service={panelSpan.service} traceStartMs={model.startMs} />}
          </div>
        </aside>
      </div>
    </div>
  )
}
