/**
 * The trace context formats this part reads and writes, by the names
 * `OTEL_PROPAGATORS` uses. Configuration validates against this list; the
 * parsers and writers are keyed by it.
 */
export const PROPAGATION_FORMATS = ['tracecontext', 'b3', 'b3multi', 'jaeger'] as const
export type PropagationFormat = (typeof PROPAGATION_FORMATS)[number]
