/**
 * The life of one alert, Prometheus' way: when the condition first holds the
 * alert is pending; if it still holds `for` later it fires; when it stops
 * holding a firing alert resolves (and is notified as resolved) and a
 * pending one quietly returns to inactive. Pure: time comes in as `nowMs`.
 */
import type { AlertStateName } from '../../query-api/query-api-types.js'

export type { AlertStateName } from '../../query-api/query-api-types.js'

export interface AlertState {
  state: AlertStateName
  /** When the current state was entered (Unix ms); 0 for a rule never active. */
  since: number
  /** When the condition started holding in this episode (pending start); 0 when inactive. */
  activeAt: number
}

/** What a step changed: a notification is due for 'firing' and 'resolved'. */
export type AlertTransition = 'none' | 'pending' | 'firing' | 'resolved' | 'cleared'

export const INITIAL_ALERT_STATE: AlertState = { state: 'inactive', since: 0, activeAt: 0 }

export function stepAlert(prev: AlertState, conditionHolds: boolean, nowMs: number, forMs: number): { next: AlertState; transition: AlertTransition } {
  switch (prev.state) {
    case 'inactive':
      if (!conditionHolds) return { next: prev, transition: 'none' }
      if (forMs <= 0) return { next: { state: 'firing', since: nowMs, activeAt: nowMs }, transition: 'firing' }
      return { next: { state: 'pending', since: nowMs, activeAt: nowMs }, transition: 'pending' }
    case 'pending':
      if (!conditionHolds) return { next: { state: 'inactive', since: nowMs, activeAt: 0 }, transition: 'cleared' }
      if (nowMs - prev.activeAt >= forMs) return { next: { state: 'firing', since: nowMs, activeAt: prev.activeAt }, transition: 'firing' }
      return { next: prev, transition: 'none' }
    case 'firing':
      if (conditionHolds) return { next: prev, transition: 'none' }
      return { next: { state: 'inactive', since: nowMs, activeAt: 0 }, transition: 'resolved' }
  }
}
