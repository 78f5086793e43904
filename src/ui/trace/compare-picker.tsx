// "Compare with…" on the trace page: pick another trace to put beside this one on
// /compare/<this>/<other>, from the other traces of the same root operation (what a search for
// it finds, loaded when the picker opens) or by pasting its id.
import { useState } from 'preact/hooks'
import { Link } from '../components/link'
import { api } from '../lib/api'
import { formatDateTime, formatDuration } from '../lib/format'
import { navigate } from '../lib/router'
import { useTraceIdField } from '../lib/trace-id-field'
import { useApi } from '../lib/use-api'

const compareUrl = (a: string, b: string) => `/compare/${encodeURIComponent(a)}/${encodeURIComponent(b)}`

function SameOperation(props: { traceId: string; service: string; operation: string; durationMs: number }) {
  const found = useApi((signal) => api.traces({ service: props.service, operation: props.operation, limit: 50 }, signal), [props.service, props.operation])
  if (found.loading) return <p class="muted small">Looking for other "{props.operation}" traces…</p>
  if (found.error) return <p class="muted small">Could not search for other traces: {found.error.message}</p>
  // The search finds traces with such a span anywhere; compare with those it is the root of.
  const others = (found.data?.traces ?? []).filter((t) => t.traceId !== props.traceId && t.rootService === props.service && t.rootOperation === props.operation)
  if (!others.length)
    return (
      <p class="muted small">
        No other trace of {props.service}: {props.operation} is stored; paste an id above.
      </p>
    )
  return (
    <ul class="compare-choices" data-testid="compare-choices">
      {others.slice(0, 20).map((t) => (
        <li key={t.traceId}>
          <Link href={compareUrl(props.traceId, t.traceId)}>
            <span class="mono">{t.traceId.slice(0, 8)}</span>
            <b>{formatDuration(t.durationMs)}</b>
            <span class={t.durationMs > props.durationMs ? 'compare-slower' : 'compare-faster'}>{t.durationMs > props.durationMs ? 'slower' : 'faster'}</span>
            {t.errorCount > 0 && (
              <span class="badge badge-error">
                {t.errorCount} error{t.errorCount === 1 ? '' : 's'}
              </span>
            )}
            <span class="muted">{formatDateTime(t.startTimeUnixMs)}</span>
          </Link>
        </li>
      ))}
    </ul>
  )
}

export function ComparePicker(props: { traceId: string; service: string; operation: string; durationMs: number }) {
  const [open, setOpen] = useState(false)
  const field = useTraceIdField()
  return (
    <details class="compare-picker" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary class="small-button">Compare with…</summary>
      {open && (
        <div class="compare-popover" data-testid="compare-picker">
          <form
            onSubmit={(e) => {
              e.preventDefault()
              const id = field.submit()
              if (id) navigate(compareUrl(props.traceId, id))
            }}
          >
            <input
              name="compareWith"
              placeholder="Another trace ID…"
              aria-label="Trace ID to compare with"
              value={field.text}
              class={field.bad ? 'invalid' : ''}
              onInput={field.onInput}
            />
            {field.bad && (
              <span class="form-problem" role="alert">
                {' '}
                needs 32 hex digits
              </span>
            )}
          </form>
          <p class="small compare-picker-title">
            Other traces of <b>{props.service}</b>: {props.operation}
          </p>
          <SameOperation {...props} />
        </div>
      )}
    </details>
  )
}
