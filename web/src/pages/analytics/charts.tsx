// Charts drawn by hand in SVG (docs/decisions.md, "Analytics charts"): a stacked or
// grouped bar chart and a horizontal funnel. Each is decorative for assistive technology
// (aria-hidden): the data table beside it carries the same figures.
import type { JSX } from "preact";

export interface Series {
  key: string;
  label: string;
  color: string;
}

interface BarsProps {
  labels: string[];
  series: Series[];
  values: number[][]; // values[bucket][series]
  stacked: boolean;
  format: (n: number) => string;
  onPick?: (bucket: number, series: number) => void;
  minStep: number; // the smallest gap between two ticks (1 for counts)
}

export function niceStep(raw: number, minStep: number): number {
  if (!(raw > minStep)) return minStep;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const k = [1, 2, 5, 10].find((m) => m * pow >= raw) ?? 10;
  return k * pow;
}

const W = 720;
const H = 260;
const PAD = { left: 70, right: 10, top: 10, bottom: 50 };

export function Bars({ labels, series, values, stacked, format, onPick, minStep }: BarsProps): JSX.Element {
  const totals = values.map((v) => (stacked ? v.reduce((a, b) => a + Math.max(b, 0), 0) : Math.max(0, ...v)));
  const lows = values.map((v) => Math.min(0, ...v));
  // round axis: ticks at whole multiples of a 1-2-5 step, at least minStep apart
  const step = niceStep((Math.max(0, ...totals) - Math.min(0, ...lows)) / 4, minStep);
  const max = Math.max(step, Math.ceil(Math.max(0, ...totals) / step) * step);
  const min = Math.floor(Math.min(0, ...lows) / step) * step;
  const span = max - min;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v: number): number => PAD.top + ((max - v) / span) * plotH;
  const slot = plotW / Math.max(1, labels.length);
  const barW = Math.min(48, slot * 0.7);
  const every = Math.ceil(labels.length / 8); // at most 8 axis labels
  const ticks = Array.from({ length: Math.round(span / step) + 1 }, (_, i) => min + i * step);
  return (
    <div class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} aria-hidden="true" focusable="false">
        {ticks.map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} class="grid" />
            <text x={PAD.left - 6} y={y(v) + 4} text-anchor="end" class="axis">
              {format(v)}
            </text>
          </g>
        ))}
        {values.map((v, i) => {
          const x0 = PAD.left + i * slot + (slot - barW) / 2;
          let base = 0;
          return (
            <g key={i}>
              {v.map((n, s) => {
                if (stacked) {
                  if (n <= 0) return null;
                  const top = base + n;
                  const rect = (
                    <rect
                      key={s}
                      x={x0}
                      width={barW}
                      y={y(top)}
                      height={Math.max(1, y(base) - y(top))}
                      fill={series[s].color}
                      class={onPick ? "pick" : undefined}
                      onClick={onPick ? () => onPick(i, s) : undefined}
                    >
                      <title>{`${labels[i]}: ${series[s].label} ${format(n)}`}</title>
                    </rect>
                  );
                  base = top;
                  return rect;
                }
                const w = barW / v.length;
                const hi = Math.max(n, 0);
                const lo = Math.min(n, 0);
                return (
                  <rect key={s} x={x0 + s * w} width={Math.max(1, w - 1)} y={y(hi)} height={Math.max(1, y(lo) - y(hi))} fill={series[s].color}>
                    <title>{`${labels[i]}: ${series[s].label} ${format(n)}`}</title>
                  </rect>
                );
              })}
              {i % every === 0 && (
                <text x={x0 + barW / 2} y={H - PAD.bottom + 16} text-anchor="middle" class="axis">
                  {labels[i]}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <Legend series={series} />
    </div>
  );
}

export function Legend({ series }: { series: Series[] }): JSX.Element {
  return (
    <ul class="legend" aria-hidden="true">
      {series.map((s) => (
        <li key={s.key}>
          <span class="swatch" style={{ background: s.color }} />
          {s.label}
        </li>
      ))}
    </ul>
  );
}

/** The funnel: one bar a step, its width the share of quotes. */
export function FunnelBars({ steps }: { steps: { label: string; value: number; share: number }[] }): JSX.Element {
  const rowH = 34;
  return (
    <div class="chart">
      <svg viewBox={`0 0 ${W} ${steps.length * rowH + 4}`} aria-hidden="true" focusable="false">
        {steps.map((s, i) => (
          <g key={s.label}>
            <text x={0} y={i * rowH + 22} class="axis">
              {s.label}
            </text>
            <rect x={140} y={i * rowH + 4} height={rowH - 8} width={Math.max(1, (W - 240) * s.share)} fill="#0b5cad" />
            <text x={146 + Math.max(1, (W - 240) * s.share)} y={i * rowH + 22} class="axis">
              {s.value}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}
