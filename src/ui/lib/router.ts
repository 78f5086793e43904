// A small History API router: the URL is the page's state, so every view is a deep link and the
// back button walks through searches and selected spans.
import { useEffect, useState } from 'preact/hooks'
import { queryString } from './api'

export interface Location {
  path: string
  query: URLSearchParams
  /** Bumped by every navigation, also to the URL already shown: "search again" reloads. */
  seq: number
}

const listeners = new Set<() => void>()
let seq = 0

function current(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search), seq }
}

window.addEventListener('popstate', () => {
  seq++
  for (const l of listeners) l()
})

/** Goes to an app-internal URL (a path starting with "/"); `replace` keeps the history entry. */
export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (!url.startsWith('/') || url.startsWith('//')) throw new Error(`not an app path: ${url}`)
  seq++
  const same = url === window.location.pathname + window.location.search
  if (options.replace || same) window.history.replaceState(null, '', url)
  else window.history.pushState(null, '', url)
  for (const l of listeners) l()
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current)
  useEffect(() => {
    const update = () => setLoc(current())
    listeners.add(update)
    return () => void listeners.delete(update)
  }, [])
  return loc
}

/** Builds "/path?k=v" from a query object, dropping empty values. */
export function href(path: string, query: Record<string, string | number | undefined | null | string[]> = {}): string {
  return path + queryString(query)
}

/** Left clicks without modifier keys stay in the app; others (new tab, etc.) go to the browser. */
export function onLinkClick(e: MouseEvent, url: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
  e.preventDefault()
  navigate(url)
}
