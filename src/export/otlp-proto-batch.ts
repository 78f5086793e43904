/**
 * What every protobuf export batch shares, whatever the signal: the request
 * envelope (resource and scope, encoded once per exporter) and a buffer in
 * shared memory that items are written into on the main thread as they
 * happen, sealed into one complete request body that an export worker only
 * compresses and POSTs.
 *
 * The envelope has the same field numbers for traces and logs:
 * Export{Trace,Logs}ServiceRequest.resource_{spans,logs} = 1,
 * Resource{Spans,Logs}.resource = 1 and .scope_{spans,logs} = 2,
 * Scope{Spans,Logs}.scope = 1, and the items (spans, log_records) = 2.
 * `ProtoSpanBatch` (otlp-proto-encode.ts) and `ProtoLogBatch`
 * (otlp-log-encode.ts) only add how one item is written.
 *
 * Field numbers: opentelemetry/proto/{collector/trace,collector/logs,trace,logs,resource,common}/v1.
 */
import type { ResourceAttributes } from '../span/span-record.js'
import type { BatchForm, SendBatch } from './batch-queue.js'
import type { ExportChannel } from './export-worker-pool.js'
import { ProtoWriter, varintSize, writeAttributes } from './proto-writer.js'

/** Tag bytes: (field number << 3) | wire type 2 (length-delimited). */
const TAG = {
  requestResource: 0x0a, // Export{Trace,Logs}ServiceRequest.resource_{spans,logs} = 1
  resourceResource: 0x0a, // Resource{Spans,Logs}.resource = 1
  resourceScope: 0x12, // Resource{Spans,Logs}.scope_{spans,logs} = 2
  resourceAttributes: 0x0a, // Resource.attributes = 1
  scopeScope: 0x0a, // Scope{Spans,Logs}.scope = 1
  scopeName: 0x0a, // InstrumentationScope.name = 1
  scopeVersion: 0x12, // InstrumentationScope.version = 2
} as const

export interface RequestFrameOptions {
  resource: ResourceAttributes
  scope: { name: string; version: string }
}

/**
 * What comes before the items in every request of one exporter: the resource
 * and the scope, encoded once. The two lengths around them depend on the
 * batch, so they are written when a batch is sealed.
 */
export class OtlpRequestFrame {
  /** `Resource{Spans,Logs}.resource`, tag included. */
  readonly resourceBytes: Uint8Array
  /** `Scope{Spans,Logs}.scope`, tag included. */
  readonly scopeBytes: Uint8Array
  /** The most the envelope can take: two tags, two 5-byte lengths, resource, scope. */
  readonly maxPrefixBytes: number

  constructor(options: RequestFrameOptions) {
    const w = new ProtoWriter(1024)
    w.byte(TAG.resourceResource)
    const resource = w.beginMessage()
    writeAttributes(w, TAG.resourceAttributes, options.resource)
    w.endMessage(resource)
    this.resourceBytes = w.finish()
    const s = new ProtoWriter(256)
    s.byte(TAG.scopeScope)
    const scope = s.beginMessage()
    if (options.scope.name !== '') {
      s.byte(TAG.scopeName)
      s.string(options.scope.name)
    }
    if (options.scope.version !== '') {
      s.byte(TAG.scopeVersion)
      s.string(options.scope.version)
    }
    s.endMessage(scope)
    this.scopeBytes = s.finish()
    this.maxPrefixBytes = 1 + 5 + this.resourceBytes.length + 1 + 5 + this.scopeBytes.length
  }

  /**
   * Writes the envelope so that it ends at `itemsAt`, where `itemsBytes` of
   * encoded items begin; returns where the request starts.
   */
  writeBefore(w: ProtoWriter, itemsAt: number, itemsBytes: number): number {
    const scopeLength = this.scopeBytes.length + itemsBytes
    const resourceLength = this.resourceBytes.length + 1 + varintSize(scopeLength) + scopeLength
    const prefix = 1 + varintSize(resourceLength) + this.resourceBytes.length + 1 + varintSize(scopeLength) + this.scopeBytes.length
    const start = itemsAt - prefix
    const end = w.pos
    w.pos = start
    w.byte(TAG.requestResource)
    w.varint32(resourceLength)
    w.raw(this.resourceBytes)
    w.byte(TAG.resourceScope)
    w.varint32(scopeLength)
    w.raw(this.scopeBytes)
    w.pos = end
    return start
  }
}

