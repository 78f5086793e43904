import client from 'prom-client'
import type { JoinDeclineReason, JoinOutcomeValue } from './outbound-join.js'

/**
 * Counters that say how well the outbound side is doing its job, on the admin
 * `/metrics`: how outbound calls were joined to their inbound request (and how
 * many could not be: a broken trace the user should know about), clients
 * refused (someone tried to use us as an open proxy), how often an inference
 * rule declined (and why), and calls relayed untouched because their
 * destination is excluded.
 */
export class OutboundMetrics {
  private readonly joins: client.Counter<'rule'>
  private readonly declines: client.Counter<'rule' | 'reason'>
  private readonly unjoined: client.Counter
  private readonly refused: client.Counter
  private readonly excluded: client.Counter

  constructor(registry: client.Registry<client.OpenMetricsContentType>) {
    this.joins = new client.Counter({
      name: 'tracecar_outbound_joins_total',
      help: 'Outbound calls by how their CLIENT span found its parent: context (forwarded traceparent/B3), correlation (forwarded correlation header), worker_process and sole_inbound (inferred), none (new trace).',
      labelNames: ['rule'],
      registers: [registry],
    })
    this.declines = new client.Counter({
      name: 'tracecar_outbound_join_declines_total',
      help: 'Times an inference rule (worker_process, sole_inbound) found no single request to join a call to, and the next rule was tried: several_requests (the caller, or the sidecar, had several in flight), no_request (none), process_unknown (the calling process could not be found in /proc).',
      labelNames: ['rule', 'reason'],
      registers: [registry],
    })
    this.unjoined = new client.Counter({
      name: 'tracecar_outbound_unjoined_total',
      help: 'Outbound calls no join rule could tie to an inbound request: they start a new trace.',
      registers: [registry],
    })
    this.refused = new client.Counter({
      name: 'tracecar_outbound_clients_refused_total',
      help: 'Connections to the outbound listeners refused because the client address is not in outbound.allowClients.',
      registers: [registry],
    })
    this.excluded = new client.Counter({
      name: 'tracecar_outbound_excluded_total',
      help: 'Outbound calls relayed untouched (no span, no trace headers) because outbound.exclude matches their destination.',
      registers: [registry],
    })
  }

  joined(outcome: JoinOutcomeValue): void {
    this.joins.inc({ rule: outcome })
    if (outcome === 'none') this.unjoined.inc()
  }

  declined(rule: JoinOutcomeValue, reason: JoinDeclineReason): void {
    this.declines.inc({ rule, reason })
  }

  clientRefused(): void {
    this.refused.inc()
  }

  destinationExcluded(): void {
    this.excluded.inc()
  }
}
