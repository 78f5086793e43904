/**
 * The OTLP protobuf message classes: the protobufjs static code that
 * @opentelemetry/otlp-transformer generates from the official
 * opentelemetry-proto definitions (the same schema the OpenTelemetry JS
 * exporters encode with). It is a deep CommonJS file outside the package's
 * public API, so it is loaded by path; a change of layout in a future
 * otlp-transformer fails here, at start-up, with a message saying so.
 */
import { createRequire } from 'node:module'

/** What protobufjs' Long looks like (the `long` package); int64/fixed64 fields decode to it. */
export interface LongLike {
  low: number
  high: number
  unsigned?: boolean
}

export interface ProtoMessageType {
  decode(reader: Uint8Array): Record<string, unknown>
  encode(message: unknown): { finish(): Uint8Array }
  fromObject(object: unknown): unknown
}

interface CollectorNamespace {
  trace: { v1: { ExportTraceServiceRequest: ProtoMessageType; ExportTraceServiceResponse: ProtoMessageType } }
  logs: { v1: { ExportLogsServiceRequest: ProtoMessageType; ExportLogsServiceResponse: ProtoMessageType } }
}

const GENERATED_ROOT = '@opentelemetry/otlp-transformer/build/src/generated/root.js'

function loadCollectorNamespace(): CollectorNamespace {
  const require = createRequire(import.meta.url)
  let root: { opentelemetry?: { proto?: { collector?: CollectorNamespace } } }
  try {
    root = require(GENERATED_ROOT) as typeof root
  } catch (err) {
    throw new Error(
      `cannot load the OTLP protobuf definitions from ${GENERATED_ROOT} (is @opentelemetry/otlp-transformer 0.208 installed?): ${(err as Error).message}`,
    )
  }
  const collector = root.opentelemetry?.proto?.collector
  if (collector?.trace?.v1?.ExportTraceServiceRequest === undefined || collector.logs?.v1?.ExportLogsServiceRequest === undefined) {
    throw new Error(`${GENERATED_ROOT} does not define the OTLP collector services; its layout changed`)
  }
  return collector
}

const collector = loadCollectorNamespace()

export const ExportTraceServiceRequest = collector.trace.v1.ExportTraceServiceRequest
export const ExportTraceServiceResponse = collector.trace.v1.ExportTraceServiceResponse
export const ExportLogsServiceRequest = collector.logs.v1.ExportLogsServiceRequest
export const ExportLogsServiceResponse = collector.logs.v1.ExportLogsServiceResponse
