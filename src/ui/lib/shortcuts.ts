// The keyboard shortcuts (Jaeger's habits where it has one): the list the `?` help shows, and
// the one rule every handler follows, that keys typed into a field are text, not commands.

export const SHORTCUTS: { keys: string[]; what: string; where: string }[] = [
  { keys: ['/'], what: 'Focus search (find in the trace on a trace page)', where: 'everywhere' },
  { keys: ['?'], what: 'Show or hide this list', where: 'everywhere' },
  { keys: ['Esc'], what: 'Close this list; leave a field; close the span details', where: 'everywhere' },
  { keys: ['j', '↓'], what: 'Next span', where: 'trace' },
  { keys: ['k', '↑'], what: 'Previous span', where: 'trace' },
  { keys: ['Enter'], what: "Open the selected span's details", where: 'trace' },
  { keys: ['←', 'h'], what: "Collapse the selected span's children, or go to its parent", where: 'trace' },
  { keys: ['→', 'l'], what: "Expand the selected span's children", where: 'trace' },
  { keys: ['+', '-', '0'], what: 'Zoom the time axis in or out around the selected span; reset', where: 'trace' },
]

/** Whether a key event is text typed into a field (or carries a modifier), which no shortcut takes. */
export function isTyping(e: KeyboardEvent): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey) return true
  const target = e.target as HTMLElement | null
  if (!target || typeof target.tagName !== 'string') return false
  return target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable
}
