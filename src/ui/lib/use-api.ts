// Loads data for a component and cancels the request when the inputs change or it unmounts, so a
// slow answer for an old search never overwrites a newer one.
import { useEffect, useState } from 'preact/hooks'

export interface ApiState<T> {
  data: T | undefined
  error: (Error & { status?: number }) | undefined
  loading: boolean
}

export function useApi<T>(load: ((signal: AbortSignal) => Promise<T>) | null, deps: unknown[]): ApiState<T> {
  const [state, setState] = useState<ApiState<T>>({ data: undefined, error: undefined, loading: load !== null })
  useEffect(() => {
    if (!load) {
      setState({ data: undefined, error: undefined, loading: false })
      return
    }
    const ctrl = new AbortController()
    setState((s) => ({ data: s.data, error: undefined, loading: true }))
    load(ctrl.signal).then(
      (data) => {
        if (!ctrl.signal.aborted) setState({ data, error: undefined, loading: false })
      },
      (error: Error) => {
        if (!ctrl.signal.aborted) setState({ data: undefined, error, loading: false })
      },
    )
    return () => ctrl.abort()
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps)
  return state
}
