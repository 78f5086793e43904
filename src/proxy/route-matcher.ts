/**
 * Maps a request path to a low-cardinality route template (`/users/:id`) for span
 * names and metric labels. Templates are compiled once at start-up into one
 * regular expression each; matching is first-match in configured order.
 *
 * Template syntax: literal segments, `:name` for one segment, and a trailing `*`
 * for the rest of the path (`/static/*`).
 */
interface CompiledRoute {
  template: string
  pattern: RegExp
}

export type RouteMatcher = (path: string) => string | undefined

export function compileRoutes(templates: readonly string[]): RouteMatcher {
  if (templates.length === 0) return () => undefined
  const routes: CompiledRoute[] = templates.map((template) => ({ template, pattern: templateToRegExp(template) }))
  return (path) => {
    for (const route of routes) if (route.pattern.test(path)) return route.template
    return undefined
  }
}

function templateToRegExp(template: string): RegExp {
  const parts = template.split('/').map((segment, index, all) => {
    if (segment === '*' && index === all.length - 1) return '.*'
    if (segment.startsWith(':')) return '[^/]+'
    return escapeRegExp(segment)
  })
  return new RegExp(`^${parts.join('/')}/?$`)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
