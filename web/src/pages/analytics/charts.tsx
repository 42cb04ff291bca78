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

/** The value axis: a grid line and a label at each tick (the bar chart and the waterfall). */
function YGrid({ ticks, y, format }: { ticks: number[]; y: (v: number) => number; format: (n: number) => string }): JSX.Element {
  return (
    <>
      {ticks.map((v) => (
        <g key={v}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} class="grid" />
          <text x={PAD.left - 6} y={y(v) + 4} text-anchor="end" class="axis">
            {format(v)}
          </text>
        </g>
      ))}
    </>
  );
}

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
        <YGrid ticks={ticks} y={y} format={format} />
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

/** One bar of a waterfall: a total stands on zero and becomes the running figure, a step down
 * hangs from the running figure and lowers it, an aside stands on zero apart from the run (a
 * figure shown beside it, not added to it: outlined, after a dashed divider). */
export interface Step {
  key: string;
  label: string;
  value: number;
  kind: "total" | "down" | "aside";
  color: string;
}

/** Where each bar of a waterfall starts and ends (in the figures' unit), in order, and the
 * running figure after it. */
export function waterfallSpans(steps: Step[]): { lo: number; hi: number; run: number }[] {
  let run = 0;
  return steps.map((s) => {
    if (s.kind === "down") {
      const span = { lo: Math.min(run - s.value, run), hi: Math.max(run - s.value, run), run: run - s.value };
      run -= s.value;
      return span;
    }
    if (s.kind === "total") run = s.value;
    return { lo: Math.min(0, s.value), hi: Math.max(0, s.value), run };
  });
}

export function Waterfall({ steps, format, minStep }: { steps: Step[]; format: (n: number) => string; minStep: number }): JSX.Element {
  const spans = waterfallSpans(steps);
  const top = Math.max(0, ...spans.map((s) => s.hi));
  const bottom = Math.min(0, ...spans.map((s) => s.lo));
  const step = niceStep((top - bottom) / 4, minStep);
  // room above the highest bar for its value (a tenth of the plot's height)
  const max = Math.max(step, Math.ceil((top + (top - bottom) / 9) / step) * step);
  const min = Math.floor(bottom / step) * step;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v: number): number => PAD.top + ((max - v) / (max - min)) * plotH;
  const slot = plotW / Math.max(1, steps.length);
  const barW = Math.min(90, slot * 0.6);
  const ticks = Array.from({ length: Math.round((max - min) / step) + 1 }, (_, i) => min + i * step);
  const firstAside = steps.findIndex((s) => s.kind === "aside");
  return (
    <div class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} aria-hidden="true" focusable="false">
        <YGrid ticks={ticks} y={y} format={format} />
        {firstAside > 0 && <line x1={PAD.left + firstAside * slot} x2={PAD.left + firstAside * slot} y1={PAD.top} y2={H - PAD.bottom + 30} class="divider" />}
        {steps.map((s, i) => {
          const x0 = PAD.left + i * slot + (slot - barW) / 2;
          const { lo, hi } = spans[i];
          // a connector at the running figure, to the next bar of the run
          const next = s.kind !== "aside" && i + 1 < steps.length && steps[i + 1].kind !== "aside" ? spans[i].run : null;
          return (
            <g key={s.key} data-step={s.key}>
              <rect
                x={x0}
                width={barW}
                y={y(hi)}
                height={Math.max(1, y(lo) - y(hi))}
                fill={s.kind === "aside" ? "#fff" : s.color}
                stroke={s.color}
                stroke-width={s.kind === "aside" ? 2 : 0}
                stroke-dasharray={s.kind === "aside" ? "6 3" : undefined}
              />
              {next !== null && <line x1={x0 + barW} x2={x0 + slot} y1={y(next)} y2={y(next)} class="connector" />}
              <text x={x0 + barW / 2} y={y(hi) - 6} text-anchor="middle" class="value">
                {s.kind === "down" && s.value > 0 ? `−${format(s.value)}` : format(s.value)}
              </text>
              <text x={x0 + barW / 2} y={H - PAD.bottom + 16} text-anchor="middle" class="axis">
                {s.label}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

/** One horizontal bar a row, its width a share (0-1) of the plot: each provider's utilisation. */
export function ShareBars({ rows, format }: { rows: { key: string; label: string; share: number | null }[]; format: (share: number | null) => string }): JSX.Element {
  const rowH = 24;
  const labelW = 230;
  const plotW = W - labelW - 70;
  return (
    <div class="chart">
      <svg viewBox={`0 0 ${W} ${rows.length * rowH + 24}`} aria-hidden="true" focusable="false">
        {[0, 0.25, 0.5, 0.75, 1].map((t) => (
          <g key={t}>
            <line x1={labelW + t * plotW} x2={labelW + t * plotW} y1={0} y2={rows.length * rowH} class="grid" />
            <text x={labelW + t * plotW} y={rows.length * rowH + 16} text-anchor="middle" class="axis">
              {format(t)}
            </text>
          </g>
        ))}
        {rows.map((r, i) => {
          const w = r.share === null ? 0 : Math.min(Math.max(r.share, 0), 1) * plotW;
          return (
            <g key={r.key} data-row={r.key}>
              <text x={labelW - 8} y={i * rowH + 16} text-anchor="end" class="axis">
                {r.label.length > 32 ? `${r.label.slice(0, 31)}…` : r.label}
              </text>
              <rect x={labelW} y={i * rowH + 4} height={rowH - 8} width={Math.max(w, r.share === null ? 0 : 1)} fill="#0b5cad" />
              <text x={labelW + w + 6} y={i * rowH + 16} class="axis">
                {format(r.share)}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
