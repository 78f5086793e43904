import type { TraceId } from '../span/span-record.js'
import { hexDigitValue } from './hex.js'

/**
 * Head sampling with OpenTelemetry's semantics, chosen by the `OTEL_TRACES_SAMPLER`
 * names. https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/#general-sdk-configuration
 */

export const SAMPLER_NAMES = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const
export type SamplerName = (typeof SAMPLER_NAMES)[number]

/** OpenTelemetry's default when `OTEL_TRACES_SAMPLER` is unset. */
export const DEFAULT_SAMPLER: SamplerName = 'parentbased_always_on'

export function isSamplerName(name: string): name is SamplerName {
  return (SAMPLER_NAMES as readonly string[]).includes(name)
}

/**
 * What a sampler needs to know about the parent: its explicit decision, or undefined
 * when it made none (a B3 caller may defer it). A `RemoteContext` fits, and so does an
 * `ExtractResult`, which also carries a decision that came without ids (`b3: 0`).
 */
export interface SamplingParent {
  readonly sampled: boolean | undefined
}

/** True: record and export the span. Pure, cheap, and safe to call on every request. */
export type Sampler = (traceId: TraceId, parent: SamplingParent | undefined) => boolean

/**
 * OpenTelemetry JS `TraceIdRatioBasedSampler`'s deterministic decision, so that every
 * hop sampling by ratio keeps the same traces: XOR the trace id's four 32-bit words
 * and sample when the result is below floor(ratio * 0xffffffff). Computed from char
 * codes instead of `parseInt(slice)` so that it allocates nothing.
 *
 * One deliberate difference: ratio 1 samples every trace id, where OpenTelemetry's
 * bound (0xffffffff, exclusive) skips the 1 in 2^32 whose XOR is 0xffffffff.
 */
export function createTraceIdRatioSampler(ratio: number): (traceId: TraceId) => boolean {
  if (ratio >= 1) return () => true
  const upperBound = Math.floor(ratio * 0xffffffff)
  if (upperBound <= 0) return () => false
  return (traceId) => traceIdRatioAccumulation(traceId) < upperBound
}

/** The XOR of a 32-hex trace id's four 32-bit words, as an unsigned integer. */
export function traceIdRatioAccumulation(traceId: TraceId): number {
  let accumulation = 0
  for (let word = 0; word < traceId.length; word += 8) {
    let value = 0
    for (let i = word; i < word + 8; i++) value = (value << 4) | hexDigitValue(traceId.charCodeAt(i))
    accumulation ^= value
  }
  return accumulation >>> 0
}

/**
 * Builds the sampler named by `OTEL_TRACES_SAMPLER`. `ratio` (OTEL_TRACES_SAMPLER_ARG)
 * is used by the traceidratio samplers only and must then be in [0, 1].
 *
 * Parent-based samplers follow an incoming explicit decision (sampled or not) and use
 * their root sampler when there is no parent, or when the parent deferred the decision.
 *
 * Throws at start-up (never per request) for an unknown name or a bad ratio, with a
 * message naming what was given and what is allowed; the config layer can check the
 * name first with `isSamplerName` / `SAMPLER_NAMES`.
 */
export function createSampler(name: string, ratio = 1): Sampler {
  if (!isSamplerName(name)) {
    throw new Error(`unknown sampler "${name}": expected one of ${SAMPLER_NAMES.join(', ')}`)
  }
  if (name.endsWith('traceidratio') && !(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1)) {
    throw new RangeError(`sampler ratio ${ratio} for "${name}" is out of range: expected a number from 0 to 1`)
  }
  const root = rootSampler(name, ratio)
  if (!name.startsWith('parentbased_')) return (traceId) => root(traceId)
  return (traceId, parent) => {
    const decision = parent?.sampled
    return decision === undefined ? root(traceId) : decision
  }
}

function rootSampler(name: SamplerName, ratio: number): (traceId: TraceId) => boolean {
  switch (name) {
    case 'always_on':
    case 'parentbased_always_on':
      return () => true
    case 'always_off':
    case 'parentbased_always_off':
      return () => false
    case 'traceidratio':
    case 'parentbased_traceidratio':
      return createTraceIdRatioSampler(ratio)
  }
}
