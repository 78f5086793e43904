import type { PropagationFormat } from './propagation-format.js'
import type { SpanId, TraceId } from '../span/span-record.js'

/** W3C trace-flags bit 0: the caller recorded and sampled this trace. */
export const TRACE_FLAG_SAMPLED = 0x01
/**
 * W3C Trace Context Level 2 bit 1: the trace id's right-most 7 bytes are random.
 * Set it for traces we start (our ids are from `crypto`); keep it as received otherwise.
 */
export const TRACE_FLAG_RANDOM = 0x02
/**
 * The flag bits defined by W3C Trace Context Level 2. Every other bit is reserved:
 * "Vendors MUST set those to zero", so they are dropped when we write a traceparent.
 */
export const W3C_DEFINED_TRACE_FLAGS = TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM

/**
 * Width of a trace id as it came in. B3 and Jaeger allow 64-bit trace ids; we keep
 * them as 128-bit (left-padded with zeros) and write them back at their original width.
 */
export type TraceIdBits = 64 | 128

/**
 * The caller's span, read from an incoming request: the parent of the span we make.
 * Every field is always set (one object shape on the hot path).
 */
export interface RemoteContext {
  /** 32 lowercase hex, non-zero (64-bit ids are left-padded with zeros). */
  traceId: TraceId
  /** The caller's span id: 16 lowercase hex, non-zero. */
  spanId: SpanId
  /**
   * W3C trace-flags byte as received for `tracecontext` (all bits, even reserved ones);
   * for B3 and Jaeger only the sampled bit (their "debug" is not a W3C flag).
   */
  traceFlags: number
  /** Validated W3C tracestate ('' when none or when it was invalid). */
  traceState: string
  /** The format the context was read from. */
  format: PropagationFormat
  /**
   * The caller's explicit sampling decision; undefined when the format let the caller
   * defer it (B3 without a sampling state), in which case we decide as for a root.
   */
  sampled: boolean | undefined
  /** B3 `d` / `X-B3-Flags: 1`, Jaeger flag 0x2: the caller forces sampling for debugging. */
  debug: boolean
  /** Width of the trace id as received (always 128 for tracecontext). */
  traceIdBits: TraceIdBits
}

/**
 * A B3 header that carries only a sampling decision and no ids (`b3: 0`, `b3: 1`,
 * `b3: d`, or `X-B3-Sampled` / `X-B3-Flags` alone): valid, but no parent.
 */
export interface SamplingOnly {
  readonly samplingOnly: true
  readonly sampled: boolean
  readonly debug: boolean
}

export const DENY_ONLY: SamplingOnly = Object.freeze({ samplingOnly: true, sampled: false, debug: false })
export const ACCEPT_ONLY: SamplingOnly = Object.freeze({ samplingOnly: true, sampled: true, debug: false })
export const DEBUG_ONLY: SamplingOnly = Object.freeze({ samplingOnly: true, sampled: true, debug: true })

/** The span a request is forwarded under: what `injectContext` writes for the upstream. */
export interface InjectContext {
  traceId: TraceId
  /** Our span (the proxy's), which the upstream sees as its parent. */
  spanId: SpanId
  /** Our span's parent (the caller's span id), '' or absent for a root. Written by B3 only. */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the '' says what a root holds
  parentSpanId?: SpanId | ''
  /** W3C flags; bit 0 (sampled) is the sampling decision written to every format. */
  traceFlags: number
  /** Validated tracestate to forward ('' or absent for none). */
  traceState?: string
  /** 64 writes a B3/Jaeger trace id whose upper half is zero as 16 hex; anything else 32. */
  traceIdBits?: number
  /** Forward B3/Jaeger debug (only when the sampled bit is set). */
  debug?: boolean
}

/** Sets one request header; names are lower-case. */
export type HeaderSetter = (name: string, value: string) => void
