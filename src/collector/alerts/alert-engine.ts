/**
 * Evaluates the alert rules on the RED rollups on a schedule, moves each
 * rule through pending/firing/resolved (alert-state.ts) and hands notices to
 * the notifiers. Evaluation is cheap (a window of 10 s rollup rows per
 * rule), one round at a time; sending is asynchronous, in order per notifier,
 * and never blocks the next evaluation.
 */
import type { AlertRuleStatus, ExampleTrace } from '../../query-api/query-api-types.js'
import { windowSummary } from '../metrics/red-queries.js'
import type { RedRollupStore } from '../store/store-roles.js'
import type { AlertNotice } from './alert-notice.js'
import { traceLinks } from './alert-notice.js'
import type { AlertNotifier } from './alert-notifiers.js'
import type { AlertRule } from './alert-rule.js'
import type { AlertState } from './alert-state.js'
import { INITIAL_ALERT_STATE, stepAlert } from './alert-state.js'

export interface AlertEngineOptions {
  rules: readonly AlertRule[]
  rollups: RedRollupStore
  evaluationIntervalMs: number
  /** How often firing alerts are re-sent to notifiers that want it (Alertmanager). */
  resendIntervalMs: number
  notifiers: readonly AlertNotifier[]
  /** Base URL of the tracecar UI for trace links (known only once the server listens, hence a function). */
  uiBaseUrl: () => string
  log: (line: string) => void
  now?: () => number
  /** Writes rollups still held in memory before a round reads them. */
  flushRollups?: () => Promise<void>
}

interface RuleRuntime {
  rule: AlertRule
  state: AlertState
  /** The last measured value; NaN when the window had too little data. */
  value: number
  examples: ExampleTrace[]
  /** Examples captured when the alert fired, sent again with the resolution. */
  firingNotice?: AlertNotice
  lastEvaluatedMs: number
}

/** A rule with its state, as `GET /api/alerts` lists it. */
export type AlertStatus = AlertRuleStatus

export class AlertEngine {
  private readonly runtimes: RuleRuntime[]
  private readonly now: () => number
  private readonly queues = new Map<AlertNotifier, Promise<unknown>>()
  private timer: NodeJS.Timeout | undefined
  private lastResendMs = 0
  private evaluating: Promise<void> | undefined
  private readonly failuresLogged = new Set<string>()

  constructor(private readonly options: AlertEngineOptions) {
    this.now = options.now ?? Date.now
    this.runtimes = options.rules.map((rule) => ({ rule, state: INITIAL_ALERT_STATE, value: NaN, examples: [], lastEvaluatedMs: 0 }))
  }

  /** Measures one rule's window: the value and whether the condition holds. */
  async measure(rule: AlertRule, nowMs: number): Promise<{ value: number; holds: boolean; examples: ExampleTrace[]; windowStartMs: number }> {
    const windowStartMs = nowMs - rule.windowMs
    // An error-rate alert is investigated from its failures: those lead its examples, newest first.
    const lead = rule.kind === 'error_rate' ? 'failing' : 'slowest'
    const w = await windowSummary(
      this.options.rollups,
      { service: rule.service, operation: rule.operation, spanKind: rule.spanKind },
      windowStartMs,
      nowMs,
      3,
      lead,
    )
    switch (rule.kind) {
      case 'duration_quantile': {
        const value = w.requests >= Math.max(1, rule.minRequests) ? w.histogram.quantile(rule.quantile) : NaN
        return { value, holds: value > rule.threshold, examples: w.exampleTraces, windowStartMs }
      }
      case 'error_rate': {
        const value = w.requests >= Math.max(1, rule.minRequests) ? w.errors / w.requests : NaN
        return { value, holds: value > rule.threshold, examples: w.exampleTraces, windowStartMs }
      }
      case 'request_rate': {
        // The rollup buckets read start at a 10 s boundary at or before the window start.
        const coveredMs = Math.max(1000, nowMs - Math.floor(windowStartMs / 10_000) * 10_000)
        const value = w.requests / (coveredMs / 1000)
        return { value, holds: value < rule.threshold, examples: w.exampleTraces, windowStartMs }
      }
    }
  }

  /** One evaluation round at `nowMs` (a round still running is awaited instead); notifications are queued, not awaited. */
  evaluate(nowMs = this.now()): Promise<void> {
    this.evaluating ??= this.round(nowMs).finally(() => (this.evaluating = undefined))
    return this.evaluating
  }

