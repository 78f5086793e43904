// A text field where a trace ID is pasted: what was typed, and whether the last submit was not an ID.
import { useState } from 'preact/hooks'
import { normaliseTraceId } from './safe-url'

export interface TraceIdField {
  text: string
  /** The last submit held no trace ID; typing again clears it. */
  bad: boolean
  onInput: (e: { currentTarget: HTMLInputElement }) => void
  /** The typed ID normalised, or null (and the field marked bad) when it is not one. */
  submit: () => string | null
  clear: () => void
}

export function useTraceIdField(): TraceIdField {
  const [text, setText] = useState('')
  const [bad, setBad] = useState(false)
  return {
    text,
    bad,
    onInput: (e) => {
      setText(e.currentTarget.value)
      setBad(false)
    },
    submit: () => {
      const id = normaliseTraceId(text)
      setBad(id === null)
      return id
    },
    clear: () => setText(''),
  }
}
