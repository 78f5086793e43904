/** `GET /api/alerts`: every rule with its state, value and example traces (docs/logs-metrics-alerts.md, "Alerts"). */
import type { CollectorRoute } from '../http/route.js'
import { sendJson } from '../../http/http-answer.js'
import type { AlertsResponse } from '../../query-api/query-api-types.js'
import type { AlertEngine } from './alert-engine.js'

export function alertsRoutes(engine: AlertEngine | undefined): CollectorRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/alerts',
      handle(_req, res) {
        sendJson(res, 200, { rules: engine?.status() ?? [] } satisfies AlertsResponse)
      },
    },
  ]
}
