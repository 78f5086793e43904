// The shell: top navigation, the trace-id box, and the page for the current URL.
import { useEffect, useState } from 'preact/hooks'
import { Link } from './components/link'
import { ShortcutsHelp } from './components/shortcuts-help'
import { AlertsPage } from './pages/alerts-page'
import { ComparePage } from './pages/compare-page'
import { LogsPage } from './pages/logs-page'
import { MapPage } from './pages/map-page'
import { SearchPage } from './pages/search-page'
import { ServicesPage } from './pages/services-page'
import { TracePage } from './pages/trace-page'
import { navigate, useLocation } from './lib/router'
import { isTyping } from './lib/shortcuts'
import { useTraceIdField } from './lib/trace-id-field'
import { nextThemeChoice, setThemeChoice, useTheme } from './lib/theme'

const NAV = [
  { path: '/search', label: 'Search' },
  { path: '/services', label: 'Services' },
  { path: '/map', label: 'Service map' },
  { path: '/logs', label: 'Logs' },
  { path: '/alerts', label: 'Alerts' },
]

function TraceIdBox() {
  const field = useTraceIdField()
  const bad = field.bad
  return (
    <form
      class="traceid-box"
      onSubmit={(e) => {
        e.preventDefault()
        const id = field.submit()
        if (!id) return
        field.clear()
        navigate(`/trace/${id}`)
      }}
    >
      <input
        aria-label="Trace ID"
        name="traceId"
        placeholder="Paste a trace ID…"
        value={field.text}
        class={bad ? 'invalid' : ''}
        title={bad ? 'A trace ID is 32 hexadecimal digits (16 also accepted)' : 'Open a trace by its ID'}
        onInput={field.onInput}
      />
      {bad && (
        <span class="traceid-error" role="alert">
          needs 32 hex digits
        </span>
      )}
    </form>
  )
}

/** A hand-typed URL may hold a broken %-escape: show it as typed rather than crash. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** auto → dark → light: the label says what is shown and why. */
function ThemeToggle() {
  const { choice, theme } = useTheme()
  const label = choice === 'auto' ? `Auto (${theme})` : theme === 'dark' ? 'Dark' : 'Light'
  return (
    <button
      type="button"
      class="theme-toggle"
      data-testid="theme-toggle"
      aria-label={`Theme: ${label}. Change theme`}
      title="Theme: auto follows the system; dark and light are remembered in this browser"
      onClick={() => setThemeChoice(nextThemeChoice(choice))}
    >
      {theme === 'dark' ? '☾' : '☀'} {label}
    </button>
  )
}

/** The shortcuts every page has: `/` focuses the page's search, `?` lists the shortcuts. */
function useGlobalShortcuts(setHelp: (f: (open: boolean) => boolean) => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        if (document.querySelector('[data-testid=shortcuts-help]')) {
          // Esc closes the list and nothing else (a page's own Esc, such as closing a span, waits).
          e.stopImmediatePropagation()
          setHelp(() => false)
        } else if (isTyping(e)) {
          ;(e.target as HTMLElement).blur()
        }
        return
      }
      if (isTyping(e)) return
      if (e.key === '?') {
        e.preventDefault()
        setHelp((open) => !open)
      } else if (e.key === '/') {
        // The page's own search (find in a trace, the search form) or else the trace-id box.
        const field = document.querySelector<HTMLElement>('[data-shortcut=search]') ?? document.querySelector<HTMLElement>('input[name=traceId]')
        if (field) {
          e.preventDefault()
          field.focus()
        }
      }
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [setHelp])
}

export function App() {
  const loc = useLocation()
  const [help, setHelp] = useState(false)
  useGlobalShortcuts(setHelp)
  const path = loc.path
  let page
  const traceMatch = /^\/trace\/([^/]+)\/?$/.exec(path)
  const compareMatch = /^\/compare\/([^/]+)\/([^/]+)\/?$/.exec(path)
  if (traceMatch) page = <TracePage traceId={safeDecode(traceMatch[1]!)} query={loc.query} />
  else if (compareMatch) page = <ComparePage traceA={safeDecode(compareMatch[1]!)} traceB={safeDecode(compareMatch[2]!)} />
  else if (path === '/' || path === '/search') page = <SearchPage query={loc.query} seq={loc.seq} />
  else if (path === '/services') page = <ServicesPage query={loc.query} />
  else if (path === '/map') page = <MapPage query={loc.query} />
  else if (path === '/logs') page = <LogsPage query={loc.query} seq={loc.seq} />
  else if (path === '/alerts') page = <AlertsPage />
  else
    page = (
      <div class="page-message">
        <h2>Nothing here</h2>
        <p>
          There is no page at <code>{path}</code>. Try <Link href="/search">Search</Link>.
        </p>
      </div>
    )
  return (
    <div class="shell">
      <header class="topbar">
        <Link href="/search" class="brand">
          tracecar
        </Link>
        <nav>
          {NAV.map((n) => (
            <Link
              key={n.path}
              href={n.path}
              class={path === n.path || (n.path === '/search' && (path === '/' || path.startsWith('/trace/') || path.startsWith('/compare/'))) ? 'active' : ''}
            >
              {n.label}
            </Link>
          ))}
        </nav>
        <TraceIdBox />
        <button type="button" class="theme-toggle" onClick={() => setHelp((open) => !open)} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
          ?
        </button>
        <ThemeToggle />
      </header>
      <main class="content">{page}</main>
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
    </div>
  )
}
