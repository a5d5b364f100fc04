import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { SloHistory } from './types.js';
import { burnLegend, burnRange, burnTick, historyColumns, thresholdLines } from './view.js';

const SEVERITY_COLOURS: Record<string, string> = { page: '#c62828', ticket: '#ef8f00' };

/**
 * The SLI (left axis, %) and burn rate (right axis, logarithmic) of an SLO, with each alert tier's factor as a
 * dashed line.
 */
export function HistoryChart({ history }: { history: SloHistory }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const lines = thresholdLines(history);
    const drawThresholds = (u: uPlot) => {
      const { ctx, bbox } = u;
      ctx.save();
      ctx.setLineDash([6, 4]);
      ctx.font = `${Math.round(11 * devicePixelRatio)}px sans-serif`;
      for (const line of lines) {
        const y = u.valToPos(line.value, 'burn', true);
        if (y < bbox.top || y > bbox.top + bbox.height) continue;
        ctx.strokeStyle = SEVERITY_COLOURS[line.severity] ?? '#555';
        ctx.fillStyle = ctx.strokeStyle;
        ctx.beginPath();
        ctx.moveTo(bbox.left, y);
        ctx.lineTo(bbox.left + bbox.width, y);
        ctx.stroke();
        ctx.fillText(line.label, bbox.left + 4, y - 3);
      }
      ctx.restore();
    };
    const burnAxis = burnRange(history);
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 320,
        scales: {
          x: { time: true },
          sli: { range: (_u, min, _max) => [Math.min(min ?? 99, 99), 100] },
          burn: { distr: 3, log: 10, range: () => burnAxis },
        },
        axes: [
          {},
          { scale: 'sli', label: 'SLI %' },
          {
            scale: 'burn',
            side: 1,
            label: 'burn rate',
            grid: { show: false },
            values: (_u, splits) => splits.map(burnTick),
          },
        ],
        series: [
          {},
          {
            label: 'SLI %',
            scale: 'sli',
            stroke: '#1565c0',
            width: 2,
            spanGaps: false,
            points: { show: true, size: 5 },
          },
          {
            label: 'burn rate',
            scale: 'burn',
            value: (_u, value) => burnLegend(value),
            stroke: '#6a1b9a',
            width: 1.5,
            spanGaps: false,
            points: { show: true, size: 5 },
          },
        ],
        hooks: { draw: [drawThresholds] },
      },
      historyColumns(history),
      element,
    );
    const resize = () => plot.setSize({ width: Math.max(280, element.clientWidth), height: 320 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [history]);
  return (
    <div
      ref={box}
      class="chart"
      role="img"
      aria-label={`SLI and burn rate of ${history.name} over ${history.window}`}
    />
  );
}
