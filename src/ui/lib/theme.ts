// Light or dark: the user's choice from the toggle, remembered in localStorage, or else the
// system's (prefers-color-scheme), followed as it changes. Applied as data-theme on <html>, which
// styles.css reads; set before the first render so a dark page never flashes light.
import { useEffect, useState } from 'preact/hooks'

export type ThemeChoice = 'auto' | 'light' | 'dark'
export type Theme = 'light' | 'dark'

const STORAGE_KEY = 'tracecar.theme'
const listeners = new Set<() => void>()

export function themeChoice(): ThemeChoice {
  try {
    const saved = localStorage.getItem(STORAGE_KEY)
    return saved === 'light' || saved === 'dark' ? saved : 'auto'
  } catch {
    return 'auto' // storage refused (a locked-down profile): follow the system
  }
}

function systemPrefersDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches
}

export function currentTheme(): Theme {
  const choice = themeChoice()
  return choice === 'auto' ? (systemPrefersDark() ? 'dark' : 'light') : choice
}

function apply(): void {
  document.documentElement.dataset.theme = currentTheme()
  for (const listener of listeners) listener()
}

export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'auto') localStorage.removeItem(STORAGE_KEY)
    else localStorage.setItem(STORAGE_KEY, choice)
  } catch {
    // Not remembered, but still applied for this page.
  }
  apply()
}

/** Applies the theme now and follows the system's while the choice is "auto". */
export function startTheme(): void {
  apply()
  if (typeof matchMedia === 'function') matchMedia('(prefers-color-scheme: dark)').addEventListener('change', apply)
}

/** The choice and the theme it resolves to, re-rendering when either changes. */
export function useTheme(): { choice: ThemeChoice; theme: Theme } {
  const [, setTick] = useState(0)
  useEffect(() => {
    const listener = () => setTick((n) => n + 1)
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
    }
  }, [])
  return { choice: themeChoice(), theme: currentTheme() }
}

/** auto → dark → light → auto: one button reaches every choice. */
export function nextThemeChoice(choice: ThemeChoice): ThemeChoice {
  return choice === 'auto' ? 'dark' : choice === 'dark' ? 'light' : 'auto'
}
