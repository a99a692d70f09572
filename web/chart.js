// Small charts drawn as inline SVG by our own code (no library): horizontal bars, one row per
// label, and paired bars (two series per label, e.g. planned vs delivered).
//
// Each chart is an <svg role="img"> with a <title> (and a <desc> saying where the figures are
// as a table) that scales with its viewBox to the width of its container, so it reads on a
// 390 px phone as on a desktop; the caller shows the same numbers in a table. Colours and
// sizes are SVG attributes (the console's Content-Security-Policy allows no inline style).
// Every bar carries data-label and data-value (what tests and people copying it read) and a
// <title> of its own (a tooltip with the exact figure).

const svgNamespace = 'http://www.w3.org/2000/svg';
const labelHeight = 15;
const barHeight = 12;
const barGap = 3;
const rowGap = 10;
const valueSpace = 64; // room right of the longest bar for its figure
const fontSize = 12;
let chartCounter = 0;

// The viewBox's width: about the width the chart gets in this window when it is drawn (so its
// text is near 12 px on a phone and on a desktop); the SVG then scales with its container.
function chartWidth() {
  return Math.round(Math.min(480, Math.max(260, (window.innerWidth || 480) - 80)));
}

function node(tag, attributes = {}, ...children) {
  const element = document.createElementNS(svgNamespace, tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function shorten(text, characters) {
  return text.length > characters ? text.slice(0, characters - 1) + '…' : text;
}

// The chart frame: <svg> with its title and description, and a function adding rows.
function frame(title, description, rows, seriesCount, legend) {
  chartCounter += 1;
  const width = chartWidth();
  const id = 'chart-' + chartCounter;
  const legendHeight = legend.length ? labelHeight + 6 : 0;
  const rowHeight = labelHeight + seriesCount * barHeight + (seriesCount - 1) * barGap + rowGap;
  const height = legendHeight + Math.max(1, rows) * rowHeight;
  const svg = node('svg', {
    class: 'chart',
    viewBox: `0 0 ${width} ${height}`,
    width: '100%',
    preserveAspectRatio: 'xMinYMin meet',
    role: 'img',
    'aria-labelledby': id + '-title ' + id + '-desc',
    'font-size': fontSize,
    'font-family': 'system-ui, "Noto Sans", "DejaVu Sans", sans-serif',
  },
  node('title', { id: id + '-title' }, title),
  node('desc', { id: id + '-desc' }, description));
  let x = 0;
  for (const entry of legend) {
    svg.append(node('rect', { x, y: 2, width: 10, height: 10, fill: entry.colour }));
    const text = node('text', { x: x + 14, y: 11, fill: '#1b1f24' }, entry.name);
    svg.append(text);
    x += 24 + entry.name.length * fontSize * 0.55;
  }
  return { svg, legendHeight, rowHeight, width, characters: Math.floor(width / (fontSize * 0.6)) };
}

function bar(y, length, colour, label, value, valueText, seriesName) {
  const group = node('g', {});
  const rect = node('rect', {
    x: 0, y, width: Math.max(length, value > 0 ? 1 : 0), height: barHeight, fill: colour,
    'data-label': label, 'data-value': value, 'data-series': seriesName,
  }, node('title', {}, (seriesName ? seriesName + ' — ' : '') + label + ': ' + valueText));
  group.append(rect);
  group.append(node('text', { x: length + 4, y: y + barHeight - 2, fill: '#1b1f24' }, valueText));
  return group;
}

// One bar per label. options: { title, description, labels, values, format(value) -> text,
// max (the scale's end; the largest value when absent), colour, name (data-chart) }.
export function barChart({ title, description, labels, values, format = String, max, colour = '#0b5cad', name }) {
  const { svg, legendHeight, rowHeight, width, characters } = frame(title, description, labels.length, 1, []);
  if (name) svg.dataset.chart = name;
  const end = max ?? Math.max(0, ...values);
  const scale = end > 0 ? (width - valueSpace) / end : 0;
  labels.forEach((label, index) => {
    const top = legendHeight + index * rowHeight;
    svg.append(node('text', { x: 0, y: top + labelHeight - 4, fill: '#5b6570' }, shorten(label, characters)));
    svg.append(bar(top + labelHeight, values[index] * scale, colour, label, values[index], format(values[index])));
  });
  return svg;
}

// Two bars per label, one for each of series [{ name, values, colour }, { ... }].
// options: { title, description, labels, series, format(value) -> text, name, flagged(index) }:
// a flagged label's name is drawn in the warning colour.
export function pairedBarChart({ title, description, labels, series, format = String, name, flagged = () => false }) {
  const { svg, legendHeight, rowHeight, width, characters } = frame(title, description, labels.length, series.length, series);
  if (name) svg.dataset.chart = name;
  const end = Math.max(0, ...series.flatMap((entry) => entry.values));
  const scale = end > 0 ? (width - valueSpace) / end : 0;
  labels.forEach((label, index) => {
    const top = legendHeight + index * rowHeight;
    svg.append(node('text', { x: 0, y: top + labelHeight - 4, fill: flagged(index) ? '#8a4b00' : '#5b6570', 'font-weight': flagged(index) ? 'bold' : undefined }, shorten(label, characters)));
    series.forEach((entry, which) => {
      const y = top + labelHeight + which * (barHeight + barGap);
      const value = entry.values[index];
      svg.append(bar(y, value * scale, entry.colour, label, value, format(value), entry.name));
    });
  });
  return svg;
}
