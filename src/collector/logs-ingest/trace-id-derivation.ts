/**
 * The configurable rule for linking a log line to a trace: structured fields
 * first (the service wrote the id on purpose), then patterns in the message
 * text. Built once from options; applied to every ingested line.
 */
import { findTraceIdInText } from '../logs/trace-id-in-text.js'
import type { IdField } from './trace-id-fields.js'
import { DEFAULT_SPAN_ID_FIELDS, DEFAULT_TRACE_ID_FIELDS, spanIdFromFields, traceIdFromFields } from './trace-id-fields.js'
import type { TextPattern } from './trace-id-patterns.js'
import { compileTextPattern, DEFAULT_TEXT_PATTERNS, idsFromText } from './trace-id-patterns.js'

export interface TraceIdDerivationOptions {
  /** Extra fields to look in before the defaults; `dd.trace_id:decimal` marks a decimal field. */
  traceIdFields?: readonly (string | IdField)[]
  spanIdFields?: readonly (string | IdField)[]
  /** Extra regular expressions tried on the message before the defaults (see trace-id-patterns.ts). */
  textPatterns?: readonly string[]
  /** false: only the configured patterns are used on the text (no defaults, no bare 32-hex fallback). */
  defaultTextPatterns?: boolean
}

export interface TraceIdDerivation {
  traceIdFields: readonly IdField[]
  spanIdFields: readonly IdField[]
  textPatterns: readonly TextPattern[]
  /** Last resort, as for OTLP log bodies: a standalone run of 32 hex digits (logs/trace-id-in-text.ts). */
  bareHexFallback: boolean
}

export interface DerivedIds {
  traceId: string
  spanId: string
}

function toField(spec: string | IdField): IdField {
  if (typeof spec !== 'string') return spec
  const at = spec.lastIndexOf(':')
  if (at > 0 && spec.slice(at + 1) === 'decimal') return { field: spec.slice(0, at), format: 'decimal' }
  return { field: spec }
}

export function createTraceIdDerivation(options: TraceIdDerivationOptions = {}): TraceIdDerivation {
  const patterns = (options.textPatterns ?? []).map((source, i) => compileTextPattern(source, `textPatterns[${i}] ${source}`))
  return {
    traceIdFields: [...(options.traceIdFields ?? []).map(toField), ...DEFAULT_TRACE_ID_FIELDS],
    spanIdFields: [...(options.spanIdFields ?? []).map(toField), ...DEFAULT_SPAN_ID_FIELDS],
    textPatterns: options.defaultTextPatterns === false ? patterns : [...patterns, ...DEFAULT_TEXT_PATTERNS],
    bareHexFallback: options.defaultTextPatterns !== false,
  }
}

/**
 * Ids for one line: `fieldSets` are searched in order (e.g. structured
 * metadata, the parsed JSON line, stream labels), then `text`.
 */
export function deriveIds(derivation: TraceIdDerivation, fieldSets: readonly Record<string, unknown>[], text: string): DerivedIds {
  for (const fields of fieldSets) {
    const traceId = traceIdFromFields(fields, derivation.traceIdFields)
    if (traceId === '') continue
    let spanId = spanIdFromFields(fields, derivation.spanIdFields)
    if (spanId === '') spanId = idsFromText(text, derivation.textPatterns).spanId
    return { traceId, spanId }
  }
  const found = idsFromText(text, derivation.textPatterns)
  if (found.traceId !== '' || !derivation.bareHexFallback) return found
  return { traceId: findTraceIdInText(text) ?? '', spanId: '' }
}
