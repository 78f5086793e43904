/**
 * The route shape other collector parts mount on the collector's HTTP
 * servers (`apiRoutes`, `ingestRoutes` in `CollectorOptions`, collector.ts;
 * docs/api.md, "Extending the collector"), and the
 * matcher for `/path/:param` patterns.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export interface CollectorRoute {
  method: string
  /** Exact path, or with `:name` segments (`/api/traces/:traceId`). */
  path: string
  handle(req: IncomingMessage, res: ServerResponse, params: Record<string, string>, url: URL): void | Promise<void>
}

interface CompiledRoute {
  route: CollectorRoute
  segments: string[]
}

export class RouteTable {
  private readonly routes: CompiledRoute[] = []

  constructor(routes: readonly CollectorRoute[] = []) {
    for (const route of routes) this.add(route)
  }

  add(route: CollectorRoute): void {
    this.routes.push({ route, segments: route.path.split('/') })
  }

  /** The matching route and its decoded params; `methodMismatch` when only the method differs. */
  match(method: string, pathname: string): { route: CollectorRoute; params: Record<string, string> } | { methodMismatch: boolean } {
    const parts = pathname.split('/')
    let methodMismatch = false
    for (const { route, segments } of this.routes) {
      const params = matchSegments(segments, parts)
      if (params === undefined) continue
      if (route.method.toUpperCase() !== method && !(method === 'HEAD' && route.method.toUpperCase() === 'GET')) {
        methodMismatch = true
        continue
      }
      return { route, params }
    }
    return { methodMismatch }
  }
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    const part = parts[i]!
    if (segment.startsWith(':')) {
      if (part === '') return undefined
      try {
        params[segment.slice(1)] = decodeURIComponent(part)
      } catch {
        return undefined
      }
    } else if (segment !== part) {
      return undefined
    }
  }
  return params
}
