// Entry point of the browser bundle.
import { render } from 'preact'
import { App } from './app'
import { startTheme } from './lib/theme'

startTheme()
render(<App />, document.getElementById('app')!)