/** A sealed batch: one complete request body in shared memory, and how many items it holds. */
export interface EncodedBatch {
  buffer: SharedArrayBuffer
  byteOffset: number
  byteLength: number
  count: number
}

/** The request body of a sealed batch, as a view (no copy). */
export function encodedBatchBytes(batch: EncodedBatch): Uint8Array {
  return new Uint8Array(batch.buffer, batch.byteOffset, batch.byteLength)
}

/**
 * The batch being filled on the main thread: a writer over shared memory,
 * with room kept in front for the envelope. Items are written at `w.pos`;
 * `seal` writes the envelope in front and returns the request body.
 */
export class SharedProtoBatch {
  readonly w: ProtoWriter
  count = 0
  private readonly itemsAt: number

  constructor(
    private readonly frame: OtlpRequestFrame,
    /** Bytes to allocate, or shared memory to reuse. */
    memory: number | SharedArrayBuffer,
  ) {
    this.itemsAt = frame.maxPrefixBytes
    const room = this.itemsAt + 1024
    this.w = new ProtoWriter(typeof memory === 'number' ? Math.max(memory, room) : memory.byteLength < room ? room : memory, true)
    this.w.pos = this.itemsAt
  }

  /** Bytes written so far (sizes the next batch's buffer). */
  get byteLength(): number {
    return this.w.pos
  }

  seal(): EncodedBatch {
    const w = this.w
    const start = this.frame.writeBefore(w, this.itemsAt, w.pos - this.itemsAt)
    return { buffer: w.buf.buffer as SharedArrayBuffer, byteOffset: start, byteLength: w.pos - start, count: this.count }
  }
}

/** A new batch buffer starts this large, then as large as the last batch needed (fewer regrowths). */
const INITIAL_BATCH_BYTES = 64 * 1024
/** Buffers kept for reuse: enough for the batches waiting in a default queue (2048 / 512) and one more. */
const KEPT_BUFFERS = 5

/**
 * Protobuf batches for a `BatchQueue`: each new buffer sized after the last
 * sealed batch, and the memory of a batch the worker is done with (its send
 * settled) reused for a later one. Without the reuse every batch is a new
 * SharedArrayBuffer, freed only once both threads' collectors have dropped
 * it: under load tens of MiB of sent batches waited for the worker's GC.
 * A batch goes to `channel`'s workers as shared memory: cloned by reference,
 * and still there to send again if the worker dies.
 */
export function protoBatches<B extends SharedProtoBatch>(
  open: (memory: number | SharedArrayBuffer) => B,
  channel: Pick<ExportChannel, 'signal' | 'run'>,
): { form: BatchForm<B, EncodedBatch>; send: SendBatch<EncodedBatch> } {
  let batchBytes = INITIAL_BATCH_BYTES
  const free: SharedArrayBuffer[] = []
  const take = (): number | SharedArrayBuffer => {
    for (let i = free.length - 1; i >= 0; i--) {
      if (free[i]!.byteLength >= batchBytes) return free.splice(i, 1)[0]!
    }
    return batchBytes
  }
  return {
    form: {
      open: () => open(take()),
      seal: (batch) => {
        batchBytes = Math.max(INITIAL_BATCH_BYTES, batch.byteLength + (batch.byteLength >>> 3))
        return batch.seal()
      },
    },
    send: async (encoded) => {
      try {
        return await channel.run({ signal: channel.signal, encoded })
      } finally {
        if (free.length < KEPT_BUFFERS) free.push(encoded.buffer)
      }
    },
  }
}
