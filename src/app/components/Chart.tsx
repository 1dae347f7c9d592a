/**
 * A plotly chart. Plotly comes from its cartesian partial bundle (the trace types the lab draws: scatter, bar,
 * box, heatmap; 1.5 MB instead of the full 4.8 MB) and is imported lazily, so the lab paints before it
 * arrives; until a chart has drawn, its box says "loading chart…".
 */
import { useEffect, useRef, useState } from 'react';

export type Trace = Record<string, unknown>;
export type Layout = Record<string, unknown>;
interface PlotlyLike {
  react(el: HTMLElement, data: Trace[], layout: Layout, config: Record<string, unknown>): Promise<unknown>;
  purge(el: HTMLElement): void;
}
type PlotEl = HTMLDivElement & { on?(event: string, cb: (e: { points: { x: unknown; y: unknown }[] }) => void): void; removeAllListeners?(event: string): void };

let plotly: Promise<PlotlyLike> | null = null;
const loadPlotly = () => (plotly ??= import('plotly.js-cartesian-dist-min').then((m) => ((m as { default?: unknown }).default ?? m) as PlotlyLike));

/**
 * Starts fetching and parsing plotly once the browser is idle after the first paint, so the first chart
 * (usually the separation chart after Build vector) draws as soon as its data exists instead of waiting for it.
 */
export function warmCharts(): void {
  const go = () => { loadPlotly().catch(() => { plotly = null; /* retried by the first chart */ }); };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(go, { timeout: 3000 }); else setTimeout(go, 500);
}

export const chartTheme = (extra: Layout = {}): Layout => ({
  paper_bgcolor: 'rgba(0,0,0,0)',
  plot_bgcolor: 'rgba(0,0,0,0)',
  font: { family: 'ui-monospace, SFMono-Regular, Menlo, monospace', size: 11, color: '#8b95a7' },
  margin: { l: 44, r: 12, t: 8, b: 32 },
  xaxis: { gridcolor: '#1c2330', zerolinecolor: '#2a3344', ...((extra.xaxis as object) ?? {}) },
  yaxis: { gridcolor: '#1c2330', zerolinecolor: '#2a3344', ...((extra.yaxis as object) ?? {}) },
  showlegend: false,
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'xaxis' && k !== 'yaxis')),
});

/** `onClickX` gets a clicked point's numeric x; `onClickPoint` its x and y as plotly gives them (a heatmap cell). */
export function Chart({ data, layout, height, onClickX, onClickPoint, label }: { data: Trace[]; layout: Layout; height: number; onClickX?: (x: number) => void; onClickPoint?: (x: unknown, y: unknown) => void; label: string }) {
  const ref = useRef<PlotEl>(null);
  const click = useRef(onClickX);
  click.current = onClickX;
  const clickPoint = useRef(onClickPoint);
  clickPoint.current = onClickPoint;
  const [state, setState] = useState<'loading' | 'drawn' | 'failed'>('loading');

  useEffect(() => {
    let alive = true;
    const el = ref.current;
    if (!el) return;
    loadPlotly().then((P) => {
      if (!alive) return;
      void P.react(el, data, { ...layout, height, autosize: true }, { displayModeBar: false, responsive: true }).then(() => {
        if (alive) setState('drawn');
        el.removeAllListeners?.('plotly_click');
        el.on?.('plotly_click', (e) => {
          const p = e.points[0];
          if (p) clickPoint.current?.(p.x, p.y);
          const x = Number(p?.x);
          if (Number.isFinite(x)) click.current?.(x);
        });
      });
    }).catch(() => { if (alive) setState('failed'); /* the numbers stay visible in the panels */ });
    return () => { alive = false; };
  }, [data, layout, height]);

  useEffect(() => () => { const el = ref.current; if (el) void loadPlotly().then((P) => P.purge(el)); }, []);
  // Plotly owns the .chart element's children; the loading note is its sibling, laid over it.
  return (
    <div className="chart-box" style={{ height }}>
      <div ref={ref} className="chart" style={{ height }} role="img" aria-label={label} />
      {state !== 'drawn' && <div className="chart-loading muted small" role="status">{state === 'loading' ? 'loading chart…' : 'the chart library could not load; the numbers are in the panel'}</div>}
    </div>
  );
}
