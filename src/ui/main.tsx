// Entry point of the browser bundle.
import { render } from 'preact'
import { App } from './app'
import { api } from './lib/api'
import { registerServices } from './lib/service-colors'

// Colours follow the collector's service list; wait for it briefly, never for long.
const ctrl = new AbortController()
const timer = setTimeout(() => ctrl.abort(), 800)
api.services(ctrl.signal)
  .then((r) => registerServices(r.services), () => {})
  .finally(() => {
    clearTimeout(timer)
    render(<App />, document.getElementById('app')!)
  })
