// The timeline's palettes (dark and light) and what the tracks look colours up by: an op kind's colour,
// its name, and its 32-bit pixel value for the strip layer.
import { OP_KINDS } from '../../protocol/timeline.js';
import { MIXED_KIND } from './lane-columns.js';

export interface Theme {
  bg: string;
  laneAlt: string;
  text: string;
  muted: string;
  grid: string;
  selection: string;
  arrow: string;
  kinds: string[];
  mixed: string;
}

export const DARK_THEME: Theme = {
  bg: '#101215',
  laneAlt: '#15181d',
  text: '#e6e8eb',
  muted: '#a2a9b4',
  grid: '#2a2f38',
  selection: '#ffbf47',
  arrow: '#ff7ab6',
  // OP_KINDS order: kernel, copy, fill, barrier, event-record, event-wait, event-reset, timestamp.
  kinds: ['#5aa9ff', '#4cc38a', '#e0a341', '#8b93a1', '#b98cff', '#ff7ab6', '#3ec7c7', '#d7dbe0', '#c9a0dc'],
  mixed: '#7c8799',
};
export const LIGHT_THEME: Theme = {
  bg: '#ffffff',
  laneAlt: '#f3f5f8',
  text: '#1b1f24',
  muted: '#59616d',
  grid: '#dde1e7',
  selection: '#b35c00',
  arrow: '#c2185b',
  kinds: ['#1f6fd1', '#1f8a55', '#b7791f', '#6b7280', '#7c4dff', '#c2185b', '#0e8585', '#3b4350', '#8e5aa8'],
  mixed: '#8a94a6',
};

export function kindName(code: number): string {
  return code === MIXED_KIND ? 'several' : (OP_KINDS[code] ?? 'kernel');
}

export function kindColour(theme: Theme, kind: number): string {
  return kind === MIXED_KIND ? theme.mixed : (theme.kinds[kind] ?? theme.mixed);
}

/** '#rrggbb' → the pixel's 32-bit value (RGBA bytes, little-endian); undefined for other forms. */
export function pixelOf(colour: string): number | undefined {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (!m) return undefined;
  return (0xff000000 | (parseInt(m[3]!, 16) << 16) | (parseInt(m[2]!, 16) << 8) | parseInt(m[1]!, 16)) >>> 0;
}

/**
 * Per theme: each kind's pixel value (index: kind, 0–255; kinds without a colour of their own are the
 * mixed colour), or null when a colour has no pixel form (then no strips).
 */
const PIXEL_TABLES = new WeakMap<Theme, Uint32Array | null>();
export function pixelTable(theme: Theme): Uint32Array | null {
  let t = PIXEL_TABLES.get(theme);
  if (t === undefined) {
    t = new Uint32Array(256);
    for (let k = 0; k < 256; k++) {
      const v = pixelOf(kindColour(theme, k));
      if (v === undefined) {
        t = null;
        break;
      }
      t[k] = v;
    }
    PIXEL_TABLES.set(theme, t);
  }
  return t;
}
