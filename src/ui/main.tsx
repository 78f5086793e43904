// Entry point of the browser bundle.
import { render } from 'preact'
import { App } from './app'

render(<App />, document.getElementById('app')!)
