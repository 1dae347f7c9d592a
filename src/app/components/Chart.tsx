/** A plotly chart, loaded lazily (plotly is ~3.5 MB; the lab should paint before it arrives). */
import { useEffect, useRef } from 'react';

export type Trace = Record<string, unknown>;
export type Layout = Record<string, unknown>;
interface PlotlyLike {
  react(el: HTMLElement, data: Trace[], layout: Layout, config: Record<string, unknown>): Promise<unknown>;
  purge(el: HTMLElement): void;
}
type PlotEl = HTMLDivElement & { on?(event: string, cb: (e: { points: { x: unknown }[] }) => void): void; removeAllListeners?(event: string): void };

let plotly: Promise<PlotlyLike> | null = null;
const loadPlotly = () => (plotly ??= import('plotly.js-dist-min').then((m) => ((m as { default?: unknown }).default ?? m) as PlotlyLike));

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

export function Chart({ data, layout, height, onClickX, label }: { data: Trace[]; layout: Layout; height: number; onClickX?: (x: number) => void; label: string }) {
  const ref = useRef<PlotEl>(null);
  const click = useRef(onClickX);
  click.current = onClickX;

  useEffect(() => {
    let alive = true;
    const el = ref.current;
    if (!el) return;
    loadPlotly().then((P) => {
      if (!alive) return;
      void P.react(el, data, { ...layout, height, autosize: true }, { displayModeBar: false, responsive: true }).then(() => {
        el.removeAllListeners?.('plotly_click');
        el.on?.('plotly_click', (e) => { const x = Number(e.points[0]?.x); if (Number.isFinite(x)) click.current?.(x); });
      });
    }).catch(() => { /* the chart is optional; the numbers stay visible in the panels */ });
    return () => { alive = false; };
  }, [data, layout, height]);

  useEffect(() => () => { const el = ref.current; if (el) void loadPlotly().then((P) => P.purge(el)); }, []);
  return <div ref={ref} className="chart" style={{ height }} role="img" aria-label={label} />;
}
