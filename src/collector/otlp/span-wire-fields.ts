/**
 * A Span message's own fields read from protobuf bytes, as protobufjs reads
 * them (a field sent twice keeps its last value; a later status replaces an
 * earlier one whole), leaving its attributes, events and links to the
 * caller: the decoder (decode-traces-protobuf.ts) reads them into the span
 * object, the ClickHouse store's plain-span reader straight into its row.
 *
 * Field numbers: opentelemetry/proto/trace/v1.
 */
import { TRACE_TAG as TAG } from '../../otlp-wire/otlp-field-tags.js'
import type { ProtoWireReader } from './proto-wire-reader.js'

/** What the caller does with a span's repeated message fields, each ending at `end` (the reader at its start; it must end at `end`). */
export interface SpanWireParts {
  /** false stops the read (the span is then read another way). */
  attribute(end: number): boolean
  event(end: number): boolean
  link(end: number): boolean
}

/** One span's fields, reused from span to span; bytes fields as [start, end) of the body, start -1 when absent. */
export class SpanWireFields {
  traceIdStart = -1
  traceIdEnd = 0
  spanIdStart = -1
  spanIdEnd = 0
  parentStart = -1
  parentEnd = 0
  nameStart = -1
  nameEnd = 0
  traceState = ''
  kind = 0
  startLo = 0
  startHi = 0
  endLo = 0
  endHi = 0
  flags = 0
  statusCode = 0
  statusMessage = ''

  /** Reads the span whose content ends at `end`; false when `parts` stopped it. */
  read(r: ProtoWireReader, end: number, parts: SpanWireParts): boolean {
    this.traceIdStart = this.spanIdStart = this.parentStart = this.nameStart = -1
    this.traceIdEnd = this.spanIdEnd = this.parentEnd = this.nameEnd = 0
    this.kind = this.startLo = this.startHi = this.endLo = this.endHi = this.flags = this.statusCode = 0
    this.traceState = this.statusMessage = ''
    while (r.pos < end) {
      const tag = r.uint32(end)
      switch (tag) {
        case TAG.spanTraceId:
          this.traceIdEnd = r.lengthEnd(end)
          this.traceIdStart = r.pos
          r.pos = this.traceIdEnd
          break
        case TAG.spanSpanId:
          this.spanIdEnd = r.lengthEnd(end)
          this.spanIdStart = r.pos
          r.pos = this.spanIdEnd
          break
        case TAG.spanParentSpanId:
          this.parentEnd = r.lengthEnd(end)
          this.parentStart = r.pos
          r.pos = this.parentEnd
          break
        case TAG.spanTraceState:
          this.traceState = r.string(end)
          break
        case TAG.spanName:
          this.nameEnd = r.lengthEnd(end)
          this.nameStart = r.pos
          r.pos = this.nameEnd
          break
        case TAG.spanKind:
          this.kind = r.uint32(end) | 0
          break
        case TAG.spanStart:
          r.fixed64(end)
          this.startLo = r.lo
          this.startHi = r.hi
          break
        case TAG.spanEnd:
          r.fixed64(end)
          this.endLo = r.lo
          this.endHi = r.hi
          break
        case TAG.spanAttribute:
          if (!parts.attribute(r.lengthEnd(end))) return false
          break
        case TAG.spanEvent:
          if (!parts.event(r.lengthEnd(end))) return false
          break
        case TAG.spanLink:
          if (!parts.link(r.lengthEnd(end))) return false
          break
        case TAG.spanStatus: {
          const statusEnd = r.lengthEnd(end)
          this.statusCode = 0
          this.statusMessage = ''
          while (r.pos < statusEnd) {
            const statusTag = r.uint32(statusEnd)
            if (statusTag === TAG.statusMessage) this.statusMessage = r.string(statusEnd)
            else if (statusTag === TAG.statusCode) this.statusCode = r.uint32(statusEnd) | 0
            else r.skip(statusTag, statusEnd)
          }
          break
        }
        case TAG.spanFlags:
          this.flags = r.fixed32(end)
          break
        default:
          r.skip(tag, end)
      }
    }
    return true
  }
}
