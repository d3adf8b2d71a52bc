/**
 * A few SVG primitives for the architecture diagram: escaped text, boxes,
 * arrows with labels. No layout here; render-svg.ts places things.
 */

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export const FONT = 'DejaVu Sans, Verdana, Arial, sans-serif';
/** Average advance of a character, as a fraction of the font size (measured: DejaVu Sans 0.52, bold 0.62; some margin for wider fonts). */
const CHAR_WIDTH = 0.56;
const BOLD_CHAR_WIDTH = 0.64;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function textWidth(text: string, size: number, bold = false): number {
  return text.length * size * (bold ? BOLD_CHAR_WIDTH : CHAR_WIDTH);
}

/**
 * Shorten text to fit a width. Names keep both ends (`statehouse-gov…payloads`),
 * prose keeps its start (`mode: 'end'`).
 */
/** The smallest legible size a name may shrink to rather than be cut. */
const MIN_NAME_SIZE = 7;

/**
 * A font size at which `text` fits `width`: names (buckets, tables, functions, models) are
 * evidence and are never cut; they shrink instead, down to MIN_NAME_SIZE, and past that
 * run over their box rather than lose characters.
 */
export function nameSize(text: string, width: number, size: number, o: { bold?: boolean } = {}): number {
  const fitting = width / (Math.max(1, text.length) * (o.bold ? BOLD_CHAR_WIDTH : CHAR_WIDTH));
  return Math.max(MIN_NAME_SIZE, Math.min(size, Math.floor(fitting * 10) / 10));
}

export function fit(text: string, width: number, size: number, o: { bold?: boolean; mode?: 'middle' | 'end' } = {}): string {
  const max = Math.floor(width / (size * (o.bold ? BOLD_CHAR_WIDTH : CHAR_WIDTH)));
  if (text.length <= max) return text;
  if (max <= 3) return text.slice(0, Math.max(0, max));
  if (o.mode === 'end') return `${text.slice(0, max - 1)}…`;
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  return `${text.slice(0, head)}…${tail > 0 ? text.slice(text.length - tail) : ''}`;
}

export interface TextOptions {
  readonly size?: number;
  readonly weight?: 'normal' | 'bold';
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly fill?: string;
  readonly italic?: boolean;
}

export function text(x: number, y: number, content: string, o: TextOptions = {}): string {
  const attrs = [
    `x="${x.toFixed(1)}"`,
    `y="${y.toFixed(1)}"`,
    `font-size="${o.size ?? 12}"`,
    o.weight === 'bold' ? 'font-weight="bold"' : '',
    o.anchor && o.anchor !== 'start' ? `text-anchor="${o.anchor}"` : '',
    `fill="${o.fill ?? '#1b1f24'}"`,
    o.italic ? 'font-style="italic"' : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

export interface RectOptions {
  readonly fill?: string;
  readonly stroke?: string;
  readonly dash?: string;
  readonly radius?: number;
  readonly strokeWidth?: number;
}

export function rect(b: Box, o: RectOptions = {}): string {
  return `<rect x="${b.x.toFixed(1)}" y="${b.y.toFixed(1)}" width="${b.w.toFixed(1)}" height="${b.h.toFixed(1)}" rx="${o.radius ?? 6}" fill="${o.fill ?? '#ffffff'}" stroke="${o.stroke ?? '#5f6b7a'}" stroke-width="${o.strokeWidth ?? 1.2}"${o.dash ? ` stroke-dasharray="${o.dash}"` : ''}/>`;
}

export interface LineStyle {
  readonly color: string;
  readonly dash?: string;
  readonly width?: number;
  /** Marker id for the arrow head. */
  readonly marker: string;
}

export function marker(id: string, color: string): string {
  return `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, s: LineStyle, arrow = true): string {
  return `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${s.color}" stroke-width="${s.width ?? 1.6}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}${arrow ? ` marker-end="url(#${s.marker})"` : ''}/>`;
}

/** A cubic curve that leaves and enters horizontally. */
export function curve(x1: number, y1: number, x2: number, y2: number, s: LineStyle, bend = 0.5): string {
  const dx = (x2 - x1) * bend;
  const d = `M${x1.toFixed(1)},${y1.toFixed(1)} C${(x1 + dx).toFixed(1)},${y1.toFixed(1)} ${(x2 - dx).toFixed(1)},${y2.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`;
  return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.6}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} marker-end="url(#${s.marker})"/>`;
}

/** A label on a white plate, so it reads over lines. */
export function label(x: number, y: number, content: string, color: string, size = 10): string {
  const w = textWidth(content, size) + 8;
  return `${rect({ x: x - w / 2, y: y - size + 1, w, h: size + 5 }, { fill: '#ffffff', stroke: color, radius: 3, strokeWidth: 0.6 })}${text(x, y + 1, content, { size, anchor: 'middle', fill: color })}`;
}
