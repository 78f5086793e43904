// The From/To inputs of a custom time range, to the second. The search form and every page with a
// window (services, service map) use these same two inputs and `parseCustomRange`.
export function CustomRangeInputs(props: { start: string; end: string; onInput: (which: 'start' | 'end', value: string) => void }) {
  return (
    <div class="range-inputs" data-testid="custom-range">
      <label>
        From
        <input type="datetime-local" step="1" name="start" value={props.start} onInput={(e) => props.onInput('start', e.currentTarget.value)} />
      </label>
      <label>
        To
        <input type="datetime-local" step="1" name="end" value={props.end} onInput={(e) => props.onInput('end', e.currentTarget.value)} />
      </label>
    </div>
  )
}
