/*
 * A line chart as a standalone SVG, written by hand: axes, ticks, one
 * polyline per series and a legend. Enough for a README plot without a
 * plotting dependency.
 */

export interface Series {
  name: string;
  color: string;
  /** [x, y] points, x ascending. */
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
}

/** 1, 2 or 5 times a power of ten: a tick step that reads well. */
function niceStep(span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks);
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

const escape = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const label = (value: number): string => (Math.abs(value) >= 1000 ? `${value / 1000}k` : String(Number(value.toFixed(2))));

export function lineChart(chart: Chart): string {
  const width = chart.width ?? 760;
  const height = chart.height ?? 440;
  const margin = { left: 70, right: 190, top: 40, bottom: 55 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const xs = chart.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = chart.series.flatMap((s) => s.points.map(([, y]) => y));
  const xMax = Math.max(1, ...xs);
  const yStep = niceStep(Math.max(1e-9, ...ys), 5);
  const yMax = Math.max(yStep, Math.ceil(Math.max(0, ...ys) / yStep) * yStep);
  const xStep = niceStep(xMax, 5);
  const px = (x: number): number => margin.left + (x / xMax) * plotW;
  const py = (y: number): number => margin.top + plotH - (Math.max(0, y) / yMax) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="24" font-size="15" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    out.push(`<line x1="${margin.left}" y1="${py(y).toFixed(1)}" x2="${margin.left + plotW}" y2="${py(y).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${margin.left - 8}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end" fill="#444">${label(y)}</text>`);
  }
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    out.push(`<line x1="${px(x).toFixed(1)}" y1="${margin.top + plotH}" x2="${px(x).toFixed(1)}" y2="${margin.top + plotH + 5}" stroke="#444"/>`);
    out.push(`<text x="${px(x).toFixed(1)}" y="${margin.top + plotH + 19}" text-anchor="middle" fill="#444">${label(x)}</text>`);
  }
  out.push(
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#444"/>`,
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#444"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
    `<text x="18" y="${margin.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${margin.top + plotH / 2})">${escape(chart.yLabel)}</text>`,
  );
  chart.series.forEach((series, index) => {
    const points = series.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline fill="none" stroke="${series.color}" stroke-width="2"${dash} points="${points}"/>`);
    const ly = margin.top + 10 + index * 22;
    const lx = margin.left + plotW + 16;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${series.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${escape(series.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
