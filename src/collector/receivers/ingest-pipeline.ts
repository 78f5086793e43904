/**
 * What every receiver does with a request: decode it (OTLP/JSON once parsed,
 * OTLP/protobuf straight from its bytes), store it (a savepoint in a shared
 * SQLite commit, or one acknowledged insert), then tell the listeners and the
 * forwarder. Receivers differ only in how bytes arrive and how answers are
 * written; they answer only once the returned promise resolves.
 */
import type { StoredLog, StoredSpan } from '../model/stored-span.js'
import { measuredSpanOf } from '../metrics/measured-span.js'
import type { MeasuredSpan } from '../metrics/measured-span.js'
import { decodeLogsRequest } from '../otlp/decode-logs.js'
import type { DecodeLogsOptions, IngestLog } from '../otlp/decode-logs.js'
import { decodeLogsRequestProtobuf } from '../otlp/decode-logs-protobuf.js'
import { decodeTraceRequest } from '../otlp/decode-traces.js'
import { decodeTraceRequestProtobuf, decodeTraceRequestProtobufInto } from '../otlp/decode-traces-protobuf.js'
import type { DecodedBatch, IngestSpan } from '../otlp/decode-traces.js'
import type { Rejections } from '../otlp/otlp-request-walk.js'
import type { TraceIdPattern } from '../logs/trace-id-in-text.js'
import { OtlpValueError } from '../otlp/otlp-values.js'
import type { LogWriter, SpanBatchWriter, SpanWriter, WriteResult } from '../store/store-roles.js'

/** Called after a batch is durably stored; must not throw (errors are logged and ignored). */
export interface IngestListener {
  onSpans?(spans: StoredSpan[]): void
  /**
   * For a listener that reads only what RED reads of each span: while the store writes, the
   * pipeline then keeps that much of each span instead of the whole span (unless another
   * listener takes onSpans).
   */
  onMeasuredSpans?(spans: readonly MeasuredSpan[]): void
  onLogs?(logs: StoredLog[]): void
}

/** A request body as it arrived (decompressed), for forwarding it unchanged. */
export interface RawRequest {
  body: Uint8Array
  encoding: 'protobuf' | 'json'
}

/** Receives every stored request, for forwarding; must return at once. */
export interface IngestTee {
  forward(signal: 'traces' | 'logs', raw: RawRequest, records: number): void
}

export interface IngestOutcome {
  /** Records refused one by one (partial success). */
  rejected: number
  errorMessage: string
}

/** The store could not take the batch now (busy, full, I/O error): the sender should retry later. */
export class StoreUnavailableError extends Error {}

export interface IngestPipelineOptions {
  spanWriter: SpanWriter
  logWriter: LogWriter
  listeners?: readonly IngestListener[]
  tee?: IngestTee
  traceIdPatterns?: readonly TraceIdPattern[]
  log: (line: string) => void
}

const logOf = (item: IngestLog): StoredLog => item.log
/** A span as the listeners get it: whole when one of them takes onSpans, else what RED reads (keepSpan). */
type KeptSpan = StoredSpan | MeasuredSpan
const tellSpans = (listener: IngestListener, spans: KeptSpan[]): void => {
  // Whole spans only go to listeners that take onSpans (keepSpan).
  if (listener.onSpans !== undefined) listener.onSpans(spans as StoredSpan[])
  listener.onMeasuredSpans?.(spans)
}
const tellLogs = (listener: IngestListener, logs: StoredLog[]): void => listener.onLogs?.(logs)
const wholeSpan = (item: IngestSpan): StoredSpan => item.span
const measuredSpan = (item: IngestSpan): MeasuredSpan => measuredSpanOf(item.span)

export class IngestPipeline {
  /** Unix ms until which the store is considered unavailable after a failed write. */
  private unavailableUntilMs = 0
  private listenerErrorLogged = false
  spansStored = 0
  logsStored = 0

  /** What the listeners need kept of each span until it is stored: the whole span, what RED reads of it, or nothing. */
  private readonly keepSpan: ((item: IngestSpan) => KeptSpan) | undefined
  /** Whether a listener takes the stored log records (else none is kept until the store answers). */
  private readonly keepLogs: boolean

