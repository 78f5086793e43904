// The trace page's heading: the root span's service and name, and the trace id. The page while a
// big trace's model is built and the page of the whole trace show the same one.
import type { ComponentChildren } from 'preact'
import { serviceColor } from '../lib/service-colors'

export function TraceHeading(props: { service: string; name: string; traceId: string; children?: ComponentChildren }) {
  return (
    <div class="trace-heading">
      <span class="svc-dot" style={{ background: serviceColor(props.service) }} />
      <h2>
        <b>{props.service}</b>: {props.name}
      </h2>
      <span class="mono muted trace-id-full">{props.traceId}</span>
      {props.children}
    </div>
  )
}
