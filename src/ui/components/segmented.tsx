// A row of buttons of which one is on: a view, a time window, a grouping.

export interface SegmentedOption<T extends string> {
  value: T
  label: string
}

export function Segmented<T extends string>(props: { label: string; options: readonly SegmentedOption<T>[]; value: T; onSelect: (value: T) => void }) {
  return (
    <span class="segmented" role="group" aria-label={props.label}>
      {props.options.map((o) => (
        <button
          key={o.value}
          type="button"
          class={props.value === o.value ? 'on' : ''}
          aria-pressed={props.value === o.value}
          onClick={() => props.onSelect(o.value)}
        >
          {o.label}
        </button>
      ))}
    </span>
  )
}