  constructor(private readonly options: IngestPipelineOptions) {
    const listeners = options.listeners ?? []
    if (listeners.some((l) => l.onSpans !== undefined)) this.keepSpan = wholeSpan
    else if (listeners.some((l) => l.onMeasuredSpans !== undefined)) this.keepSpan = measuredSpan
    this.keepLogs = listeners.some((l) => l.onLogs !== undefined)
  }

  /** True shortly after a failed write: receivers answer 503 without trying. */
  isStoreUnavailable(): boolean {
    return Date.now() < this.unavailableUntilMs
  }

  /** A parsed OTLP/JSON request. Throws OtlpValueError (malformed request) or StoreUnavailableError. */
  async ingestTraces(request: unknown, raw?: RawRequest): Promise<IngestOutcome> {
    return this.storeTraces(decodeTraceRequest(request), raw)
  }

  /** An OTLP/protobuf body, read straight from its bytes. Throws ProtoWireError (not an ExportTraceServiceRequest) too. */
  async ingestTracesProtobuf(body: Buffer): Promise<IngestOutcome> {
    const raw: RawRequest = { body, encoding: 'protobuf' }
    if (this.options.spanWriter.spanBatch === undefined) return this.storeTraces(decodeTraceRequestProtobuf(body), raw)
    return this.streamTraces(body, raw, this.options.spanWriter.spanBatch(body.length))
  }

  private storeTraces(batch: DecodedBatch<IngestSpan>, raw: RawRequest | undefined): Promise<IngestOutcome> {
    const writing = startWrite(() => this.options.spanWriter.writeSpans(batch.items))
    const kept = this.keepSpan
    const spans: KeptSpan[] | undefined = kept === undefined ? undefined : batch.items.map(kept)
    return this.finishStore(writing, this.afterStore('traces', raw, batch.items.length, spans, tellSpans), outcomeOf(batch, 'spans'))
  }

  /**
   * Each span goes to the store's batch as soon as it is decoded, and only what the listeners read
   * of it is kept: no span of the request outlives its own turn (see finishStore for why).
   */
  private streamTraces(body: Buffer, raw: RawRequest, writer: SpanBatchWriter): Promise<IngestOutcome> {
    const kept = this.keepSpan
    if (writer.takeProtobuf !== undefined && kept !== wholeSpan) {
      // The store reads the spans from the bytes itself, and gives what RED reads of each.
      const measured: MeasuredSpan[] | undefined = kept === undefined ? undefined : []
      const taken = writer.takeProtobuf(body, measured)
      const writing = startWrite(() => writer.finish())
      return this.finishStore(writing, this.afterStore('traces', raw, taken.taken, measured, tellSpans), outcomeOf(taken, 'spans'))
    }
    const spans: KeptSpan[] | undefined = kept === undefined ? undefined : []
    let count = 0
    const rejections = decodeTraceRequestProtobufInto(body, {
      push(item: IngestSpan) {
        writer.push(item)
        if (kept !== undefined) spans!.push(kept(item))
        count++
      },
    })
    const writing = startWrite(() => writer.finish())
    return this.finishStore(writing, this.afterStore('traces', raw, count, spans, tellSpans), outcomeOf(rejections, 'spans'))
  }

  /** A parsed OTLP/JSON request (or one that other ingest routes build). */
  async ingestLogs(request: unknown, raw?: RawRequest): Promise<IngestOutcome> {
    return this.storeLogs(decodeLogsRequest(request, this.logsOptions()), raw)
  }

  /** An OTLP/protobuf body, read straight from its bytes. Throws ProtoWireError (not an ExportLogsServiceRequest) too. */
  async ingestLogsProtobuf(body: Buffer): Promise<IngestOutcome> {
    return this.storeLogs(decodeLogsRequestProtobuf(body, this.logsOptions()), { body, encoding: 'protobuf' })
  }

  private logsOptions(): DecodeLogsOptions {
    return { receivedNs: BigInt(Date.now()) * 1_000_000n, traceIdPatterns: this.options.traceIdPatterns }
  }

