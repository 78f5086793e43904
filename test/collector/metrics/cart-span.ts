/**
 * A stored span of the `cart` service's `GET /cart` server operation, as the
 * RED listener receives it after ingest: number `i` (its trace and span id),
 * ending at `endMs` after `durationMs`. The rollup tests count these into cells.
 */
import type { StoredSpan } from '../../../src/collector/model/stored-span.js'

export function cartSpan(i: number, endMs: number, durationMs = 5): StoredSpan {
  return {
    traceId: i.toString(16).padStart(32, '0'),
    spanId: i.toString(16).padStart(16, '0'),
    parentSpanId: null,
    name: 'GET /cart',
    kind: 'SERVER',
    service: 'cart',
    startTimeUnixMs: endMs - durationMs,
    endTimeUnixMs: endMs,
    durationMs,
    startTimeUnixNano: '0',
    endTimeUnixNano: '0',
    traceState: '',
    status: { code: 'UNSET', message: '' },
    attributes: {},
    resource: { 'service.name': 'cart' },
    scope: { name: '', version: '' },
    events: [],
    links: [],
  }
}
