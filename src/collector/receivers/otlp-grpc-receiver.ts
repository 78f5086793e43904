/**
 * OTLP/gRPC receiver (:4317): the TraceService and LogsService Export
 * methods, with @grpc/grpc-js. Requests reach the handler as bytes and the
 * pipeline decodes them straight from the wire, as for OTLP/HTTP (not in the
 * deserializer, so that a malformed message gets INVALID_ARGUMENT with a
 * reason instead of a generic INTERNAL); responses are encoded with the
 * generated protobuf classes, so no .proto files are loaded at run time.
 */
import * as grpc from '@grpc/grpc-js'
import { ExportLogsServiceRequest, ExportLogsServiceResponse, ExportTraceServiceRequest, ExportTraceServiceResponse } from '../otlp/otlp-proto-root.js'
import type { ProtoMessageType } from '../otlp/otlp-proto-root.js'
import { OtlpValueError } from '../otlp/otlp-values.js'
import { ProtoWireError } from '../otlp/proto-wire-reader.js'
import { StoreUnavailableError } from './ingest-pipeline.js'
import type { IngestOutcome, IngestPipeline } from './ingest-pipeline.js'

export interface OtlpGrpcReceiverOptions {
  host: string
  port: number
  pipeline: IngestPipeline
  maxMessageBytes: number
  log: (line: string) => void
}

export interface OtlpGrpcReceiver {
  port: number
  close(): Promise<void>
}

function serviceDefinition(path: string, request: ProtoMessageType, response: ProtoMessageType): grpc.ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: (message: unknown) => Buffer.from(request.encode(message).finish()),
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (message: unknown) => Buffer.from(response.encode(message).finish()),
      responseDeserialize: (bytes: Buffer) => response.decode(bytes),
    },
  }
}

function exportHandler(
  options: OtlpGrpcReceiverOptions,
  typeName: string,
  rejectedField: string,
  ingest: (bytes: Buffer) => Promise<IngestOutcome>,
): grpc.handleUnaryCall<Buffer, unknown> {
  return (call, callback) => {
    if (options.pipeline.isStoreUnavailable()) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'the store is not accepting writes right now; retry later' })
      return
    }
    ingest(call.request).then(
      (outcome) => callback(null, outcome.rejected > 0 ? { partialSuccess: { [rejectedField]: outcome.rejected, errorMessage: outcome.errorMessage } } : {}),
      (err: unknown) => {
        if (err instanceof ProtoWireError) callback({ code: grpc.status.INVALID_ARGUMENT, details: `not a valid ${typeName}: ${err.message}` })
        else if (err instanceof OtlpValueError) callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message })
        else if (err instanceof StoreUnavailableError) callback({ code: grpc.status.UNAVAILABLE, details: err.message })
        else {
          options.log(`unexpected error in gRPC ${typeName}: ${(err as Error).stack ?? String(err)}`)
          callback({ code: grpc.status.INTERNAL, details: (err as Error).message })
        }
      },
    )
  }
}

export async function startOtlpGrpcReceiver(options: OtlpGrpcReceiverOptions): Promise<OtlpGrpcReceiver> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
  })
  server.addService(serviceDefinition('/opentelemetry.proto.collector.trace.v1.TraceService/Export', ExportTraceServiceRequest, ExportTraceServiceResponse), {
    Export: exportHandler(options, 'ExportTraceServiceRequest', 'rejectedSpans', (bytes) => options.pipeline.ingestTracesProtobuf(bytes)),
  })
  server.addService(serviceDefinition('/opentelemetry.proto.collector.logs.v1.LogsService/Export', ExportLogsServiceRequest, ExportLogsServiceResponse), {
    Export: exportHandler(options, 'ExportLogsServiceRequest', 'rejectedLogRecords', (bytes) => options.pipeline.ingestLogsProtobuf(bytes)),
  })
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)))
  })
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Finish calls in flight (their writes complete), then stop; force after a grace period.
        const force = setTimeout(() => server.forceShutdown(), 5000)
        server.tryShutdown(() => {
          clearTimeout(force)
          resolve()
        })
      }),
  }
}