  private storeLogs(batch: DecodedBatch<IngestLog>, raw: RawRequest | undefined): Promise<IngestOutcome> {
    const writing = startWrite(() => this.options.logWriter.writeLogs(batch.items))
    const logs = this.keepLogs ? batch.items.map(logOf) : undefined
    return this.finishStore(writing, this.afterStore('logs', raw, batch.items.length, logs, tellLogs), outcomeOf(batch, 'log records'))
  }

  /**
   * Waits for a write started by storeTraces or storeLogs, then passes the
   * batch on. Those two are not async on purpose: an async function keeps its
   * parameters alive across an await, and the decoded batch (its records, their
   * ids as views of the request body) would then outlive the store's round
   * trips, survive scavenges and be promoted: most of a ClickHouse-backed
   * collector's garbage-collection time. Only what is passed on waits here.
   */
  private async finishStore(writing: Promise<WriteResult>, after: AfterStore, outcome: IngestOutcome): Promise<IngestOutcome> {
    const stored = await this.store(writing)
    // Added after the await: `x += await …` reads x before waiting, and batches stored meanwhile would be lost from the count.
    if (after.signal === 'traces') this.spansStored += stored
    else this.logsStored += stored
    after.passOn()
    return outcome
  }

  private async store(writing: Promise<WriteResult>): Promise<number> {
    try {
      return (await writing).stored
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      // A value the decoders let through but the database refuses is this sender's
      // problem: a 400 for its request, and everyone else keeps writing.
      if (refusesTheData(err)) throw new OtlpValueError(`the store refused a value in this request, so none of it was stored: ${message}`)
      // Back off for a moment so a failing disk is not hammered by every sender.
      this.unavailableUntilMs = Date.now() + 1000
      this.options.log(`store write failed, answering 503 for a second: ${message}`)
      throw new StoreUnavailableError(`the store could not write the batch: ${message}`)
    }
  }

  /**
   * What to do once a batch is stored: the forwarder gets the request as it
   * came, each listener what was stored. Keeps only that (the body when
   * forwarding, the records when listened to), not the decoded batch.
   */
  private afterStore<Stored>(
    signal: 'traces' | 'logs',
    raw: RawRequest | undefined,
    records: number,
    stored: Stored[] | undefined,
    tell: (listener: IngestListener, stored: Stored[]) => void,
  ): AfterStore {
    const tee = this.options.tee
    const forward = records > 0 && raw !== undefined && tee !== undefined ? { tee, raw } : undefined
    const listeners = this.options.listeners ?? []
    const values = records > 0 && stored !== undefined ? stored : undefined
    return {
      signal,
      passOn: () => {
        if (forward !== undefined) forward.tee.forward(signal, forward.raw, records)
        if (values !== undefined) for (const listener of listeners) this.notify(() => tell(listener, values))
      },
    }
  }

  private notify(call: () => void): void {
    try {
      call()
    } catch (err) {
      if (!this.listenerErrorLogged) {
        this.listenerErrorLogged = true
        this.options.log(`an ingest listener failed (logged once): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
      }
    }
  }
}

/** Errors that come from the batch's values (binding, constraints), not from the disk or a lock. */
function refusesTheData(err: unknown): boolean {
  if (err instanceof RangeError) return true
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/.test(code)
}

/** A batch's passing on, once it is stored (IngestPipeline.afterStore). */
interface AfterStore {
  signal: 'traces' | 'logs'
  passOn(): void
}

/**
 * Starts a store's write; a writer that throws at once gives a rejected write. Async without an
 * await: it returns at once and keeps nothing (`write`'s batch included) while the write goes on.
 */
async function startWrite(write: () => Promise<WriteResult>): Promise<WriteResult> {
  return write()
}

function outcomeOf(batch: Rejections, noun: string): IngestOutcome {
  if (batch.rejected === 0) return { rejected: 0, errorMessage: '' }
  return { rejected: batch.rejected, errorMessage: `${batch.rejected} ${noun} rejected: ${batch.rejectReasons.join('; ')}` }
}
