/**
 * SpanRecord batch -> OTLP ExportTraceServiceRequest bytes, using
 * OpenTelemetry's own serializers (@opentelemetry/otlp-transformer) so the
 * wire format is exactly what the OpenTelemetry JS exporters send.
 *
 * Runs in export workers only: never import this on the request path.
 *
 * The serializers take SDK `ReadableSpan`s. We build the subset of that shape
 * the transformer actually reads (trace/internal.js in otlp-transformer 0.208:
 * spanContext(), parentSpanContext, name, kind, startTime, endTime, attributes,
 * events, links, status, dropped*Count, resource, instrumentationScope) rather
 * than constructing real SDK spans, which would drag in the SDK and its clock.
 */
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import type { Attributes, ResourceAttributes, SpanRecord } from '../span/span-record.js'

type ReadableSpans = Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0]

/** OpenTelemetry's HrTime: [seconds, nanoseconds]. */
type HrTime = [number, number]

interface TraceStateLike {
  serialize(): string
}

interface ResourceLike {
  attributes: ResourceAttributes
}

interface ScopeLike {
  name: string
  version: string
}

/**
 * Epoch milliseconds (float, sub-ms fraction) -> [s, ns]. Splitting off whole
 * seconds first keeps the fraction exact in a double, so no precision is lost
 * beyond what the float carried (~0.25 µs at today's epoch).
 */
export function unixMsToHrTime(unixMs: number): HrTime {
  const seconds = Math.floor(unixMs / 1000)
  let nanos = Math.round((unixMs - seconds * 1000) * 1e6)
  if (nanos >= 1e9) return [seconds + 1, nanos - 1e9]
  if (nanos < 0) nanos = 0
  return [seconds, nanos]
}

function traceStateOf(value: string): TraceStateLike | undefined {
  if (value === '') return undefined
  return { serialize: () => value }
}

/**
 * The transformer adds 1 to the API's SpanKind (whose INTERNAL is 0); our
 * record holds the OTLP value (INTERNAL is 1), and 0 means unspecified.
 */
function apiKindOf(otlpKind: number): number | undefined {
  return otlpKind === 0 ? undefined : otlpKind - 1
}

const EMPTY_ATTRIBUTES: Attributes = {}

function toReadableSpan(record: SpanRecord, resource: ResourceLike, scope: ScopeLike): unknown {
  const traceState = traceStateOf(record.traceState)
  const spanContext = { traceId: record.traceId, spanId: record.spanId, traceFlags: record.traceFlags, traceState }
  return {
    name: record.name,
    kind: apiKindOf(record.kind),
    spanContext: () => spanContext,
    // A parent always reaches the proxy over the wire (an incoming traceparent,
    // or the service's outbound headers), so it is remote: OTLP flags bit 9.
    parentSpanContext:
      record.parentSpanId === '' ? undefined : { traceId: record.traceId, spanId: record.parentSpanId, traceFlags: record.traceFlags, isRemote: true },
    startTime: unixMsToHrTime(record.startUnixMs),
    endTime: unixMsToHrTime(record.endUnixMs),
    status: { code: record.statusCode, message: record.statusMessage === '' ? undefined : record.statusMessage },
    attributes: record.attributes,
    droppedAttributesCount: 0,
    events: record.events.map((event) => ({
      name: event.name,
      time: unixMsToHrTime(event.timeUnixMs),
      attributes: event.attributes ?? EMPTY_ATTRIBUTES,
      droppedAttributesCount: 0,
    })),
    droppedEventsCount: 0,
    links: record.links.map((link) => ({
      // A SpanLink carries no flags; links name contexts that came from elsewhere.
      context: { traceId: link.traceId, spanId: link.spanId, traceFlags: 0, traceState: traceStateOf(link.traceState ?? ''), isRemote: true },
      attributes: link.attributes ?? EMPTY_ATTRIBUTES,
      droppedAttributesCount: 0,
    })),
    droppedLinksCount: 0,
    resource,
    instrumentationScope: scope,
  }
}

export { CONTENT_TYPE } from './otlp-content-type.js'
export type { OtlpProtocol } from './otlp-content-type.js'
import type { OtlpProtocol } from './otlp-content-type.js'

/** Encodes one batch into one request body. All spans share the resource and scope. */
export function encodeTraceRequest(
  records: readonly SpanRecord[],
  protocol: OtlpProtocol,
  resourceAttributes: ResourceAttributes,
  scope: ScopeLike,
): Uint8Array {
  // One resource object for the whole batch: the transformer groups spans by
  // resource identity, so this yields a single ResourceSpans.
  const resource: ResourceLike = { attributes: resourceAttributes }
  const spans = records.map((record) => toReadableSpan(record, resource, scope)) as ReadableSpans
  const serializer = protocol === 'http/json' ? JsonTraceSerializer : ProtobufTraceSerializer
  const body = serializer.serializeRequest(spans)
  if (body === undefined) throw new Error(`the OTLP ${protocol} serializer produced no body for ${records.length} spans`)
  return body
}

// Partial success is read without the transformer (otlp-partial-success.ts);
// re-exported here for callers that know this module.
export { readTracePartialSuccess } from './otlp-partial-success.js'
