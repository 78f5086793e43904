// Loading, empty and error states: each says what happened and what to do next.
import type { ComponentChildren } from 'preact'

export function Loading(props: { what: string }) {
  return (
    <div class="state state-loading" role="status">
      Loading {props.what}…
    </div>
  )
}

export function ErrorState(props: { title: string; error: Error; hint?: ComponentChildren }) {
  return (
    <div class="state state-error" role="alert">
      <strong>{props.title}</strong>
      <p>{props.error.message}</p>
      {props.hint && <p class="hint">{props.hint}</p>}
    </div>
  )
}

export function EmptyState(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty">
      <strong>{props.title}</strong>
      {props.children && <div class="hint">{props.children}</div>}
    </div>
  )
}
