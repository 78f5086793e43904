// Service map: who calls whom, from parent/child spans in different services, with the call count
// in the window and the error share on each edge.
import { Link } from '../components/link'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import type { DependencyEdge } from '../../query-api/query-api-types'
import { formatPercent } from '../lib/format'
import { layeredLayout, NODE_H, NODE_W } from '../lib/layered-layout'
import { href, onLinkClick } from '../lib/router'
import { serviceColor } from '../lib/service-colors'
import { useApi } from '../lib/use-api'
import { LookbackSelect, type PageWindow, pageWindow, windowParams } from './services-page'

/** Calls back to an earlier column loop below the boxes: room for them and their labels. */
const BACK_EDGE_ROOM = 90

export function MapPage(props: { query: URLSearchParams }) {
  const win = pageWindow(props.query)
  const deps = useApi(
    (signal) => {
      const end = win.custom?.end ?? Date.now()
      return Promise.all([api.dependencies({ start: win.custom?.start ?? end - win.windowMs, end }, signal), api.services(signal)]).then(
        // The window the counts are for: while the next window's counts load, the last ones keep their own labels.
        ([{ edges }, { services }]) => ({ edges, services, win }),
      )
    },
    [win.key],
  )

  let body
  if (deps.loading && !deps.data) body = <Loading what="dependencies" />
  else if (deps.error) body = <ErrorState title="Could not load the service map" error={deps.error} hint="Check that the collector is running and reload." />
  else {
    const { edges, services, win: counted } = deps.data!
    if (!edges.length && !services.length)
      body = <EmptyState title="No services yet">Send spans to the collector and the calls between services appear here.</EmptyState>
    else
      body = (
        <>
          {!edges.length && (
            <p class="notice">No calls between different services in this window: each service below only talked to itself, or to nothing traced.</p>
          )}
          <ServiceGraph edges={edges} services={services} window={counted} />
        </>
      )
  }
  return (
    <div class="page">
      <div class="page-head">
        <h2>Service map</h2>
        <LookbackSelect window={win} path="/map" />
      </div>
      {body}
    </div>
  )
}

function ServiceGraph(props: { edges: DependencyEdge[]; services: string[]; window: PageWindow }) {
  const { nodes, width, height } = layeredLayout(props.services, props.edges)
  const maxCalls = Math.max(1, ...props.edges.map((e) => e.callCount))
  return (
    <div class="map-wrap">
      <svg
        class="service-map"
        width={width}
        height={height + BACK_EDGE_ROOM}
        viewBox={`0 0 ${width} ${height + BACK_EDGE_ROOM}`}
        data-testid="service-map"
        role="img"
        aria-label="Service dependency graph"
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#888" />
          </marker>
          <marker
            id="arrow-err"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerUnits="userSpaceOnUse"
            markerWidth="10"
            markerHeight="10"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#d62728" />
          </marker>
        </defs>
        {props.edges.map((e) => {
          const a = nodes.get(e.parent)!
          const b = nodes.get(e.child)!
          const errRatio = e.callCount ? e.errorCount / e.callCount : 0
          const bad = e.errorCount > 0
          const forward = b.x > a.x
          const x1 = forward ? a.x + NODE_W : a.x + NODE_W / 2
          const y1 = forward ? a.y + NODE_H / 2 : a.y + NODE_H
          const x2 = forward ? b.x : b.x + NODE_W / 2
          const y2 = forward ? b.y + NODE_H / 2 : b.y + NODE_H
          // Back edges and self-calls loop below the boxes instead of crossing them.
          // Longer loops dip deeper, so loops over different spans keep their labels apart.
          const dip = Math.min(40 + 22 * Math.round(Math.abs(a.x - b.x) / 280), BACK_EDGE_ROOM)
          const d = forward
            ? `M ${x1} ${y1} C ${x1 + 50} ${y1}, ${x2 - 50} ${y2}, ${x2} ${y2}`
            : `M ${x1} ${y1} C ${x1} ${y1 + dip}, ${x2} ${y2 + dip}, ${x2} ${y2 + 2}`
          const mx = (x1 + x2) / 2
          const my = forward ? (y1 + y2) / 2 - 6 : Math.max(y1, y2) + dip * 0.75 + 4
          return (
            <g key={`${e.parent}\u0000${e.child}`} class="map-edge">
              <path
                d={d}
                fill="none"
                stroke={bad ? '#d62728' : '#999'}
                stroke-width={1 + 3 * Math.sqrt(e.callCount / maxCalls)}
                marker-end={bad ? 'url(#arrow-err)' : 'url(#arrow)'}
                opacity="0.8"
              />
              <text x={mx} y={bad ? my - 12 : my} text-anchor="middle" class="edge-label">
                {e.callCount} call{e.callCount === 1 ? '' : 's'} in {props.window.short}
              </text>
              {bad && (
                <text x={mx} y={my} text-anchor="middle" class="edge-label bad">
                  {formatPercent(errRatio)} errors
                </text>
              )}
              <title>{`${e.parent} → ${e.child}: ${e.callCount} calls, ${e.errorCount} errors in ${props.window.short}`}</title>
            </g>
          )
        })}
        {[...nodes.values()].map((n) => (
          <a
            key={n.name}
            href={href('/search', { service: n.name, ...windowParams(props.window) })}
            class="map-node"
            onClick={(e) => onLinkClick(e, href('/search', { service: n.name, ...windowParams(props.window) }))}
          >
            <rect x={n.x} y={n.y} width={NODE_W} height={NODE_H} rx="6" fill="#fff" stroke={serviceColor(n.name)} stroke-width="2" />
            <rect x={n.x} y={n.y} width="6" height={NODE_H} rx="3" fill={serviceColor(n.name)} />
            <text x={n.x + NODE_W / 2 + 3} y={n.y + NODE_H / 2 + 4} text-anchor="middle" class="node-label">
              {n.name.length > 22 ? `${n.name.slice(0, 21)}…` : n.name}
            </text>
            <title>{n.name}</title>
          </a>
        ))}
      </svg>
      <p class="muted small">
        Edges: calls in the window (a count, not a rate: a service busy for a minute of the hour is not averaged over the hour), and the share that failed
        (hover an edge for the counts). Click a service to search its traces. <Link href="/services">Service table →</Link>
      </p>
    </div>
  )
}
