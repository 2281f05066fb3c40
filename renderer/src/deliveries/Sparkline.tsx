/** A webhook's recent attempts as ticks, oldest left: green succeeded, red failed. */
export function Sparkline({ results, label }: { results: ('success' | 'failure')[]; label: string }) {
  const width = 84;
  const height = 14;
  const slots = 20;
  const step = width / slots;
  const ok = results.filter((r) => r === 'success').length;
  const summary = results.length === 0 ? `${label}: no attempts yet` : `${label}: ${ok} of the last ${results.length} attempts succeeded`;
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
      {Array.from({ length: slots }, (_, i) => {
        const result = results[results.length - slots + i];
        return (
          <rect
            key={i}
            x={i * step + 0.5}
            y={result === 'failure' ? 0 : result === 'success' ? 3 : 6}
            width={step - 1.5}
            height={result ? height - (result === 'failure' ? 0 : 3) : 2}
            rx={1}
            className={result ? `tick tick-${result}` : 'tick tick-empty'}
          />
        );
      })}
    </svg>
  );
}
