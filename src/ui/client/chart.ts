// Small inline SVG charts. SVG geometry goes in attributes (x, y, width, points), which the page's
// Content-Security-Policy allows, while colours come from classes in the hashed stylesheet: no
// style attribute, no outside library.
const SVG_NS = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number>;

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  children: Array<SVGElement | string> = [],
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  Object.keys(attrs).forEach((name) => node.setAttribute(name, String(attrs[name])));
  children.forEach((child) =>
    node.append(typeof child === 'string' ? document.createTextNode(child) : child),
  );
  return node;
}

/** A tooltip that browsers show on hover and screen readers read: SVG's own <title>. */
export function tip(text: string): SVGTitleElement {
  return svg('title', {}, [text]);
}

export interface Point {
  x: number;
  y: number;
}

const W = 300;
const H = 80;

/** A line with its area below, scaled to the box; `label` names the chart for screen readers. */
export function areaChart(points: Point[], label: string, peakText: string): SVGSVGElement {
  const maxX = Math.max(...points.map((p) => p.x), 1);
  const minX = Math.min(...points.map((p) => p.x), 0);
  const maxY = Math.max(...points.map((p) => p.y), 1);
  const sx = (x: number): number => ((x - minX) / Math.max(maxX - minX, 1)) * W;
  const sy = (y: number): number => H - (y / maxY) * (H - 12);
  const line = points.map((p) => sx(p.x).toFixed(1) + ',' + sy(p.y).toFixed(1)).join(' ');
  const area = '0,' + H + ' ' + line + ' ' + W + ',' + H;
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart' }, [
    tip(label),
    svg('polygon', { points: area, class: 'chart-area' }),
    svg('polyline', { points: line, class: 'chart-line' }),
    svg('text', { x: 2, y: 10, class: 'chart-label' }, [peakText]),
  ]);
}

export interface Bar {
  value: number;
  /** A second measure drawn as a dot over the bar (e.g. duration beside bytes). */
  dot?: number;
  className: string;
  title: string;
}

/** One bar per item, oldest first, with an optional dot series on its own scale. */
export function barChart(bars: Bar[], label: string, legend: string[]): SVGSVGElement {
  const maxV = Math.max(...bars.map((b) => b.value), 1);
  const maxD = Math.max(...bars.map((b) => b.dot ?? 0), 1);
  const step = W / Math.max(bars.length, 1);
  const width = Math.max(2, step * 0.7);
  const top = 14;
  const nodes: SVGElement[] = [tip(label)];
  bars.forEach((b, i) => {
    const height = Math.max(1, (b.value / maxV) * (H - top));
    const x = i * step + (step - width) / 2;
    const group = svg('g', { class: 'chart-bar' }, [
      tip(b.title),
      svg('rect', {
        x: x.toFixed(1),
        y: (H - height).toFixed(1),
        width: width.toFixed(1),
        height: height.toFixed(1),
        class: b.className,
      }),
    ]);
    if (b.dot !== undefined)
      group.append(
        svg('circle', {
          cx: (x + width / 2).toFixed(1),
          cy: (H - (b.dot / maxD) * (H - top)).toFixed(1),
          r: 2.5,
          class: 'chart-dot',
        }),
      );
    nodes.push(group);
  });
  nodes.push(svg('text', { x: 2, y: 10, class: 'chart-label' }, [legend.join(' \u00b7 ')]));
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart' }, nodes);
}