  private async round(nowMs: number): Promise<void> {
    const base = this.options.uiBaseUrl()
    // Re-sends start one interval after the first round (a new alert was just sent).
    if (this.lastResendMs === 0) this.lastResendMs = nowMs
    try {
      await this.options.flushRollups?.()
    } catch (err) {
      this.logOnce('flush', `alert evaluation could not flush the rollups: ${(err as Error).message}`)
    }
    for (const rt of this.runtimes) {
      let m: Awaited<ReturnType<AlertEngine['measure']>>
      try {
        m = await this.measure(rt.rule, nowMs)
      } catch (err) {
        this.logOnce(`evaluate ${rt.rule.name}`, `alert rule ${rt.rule.name}: evaluation failed: ${(err as Error).message}`)
        continue
      }
      rt.value = m.value
      rt.examples = m.examples
      rt.lastEvaluatedMs = nowMs
      const { next, transition } = stepAlert(rt.state, m.holds, nowMs, rt.rule.forMs)
      rt.state = next
      if (transition === 'firing') {
        const notice: AlertNotice = {
          status: 'firing',
          rule: rt.rule,
          value: m.value,
          startsAtMs: nowMs,
          windowStartMs: m.windowStartMs,
          windowEndMs: nowMs,
          exampleTraces: m.examples.map((e) => ({ ...e, ...traceLinks(base, e.traceId) })),
          alertsUrl: `${base.replace(/\/+$/, '')}/alerts`,
        }
        rt.firingNotice = notice
        this.send(notice)
      } else if (transition === 'resolved' && rt.firingNotice !== undefined) {
        this.send({ ...rt.firingNotice, status: 'resolved', value: Number.isNaN(m.value) ? rt.firingNotice.value : m.value, endsAtMs: nowMs })
        rt.firingNotice = undefined
      }
    }
    if (nowMs - this.lastResendMs >= this.options.resendIntervalMs) {
      this.lastResendMs = nowMs
      const firing = this.runtimes.filter((rt) => rt.state.state === 'firing' && rt.firingNotice !== undefined).map((rt) => rt.firingNotice!)
      if (firing.length > 0) {
        for (const notifier of this.options.notifiers) {
          if (notifier.refresh !== undefined) this.enqueue(notifier, () => notifier.refresh!(firing))
        }
      }
    }
  }

  private send(notice: AlertNotice): void {
    this.options.log(JSON.stringify({ event: 'alert', status: notice.status, rule: notice.rule.name, value: notice.value }))
    for (const notifier of this.options.notifiers) this.enqueue(notifier, () => notifier.notify(notice))
  }

  private enqueue(notifier: AlertNotifier, call: () => Promise<{ ok: boolean; error: string }>): void {
    const previous = this.queues.get(notifier) ?? Promise.resolve()
    const next = previous.then(call).then(
      (result) => {
        if (!result.ok) this.logOnce(notifier.name, `alert notification to ${notifier.name} failed: ${result.error}`)
        else this.failuresLogged.delete(notifier.name)
      },
      (err: unknown) => this.logOnce(notifier.name, `alert notification to ${notifier.name} failed: ${(err as Error).message}`),
    )
    this.queues.set(notifier, next)
  }

  /** Logs a repeated failure once until it recovers, so a dead receiver does not flood the log. */
  private logOnce(key: string, line: string): void {
    if (this.failuresLogged.has(key)) return
    this.failuresLogged.add(key)
    this.options.log(line)
  }

  status(): AlertStatus[] {
    return this.runtimes.map((rt) => ({
      name: rt.rule.name,
      kind: rt.rule.kind,
      service: rt.rule.service,
      operation: rt.rule.operation ?? null,
      spanKind: rt.rule.spanKind ?? null,
      quantile: rt.rule.kind === 'duration_quantile' ? rt.rule.quantile : null,
      threshold: rt.rule.threshold,
      windowMs: rt.rule.windowMs,
      forMs: rt.rule.forMs,
      state: rt.state.state,
      since: rt.state.since === 0 ? null : rt.state.since,
      activeAt: rt.state.activeAt === 0 ? null : rt.state.activeAt,
      value: Number.isFinite(rt.value) ? Math.round(rt.value * 1e6) / 1e6 : null,
      lastEvaluatedAt: rt.lastEvaluatedMs === 0 ? null : rt.lastEvaluatedMs,
      exampleTraces: rt.examples,
    }))
  }

  start(): void {
    if (this.runtimes.length === 0) return
    this.timer = setInterval(() => void this.evaluate(), this.options.evaluationIntervalMs)
    this.timer.unref()
  }

  /** Stops evaluating and waits (bounded) for queued notifications. */
  async stop(deadlineMs = 5000): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    let timeout: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(this.queues.values()), new Promise((resolve) => (timeout = setTimeout(resolve, deadlineMs)))])
    if (timeout !== undefined) clearTimeout(timeout)
  }
}
