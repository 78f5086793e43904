// Entry point of the browser bundle.
import { render } from 'preact'
import { App } from './app'
import { api } from './lib/api'
import { registerServices } from './lib/service-colors'

// Colours follow the collector's service list. It is asked for alongside the page's own data
// (not before it, which would delay every page by a round trip); the list is small and answers
// first, so colours are assigned before the spans arrive.
api.services().then((r) => registerServices(r.services), () => {})
render(<App />, document.getElementById('app')!)
