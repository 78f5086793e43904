/**
 * Reads OTLP partial success from a 2xx export response body, protobuf or
 * JSON (by the response's content type), without @opentelemetry/otlp-transformer:
 * with the hand-written encoder the protobuf path of a worker then never loads
 * protobufjs and the generated OTLP root (faster worker start, a smaller heap).
 *
 * Export{Trace,Logs}ServiceResponse: partial_success = 1 (message) holding
 * rejected_{spans,log_records} = 1 (int64) and error_message = 2 (string);
 * the same numbers for traces and logs, so one reader serves both.
 * An empty or unreadable body counts as full success: partial success is optional.
 */
import type { ExportSignal } from './export-task.js'

export interface PartialSuccess {
  rejected: number
  message: string
}

const NONE: PartialSuccess = { rejected: 0, message: '' }

export function readPartialSuccess(body: Uint8Array, contentType: string, jsonRejectedField: string): PartialSuccess {
  if (body.length === 0) return NONE
  try {
    return contentType.includes('json') ? fromJson(body, jsonRejectedField) : fromProtobuf(body)
  } catch {
    return NONE
  }
}

export function readTracePartialSuccess(body: Uint8Array, contentType: string): PartialSuccess {
  return readPartialSuccess(body, contentType, 'rejectedSpans')
}

export function readLogsPartialSuccess(body: Uint8Array, contentType: string): PartialSuccess {
  return readPartialSuccess(body, contentType, 'rejectedLogRecords')
}

/** The reader for each signal's export response. */
export const PARTIAL_SUCCESS_READERS: Record<ExportSignal, (body: Uint8Array, contentType: string) => PartialSuccess> = {
  traces: readTracePartialSuccess,
  logs: readLogsPartialSuccess,
}

function fromJson(body: Uint8Array, rejectedField: string): PartialSuccess {
  const parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8')) as {
    partialSuccess?: Record<string, unknown> | null
  } | null
  const partial = parsed?.partialSuccess
  if (partial == null || typeof partial !== 'object') return NONE
  // int64 arrives as a string or a number in OTLP/JSON.
  const rejected = Number(partial[rejectedField] ?? 0)
  const message = typeof partial.errorMessage === 'string' ? partial.errorMessage : ''
  return { rejected: Number.isFinite(rejected) && rejected > 0 ? rejected : 0, message }
}

/** A minimal protobuf reader: varints, length-delimited fields, skipping of the rest. */
class Reader {
  pos = 0
  constructor(
    readonly bytes: Uint8Array,
    readonly end: number = bytes.length,
  ) {}

  varint(): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint')
      const byte = this.bytes[this.pos++]!
      result += (byte & 0x7f) * scale
      if (byte < 0x80) return result
      scale *= 128
    }
    throw new Error('varint too long')
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint()
    else if (wireType === 1) this.pos += 8
    else if (wireType === 2) this.pos += this.varint()
    else if (wireType === 5) this.pos += 4
    else throw new Error(`unsupported wire type ${wireType}`)
    if (this.pos > this.end) throw new Error('truncated field')
  }
}

function fromProtobuf(body: Uint8Array): PartialSuccess {
  const outer = new Reader(body)
  let result = NONE
  while (outer.pos < outer.end) {
    const tag = outer.varint()
    if (tag === 0x0a) {
      const length = outer.varint()
      const end = outer.pos + length
      if (end > outer.end) throw new Error('truncated partial_success')
      result = partialSuccess(new Reader(body.subarray(0, end), end), outer.pos)
      outer.pos = end
    } else {
      outer.skip(tag & 7)
    }
  }
  return result
}

function partialSuccess(reader: Reader, start: number): PartialSuccess {
  reader.pos = start
  let rejected = 0
  let message = ''
  while (reader.pos < reader.end) {
    const tag = reader.varint()
    if (tag === 0x08) {
      // int64: a negative count is nonsense, and reads as a huge varint here; ignore it.
      const value = reader.varint()
      rejected = value > Number.MAX_SAFE_INTEGER ? 0 : value
    } else if (tag === 0x12) {
      const length = reader.varint()
      if (reader.pos + length > reader.end) throw new Error('truncated error_message')
      message = Buffer.from(reader.bytes.buffer, reader.bytes.byteOffset + reader.pos, length).toString('utf8')
      reader.pos += length
    } else {
      reader.skip(tag & 7)
    }
  }
  return { rejected, message }
}
