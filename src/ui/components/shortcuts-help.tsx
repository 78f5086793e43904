// The `?` list of keyboard shortcuts, over the page; Esc, `?` or a click outside closes it.
import { SHORTCUTS } from '../lib/shortcuts'

export function ShortcutsHelp(props: { onClose: () => void }) {
  return (
    <div class="shortcuts-backdrop" onClick={props.onClose}>
      <div
        class="shortcuts-help"
        role="dialog"
        aria-modal="true"
        aria-label="Keyboard shortcuts"
        data-testid="shortcuts-help"
        onClick={(e) => e.stopPropagation()}
      >
        <div class="shortcuts-head">
          <h3>Keyboard shortcuts</h3>
          <button type="button" class="small-button" onClick={props.onClose} aria-label="Close">
            Esc
          </button>
        </div>
        <table class="kv-table">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.what}>
                <th>
                  {s.keys.map((k, i) => (
                    <span key={k}>
                      {i > 0 && ' '}
                      <kbd>{k}</kbd>
                    </span>
                  ))}
                </th>
                <td>
                  {s.what}
                  {s.where === 'trace' && <span class="muted"> (trace page)</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}
