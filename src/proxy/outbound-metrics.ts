import client from 'prom-client'
import type { JoinOutcomeValue } from './outbound-join.js'

/**
 * Counters that say how well the outbound side is doing its job, on the admin
 * `/metrics`: how outbound calls were joined to their inbound request (and how
 * many could not be: a broken trace the user should know about), clients
 * refused (someone tried to use us as an open proxy), and calls relayed
 * untouched because their destination is excluded.
 */
export class OutboundMetrics {
  private readonly joins: client.Counter<'rule'>
  private readonly unjoined: client.Counter
  private readonly refused: client.Counter
  private readonly excluded: client.Counter

  constructor(registry: client.Registry<client.OpenMetricsContentType>) {
    this.joins = new client.Counter({
      name: 'tracecar_outbound_joins_total',
      help: 'Outbound calls by how their CLIENT span found its parent: context (forwarded traceparent/B3), correlation (forwarded correlation header), sole_inbound (inferred), none (new trace).',
      labelNames: ['rule'],
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

  clientRefused(): void {
    this.refused.inc()
  }

  destinationExcluded(): void {
    this.excluded.inc()
  }
}
