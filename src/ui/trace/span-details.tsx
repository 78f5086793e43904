// What one span says about itself: identity and status, the sidecar's timing events as a
// breakdown of where the time went, attributes, resource, links and scope. Every value is text.
import type { ComponentChildren } from 'preact'
import { Link, ValueText } from '../components/link'
import { ErrorState } from '../components/states'
import type { AttributeMap, IncomingLink, Span, SpanEvent } from '../../query-api/query-api-types'
import { api } from '../lib/api'
import { useApi } from '../lib/use-api'
import type { SpanHead } from './span-head'
import { attributeText, formatDateTime, formatDuration, formatPercent } from '../lib/format'
import { href } from '../lib/router'
import { serviceColor } from '../lib/service-colors'
import { isException } from './exception-event'
import type { TraceModel } from './trace-model'

function Section(props: { title: string; count?: number; children: ComponentChildren; open?: boolean }) {
  return (
    <details class="detail-section" open={props.open ?? true}>
      <summary>
        {props.title}
        {props.count !== undefined && <span class="count">{props.count}</span>}
      </summary>
      {props.children}
    </details>
  )
}

export function AttributeTable(props: { attributes: AttributeMap; testId?: string }) {
  const keys = Object.keys(props.attributes).sort()
  if (!keys.length) return <p class="muted small">none</p>
  return (
    <table class="kv-table" data-testid={props.testId}>
      <tbody>
        {keys.map((k) => (
          <tr key={k}>
            <th>{k}</th>
            <td>
              <ValueText value={attributeText(props.attributes[k])} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Exception events as what they are: type, message and stack trace (line breaks kept), when. */
function Exceptions(props: { span: SpanHead; events: SpanEvent[] }) {
  const text = (v: unknown) => (v === undefined || v === null ? '' : attributeText(v as AttributeMap[string]))
  return (
    <div class="exceptions">
      {props.events.map((ev, i) => {
        const type = text(ev.attributes['exception.type'])
        const message = text(ev.attributes['exception.message'])
        const stack = text(ev.attributes['exception.stacktrace'])
        const rest = Object.fromEntries(
          Object.entries(ev.attributes).filter(([k]) => k !== 'exception.type' && k !== 'exception.message' && k !== 'exception.stacktrace'),
        )
        return (
          <div key={i} class="exception-card" data-testid="exception">
            <div class="exception-head">
              <span class="exception-type">{type || 'exception'}</span>
              {message && <span class="exception-message">{message}</span>}
              <span class="muted small exception-at">at +{formatDuration(ev.timeUnixMs - props.span.startTimeUnixMs)}</span>
            </div>
            {stack && (
              <pre class="stacktrace" data-testid="stacktrace">
                {stack}
              </pre>
            )}
            {Object.keys(rest).length > 0 && <AttributeTable attributes={rest} />}
          </div>
        )
      })}
    </div>
  )
}

/** Events turned into phases: start → first event → … → end, each with its share of the span. */
function TimingBreakdown(props: { span: SpanHead; events: SpanEvent[] }) {
  const s = props.span
  const events = [...props.events].sort((a, b) => a.timeUnixMs - b.timeUnixMs)
  if (!events.length) return <p class="muted small">This span recorded no events.</p>
  const total = Math.max(s.durationMs, 1e-9)
  const marks = [...events.map((e) => ({ name: e.name, t: e.timeUnixMs, attributes: e.attributes })), { name: 'end', t: s.endTimeUnixMs, attributes: {} }]
  let prev = s.startTimeUnixMs
  const phases = marks.map((m) => {
    const phase = { name: m.name, from: prev, to: m.t, attributes: m.attributes }
    prev = Math.max(prev, m.t)
    return phase
  })
  const hues = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f']
  return (
    <div class="timing" data-testid="timing-breakdown">
      <div class="timing-bar">
        {phases.map((p, i) => {
          const w = (Math.max(p.to - p.from, 0) / total) * 100
          return w > 0 ? (
            <span key={i} style={{ width: `${w}%`, background: hues[i % hues.length] }} title={`until ${p.name}: ${formatDuration(p.to - p.from)}`} />
          ) : null
        })}
      </div>
      <table class="timing-table">
        <thead>
          <tr>
            <th>until</th>
            <th>at</th>
            <th>took</th>
          </tr>
        </thead>
        <tbody>
          {phases.map((p, i) => (
            <tr key={i}>
              <td>
                <i class="swatch" style={{ background: hues[i % hues.length] }} />
                {p.name}
                {Object.keys(p.attributes).length > 0 && (
                  <div class="event-attrs">
                    {Object.entries(p.attributes).map(([k, v]) => (
                      <span key={k}>
                        {k}=<ValueText value={attributeText(v)} />{' '}
                      </span>
                    ))}
                  </div>
                )}
              </td>
              <td>+{formatDuration(p.to - s.startTimeUnixMs)}</td>
              <td>{formatDuration(Math.max(p.to - p.from, 0))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** The span's links: where each points (a span of this trace by name, another trace by id), its tracestate and attributes. */
function Links(props: { span: Span; model: TraceModel; onSelect: (spanId: string) => void }) {
  return (
    <ul class="link-list" data-testid="span-links">
      {props.span.links.map((l, i) => {
        const here = l.traceId === props.span.traceId ? props.model.byId.get(l.spanId) : undefined
        return (
          <li key={i}>
            {here ? (
              <>
                this trace:{' '}
                <button type="button" class="link-button" onClick={() => props.onSelect(l.spanId)}>
                  {here.span.service}: {here.span.name}
                </button>
              </>
            ) : (
              <Link href={`/trace/${encodeURIComponent(l.traceId)}?span=${encodeURIComponent(l.spanId)}`} class="mono">
                {l.traceId.slice(0, 16)}… / {l.spanId}
              </Link>
            )}
            <LinkFacts traceState={l.traceState} attributes={l.attributes} />
          </li>
        )
      })}
    </ul>
  )
}

/** What a link carries besides where it points, the same for links out of and into the span. */
function LinkFacts(props: { traceState: string | undefined; attributes: Span['attributes'] }) {
  return (
    <>
      {props.traceState && (
        <div class="muted small">
          tracestate <span class="mono">{props.traceState}</span>
        </div>
      )}
      {Object.keys(props.attributes).length > 0 ? <AttributeTable attributes={props.attributes} /> : <div class="muted small">no attributes</div>}
    </>
  )
}

/** Spans of other traces whose links name this span. */
function LinkedFrom(props: { links: IncomingLink[] }) {
  return (
    <ul class="link-list" data-testid="span-linked-from">
      {props.links.map((l, i) => (
        <li key={i}>
          <Link href={`/trace/${encodeURIComponent(l.traceId)}?span=${encodeURIComponent(l.spanId)}`}>
            {l.service}: {l.name}
          </Link>
          <span class="muted small"> {formatDateTime(l.startTimeUnixMs)}</span>
          <LinkFacts traceState={l.traceState} attributes={l.attributes} />
        </li>
      ))}
    </ul>
  )
}

/**
 * The page holds each span's outline (the compact trace); the rest of the one span opened (its
 * attributes, resource, events with their attributes, links) is fetched when it is opened.
 */
export function SpanDetails(props: {
  span: SpanHead
  model: TraceModel
  /** spans of other traces linking to this trace (all of them: the ones naming this span are shown) */
  incomingLinks?: IncomingLink[]
  onSelect: (spanId: string) => void
  onOpenTab: (tab: 'logs' | 'metrics') => void
}) {
  const s = props.span
  const whole = useApi((signal) => api.span(s.traceId, s.spanId, signal).then((r) => r.span), [s.traceId, s.spanId])
  const full: Span | undefined = whole.data?.spanId === s.spanId ? whole.data : undefined
  const parent = s.parentSpanId ? props.model.byId.get(s.parentSpanId) : undefined
  // A parent that is not in the trace: the outline has no id for it, the whole span does.
  const missingParentId = !parent && full?.parentSpanId && full.parentSpanId !== s.spanId ? full.parentSpanId : null
  const node = props.model.byId.get(s.spanId)
  const status = s.status?.code ?? 'UNSET'
  const linkedFrom = (props.incomingLinks ?? []).filter((l) => l.linkedSpanId === s.spanId)
  return (
    <div class="span-details" data-testid="span-details">
      <div class="span-title">
        <span class="svc-dot" style={{ background: serviceColor(s.service) }} />
        <h3>{s.name}</h3>
      </div>
      <dl class="facts">
        <div>
          <dt>Service</dt>
          <dd>{s.service}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(s.durationMs)}</dd>
        </div>
        <div>
          <dt>Self time</dt>
          <dd data-testid="self-time" title="The duration minus the time covered by child spans: what this span spent on its own">
            {formatDuration(node?.selfMs ?? s.durationMs)}
            {node && node.children.length > 0 && s.durationMs > 0 && <span class="muted"> ({formatPercent(node.selfMs / s.durationMs)})</span>}
          </dd>
        </div>
        <div>
          <dt>Start</dt>
          <dd title={formatDateTime(s.startTimeUnixMs)}>+{formatDuration(s.startTimeUnixMs - props.model.startMs)}</dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{s.kind}</dd>
        </div>
        <div class="wide">
          <dt>Status</dt>
          <dd class={`status status-${status.toLowerCase()}`}>
            {status}
            {s.status?.message ? `: ${s.status.message}` : ''}
          </dd>
        </div>
        <div>
          <dt>Span ID</dt>
          <dd class="mono">{s.spanId}</dd>
        </div>
        <div>
          <dt>Parent</dt>
          <dd class="mono">
            {parent ? (
              <button type="button" class="link-button" onClick={() => props.onSelect(parent.span.spanId)}>
                {parent.span.name}
              </button>
            ) : missingParentId ? (
              <span title="not in this trace">{missingParentId} (missing)</span>
            ) : full || s.parentSpanId ? (
              'none (root)'
            ) : (
              '…'
            )}
          </dd>
        </div>
        {full && <InferredJoin span={full} />}
        {full?.traceState && (
          <div>
            <dt>Tracestate</dt>
            <dd class="mono">{full.traceState}</dd>
          </div>
        )}
      </dl>
      <div class="span-actions">
        <button type="button" class="small-button" onClick={() => props.onOpenTab('logs')}>
          Logs of this span
        </button>
        <button type="button" class="small-button" onClick={() => props.onOpenTab('metrics')}>
          Metrics of {s.service}
        </button>
        <Link class="small-button" href={href('/search', { service: s.service, operation: s.name })}>
          Other {s.name.length > 24 ? 'traces of this operation' : `"${s.name}" traces`}
        </Link>
      </div>
      {full ? (
        <WholeSpan span={full} head={s} model={props.model} onSelect={props.onSelect} />
      ) : whole.error ? (
        <ErrorState title="Could not load the span's attributes" error={whole.error} hint="Check that the collector is running and select the span again." />
      ) : (
        <p class="muted small" data-testid="span-loading">
          Loading attributes, events and links…
        </p>
      )}
      {linkedFrom.length > 0 && (
        <Section title="Linked from" count={linkedFrom.length}>
          <LinkedFrom links={linkedFrom} />
        </Section>
      )}
    </div>
  )
}

/**
 * A CLIENT span a tracecar sidecar joined to its parent by inference (the
 * service forwarded nothing): said beside the parent, so that nobody reads
 * the link as one the service named.
 */
function InferredJoin(props: { span: Span }) {
  const a = props.span.attributes
  if (a['tracecar.join.inferred'] !== true) return null
  const rule = typeof a['tracecar.join.rule'] === 'string' ? a['tracecar.join.rule'].replace(/_/g, '-') : 'inference'
  const abandoned = a['tracecar.join.parent_abandoned'] === true
  return (
    <div class="wide">
      <dt>Joined</dt>
      <dd class="muted small" data-testid="inferred-join" title="The service forwarded no trace context: the sidecar inferred which request made this call">
        parent inferred by {rule}
        {abandoned ? '; its client had left before the call' : ''}
      </dd>
    </div>
  )
}

/** The sections only the whole span has. */
function WholeSpan(props: { span: Span; head: SpanHead; model: TraceModel; onSelect: (spanId: string) => void }) {
  const s = props.span
  // An exception is not a step of the request: it gets its own section, not a "took" phase.
  const exceptions = s.events.filter(isException)
  const timingEvents = s.events.filter((e) => !isException(e))
  return (
    <>
      {exceptions.length > 0 && (
        <Section title="Exceptions" count={exceptions.length}>
          <Exceptions span={props.head} events={exceptions} />
        </Section>
      )}
      {timingEvents.length > 0 && (
        <Section title="Timing" count={timingEvents.length}>
          <TimingBreakdown span={props.head} events={timingEvents} />
        </Section>
      )}
      <Section title="Attributes" count={Object.keys(s.attributes).length}>
        <AttributeTable attributes={s.attributes} testId="span-attributes" />
      </Section>
      <Section title="Resource" count={Object.keys(s.resource).length} open={false}>
        <AttributeTable attributes={s.resource} testId="span-resource" />
      </Section>
      {s.links.length > 0 && (
        <Section title="Links" count={s.links.length}>
          <Links span={s} model={props.model} onSelect={props.onSelect} />
        </Section>
      )}
      {s.scope?.name && (
        <p class="muted small">
          Instrumentation scope: {s.scope.name}
          {s.scope.version ? ` ${s.scope.version}` : ''}
        </p>
      )}
    </>
  )
}
