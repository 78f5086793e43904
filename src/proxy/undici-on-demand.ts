import { createRequire } from 'node:module'

type Undici = typeof import('undici')

let undici: Undici | undefined

/**
 * undici, loaded the first time a dispatcher is needed instead of when the
 * sidecar starts. Loading it costs ~8 MiB of RSS (its modules and compiled
 * code), and a sidecar on the raw HTTP engine whose service makes no outbound
 * calls never needs it: only the node engine's upstream pool and the outbound
 * proxy dispatch through it. A synchronous require (undici is CommonJS), so the
 * one request that loads it waits ~20 ms once, and no request path awaits.
 */
export function loadUndici(): Undici {
  undici ??= createRequire(import.meta.url)('undici') as Undici
  return undici
}
