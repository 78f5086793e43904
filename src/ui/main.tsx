// Entry point of the browser bundle.
import { render } from 'preact'
import { App } from './app'
import { startTheme } from './lib/theme'

// When the bundle starts to run, for the timings the trace page leaves in the Performance timeline.
performance.mark('tracecar: app start')
startTheme()
render(<App />, document.getElementById('app')!)
