/**
 * An alert rule after validation: what to measure (a duration quantile, the
 * error rate or the request rate of a service, optionally one operation and
 * span kind), the threshold, the window it is measured over and how long the
 * condition must hold (`for`) before the alert fires.
 */
import { durationMs } from '../../units/duration.js'

export type AlertKind = 'duration_quantile' | 'error_rate' | 'request_rate'

export const ALERT_KINDS: readonly AlertKind[] = ['duration_quantile', 'error_rate', 'request_rate']

export interface AlertRule {
  name: string
  kind: AlertKind
  service: string
  operation?: string
  spanKind?: string
  /** duration_quantile only: 0 < q ≤ 1. */
  quantile: number
  /**
   * duration_quantile: milliseconds the quantile must exceed; error_rate: a
   * fraction 0..1 it must exceed; request_rate: requests per second it must
   * fall below.
   */
  threshold: number
  windowMs: number
  forMs: number
  /** Below this many requests in the window the duration and error-rate conditions are not met (too little data). */
  minRequests: number
  labels: Record<string, string>
  annotations: Record<string, string>
}

/** Milliseconds from `500ms`, `5s`, `1m30s`, `2h` (the product's duration grammar) or a number (already ms); undefined when unreadable. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  return typeof value === 'string' ? durationMs(value) : undefined
}

/** Words for what the rule measures, e.g. `p99 of checkout POST /cart`. */
export function ruleSubject(rule: AlertRule): string {
  const target = [rule.service, rule.operation, rule.spanKind].filter((x) => x !== undefined && x !== '').join(' ')
  switch (rule.kind) {
    case 'duration_quantile':
      return `p${Number((rule.quantile * 100).toFixed(3))} duration of ${target}`
    case 'error_rate':
      return `error rate of ${target}`
    case 'request_rate':
      return `request rate of ${target}`
  }
}

/** The value and threshold in the rule's unit, e.g. `812.5 ms`, `7.5%`, `0.2/s`. */
export function formatValue(rule: AlertRule, value: number): string {
  const round = (n: number): number => Math.round(n * 1000) / 1000
  switch (rule.kind) {
    case 'duration_quantile':
      return `${round(value)} ms`
    case 'error_rate':
      return `${round(value * 100)}%`
    case 'request_rate':
      return `${round(value)}/s`
  }
}
