// The timeline canvas and its overview strip. Draws in requestAnimationFrame only when something
// changed (new spans, zoom/pan, selection, size, theme). Interaction: wheel zooms around the cursor,
// drag pans, click selects, W/S zoom and A/D pan (Perfetto), F fits, hover shows a tooltip.
import { useEffect, useRef } from 'react';
import { formatBandwidth, formatDuration } from './axis.js';
import type { TimelineController } from './controller.js';
import { drawTimeline, type LabelLayer } from './draw.js';
import { OVERVIEW_H, OverviewTrack } from './overview-track.js';
import type { StripLayer } from './span-track.js';
import { DARK_THEME, kindName, LIGHT_THEME, type Theme } from './theme.js';
import { GUTTER_W, type TrackLayout } from './track-layout.js';
import { isTyping } from '../keys.js';

function currentTheme(): Theme {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: light)').matches
    ? LIGHT_THEME
    : DARK_THEME;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function TimelineCanvas({ controller }: { controller: TimelineController }) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const overviewRef = useRef<HTMLCanvasElement>(null);
  const tipRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const wrap = wrapRef.current!,
      canvas = canvasRef.current!,
      overview = overviewRef.current!,
      tip = tipRef.current!;
    const ctx = canvas.getContext('2d', { alpha: false });
    const octx = overview.getContext('2d', { alpha: false });
    if (!ctx || !octx) return;
    let theme = currentTheme();
    let width = 0,
      height = 0,
      viewH = 0,
      dpr = 1;
    /** The tracks as the last frame drew them: what the pointer is over until the next frame. */
    let drawn: TrackLayout | null = null;
    let lastVersion = -1;
    let forced = true;
    let raf = 0;
    const c = controller;
    const overviewTrack = new OverviewTrack(document.createElement('canvas'));
    const labels: LabelLayer = { canvas: document.createElement('canvas'), key: '' };
    const strips: StripLayer = { canvas: document.createElement('canvas') };

    /** Canvas as wide as the plot and as tall as the lanes need (the plot scrolls vertically). */
    const size = (h: number) => {
      height = h;
      canvas.width = Math.floor(width * dpr);
      canvas.height = Math.floor(height * dpr);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
      forced = true;
    };
    const resize = () => {
      dpr = window.devicePixelRatio || 1;
      width = Math.max(1, Math.floor(wrap.clientWidth));
      viewH = Math.max(120, Math.floor(wrap.clientHeight));
      size(Math.max(viewH, c.layout().height));
      overview.width = Math.floor(width * dpr);
      overview.height = Math.floor(OVERVIEW_H * dpr);
      overview.style.width = `${width}px`;
      overview.style.height = `${OVERVIEW_H}px`;
    };
    const frame = () => {
      raf = requestAnimationFrame(frame);
      // (A skipped overview refresh — see below — also brings the next frame once it is due.)
      if (
        !forced &&
        !c.dirty &&
        lastVersion === c.store.version &&
        !overviewTrack.refreshDue(c.store, performance.now())
      )
        return;
      const layout = c.layout();
      const need = Math.max(viewH, layout.height);
      if (need !== height) size(need);
      const t = performance.now();
      forced = false;
      c.dirty = false;
      lastVersion = c.store.version;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      const origin = Number.isFinite(c.store.minStart) ? c.store.minStart : 0;
      const stats = drawTimeline(ctx, c.store, c.view, {
        width,
        height,
        theme,
        origin,
        selected: c.selected,
        scrollY: 0,
        axisTop: wrap.scrollTop,
        viewHeight: viewH,
        labels,
        dpr,
        strips,
        highlight: c.highlight,
        layout,
        now: t,
      });
      drawn = stats.layout;
      // The overview's lanes only change with the data, size or theme: cached in the track, with the
      // window box on top. While data streams in (only the version changed), its content is redrawn at
      // most every OVERVIEW_REFRESH_MS — a 40 px strip of the whole capture need not track every batch,
      // and redrawing all lanes on every frame of a live capture doubled the frame's draw time.
      octx.setTransform(dpr, 0, 0, dpr, 0, 0);
      overviewTrack.render(
        {
          ctx: octx,
          store: c.store,
          view: c.view,
          theme,
          width,
          plotX: 0,
          plotW: width,
          nsPerPx: (c.view.t1 - c.view.t0) / width,
          dpr,
          now: t,
          selected: c.selected,
          strips: null,
          out: { drawnRects: 0, selection: null },
        },
        0,
      );
      const h = c.hook;
      h.spanCount = c.store.spanCount;
      h.maxEndNs = c.store.maxEnd;
      h.frameAtMs = performance.timeOrigin + performance.now();
      h.lanes = c.store.lanes.size;
      h.visibleRange = [c.view.t0, c.view.t1];
      h.drawnRects = stats.drawnRects;
      h.arrows = stats.arrows;
      h.frames++;
      h.lastFrameMs = performance.now() - t;
      canvas.dataset.frames = String(h.frames);
    };

    const plotX = (clientX: number) => {
      const r = canvas.getBoundingClientRect();
      return clientX - r.left - GUTTER_W;
    };
    const plotW = () => Math.max(1, width - GUTTER_W);
    /** The span under the pointer, through the track there (as the last frame drew them). */
    const hit = (clientX: number, clientY: number): { lane: number; index: number } | null => {
      const r = canvas.getBoundingClientRect();
      const h = c.hitTest(clientX - r.left, clientY - r.top, plotW(), drawn ?? undefined);
      return h?.kind === 'span' ? h : null;
    };

    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        c.pan(((e.deltaX || e.deltaY) / plotW()) * 1);
        return;
      }
      const fx = Math.min(1, Math.max(0, plotX(e.clientX) / plotW()));
      const delta = e.deltaMode === 1 ? e.deltaY * 33 : e.deltaY;
      c.zoom(fx, Math.exp(Math.max(-1, Math.min(1, delta * 0.002))));
    };
    let drag: { x: number; t0: number; t1: number; moved: boolean; id: number } | null = null;
    const onDown = (e: PointerEvent) => {
      if (e.button !== 0) return;
      // No scrolling into view: the pointer would then be over another spot when it is released.
      canvas.focus({ preventScroll: true });
      drag = { x: e.clientX, t0: c.view.t0, t1: c.view.t1, moved: false, id: e.pointerId };
      canvas.setPointerCapture(e.pointerId);
    };
    const onMove = (e: PointerEvent) => {
      if (drag && drag.id === e.pointerId) {
        const dx = e.clientX - drag.x;
        if (Math.abs(dx) > 3) drag.moved = true;
        if (drag.moved) {
          const dt = (dx / plotW()) * (drag.t1 - drag.t0);
          c.setView({ t0: drag.t0 - dt, t1: drag.t1 - dt });
          tip.hidden = true;
          return;
        }
      }
      const h = hit(e.clientX, e.clientY);
      if (!h) {
        tip.hidden = true;
        return;
      }
      const lane = c.store.lanes.get(h.lane)!;
      const s = lane.start[h.index]!,
        en = lane.end[h.index]!,
        sub = lane.submit[h.index]!,
        bytes = lane.bytes[h.index]!;
      tip.innerHTML =
        `<strong>${esc(c.store.nameOf(lane.name[h.index]!))}</strong><br>` +
        `${esc(kindName(lane.kind[h.index]!))} · ${esc(formatDuration(en - s))}` +
        `<br>queued ${esc(formatDuration(s - sub))}` +
        (bytes > 0 ? `<br>${esc(String(bytes))} B · ${esc(formatBandwidth(bytes, en - s))}` : '');
      const r = wrap.getBoundingClientRect();
      const x = Math.min(e.clientX - r.left + 14, r.width - 260);
      tip.style.transform = `translate(${Math.max(0, x)}px, ${e.clientY - r.top + wrap.scrollTop + 14}px)`;
      tip.hidden = false;
    };
    const onUp = (e: PointerEvent) => {
      if (!drag || drag.id !== e.pointerId) return;
      const wasDrag = drag.moved;
      drag = null;
      if (wasDrag) return;
      const h = hit(e.clientX, e.clientY);
      if (h) c.select(h.lane, h.index);
      else c.clearSelection();
    };
    const onLeave = () => {
      tip.hidden = true;
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const k = e.key.toLowerCase();
      if (k === 'w') c.zoom(0.5, 0.8);
      else if (k === 's') c.zoom(0.5, 1.25);
      else if (k === 'a') c.pan(-0.15);
      else if (k === 'd') c.pan(0.15);
      else if (k === 'f') c.fit();
      else if (k === 'escape') c.clearSelection();
      else return;
      e.preventDefault();
    };
    const onOverview = (e: MouseEvent) => {
      const r = overview.getBoundingClientRect();
      const h = overviewTrack.hitTest(e.clientX - r.left, e.clientY - r.top, {
        store: c.store,
        view: c.view,
        plotW: r.width,
      });
      if (h?.kind === 'time') c.centerOn(h.t);
    };
    const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: light)') : null;
    const onTheme = () => {
      theme = currentTheme();
      forced = true;
    };

    const onScroll = () => {
      forced = true;
    };
    resize();
    const ro = new ResizeObserver(resize);
    wrap.addEventListener('scroll', onScroll, { passive: true });
    ro.observe(wrap);
    canvas.addEventListener('wheel', onWheel, { passive: false });
    canvas.addEventListener('pointerdown', onDown);
    canvas.addEventListener('pointermove', onMove);
    canvas.addEventListener('pointerup', onUp);
    canvas.addEventListener('pointerleave', onLeave);
    window.addEventListener('keydown', onKey);
    overview.addEventListener('click', onOverview);
    media?.addEventListener('change', onTheme);
    raf = requestAnimationFrame(frame);
    return () => {
      cancelAnimationFrame(raf);
      ro.disconnect();
      wrap.removeEventListener('scroll', onScroll);
      canvas.removeEventListener('wheel', onWheel);
      canvas.removeEventListener('pointerdown', onDown);
      canvas.removeEventListener('pointermove', onMove);
      canvas.removeEventListener('pointerup', onUp);
      canvas.removeEventListener('pointerleave', onLeave);
      window.removeEventListener('keydown', onKey);
      overview.removeEventListener('click', onOverview);
      media?.removeEventListener('change', onTheme);
    };
  }, [controller]);

  return (
    <div className="timeline-canvas-wrap">
      <canvas
        ref={overviewRef}
        className="timeline-overview"
        data-testid="timeline-overview"
        aria-label="Overview of the whole capture; click to move the view there"
      />
      <div className="timeline-plot" ref={wrapRef}>
        <canvas
          ref={canvasRef}
          className="timeline-canvas"
          data-testid="timeline-canvas"
          tabIndex={0}
          role="img"
          aria-label="Timeline: one lane per stream, grouped by device and engine. W/S zoom, A/D pan, F fits, click selects."
        />
        <div ref={tipRef} className="timeline-tooltip" data-testid="timeline-tooltip" hidden role="tooltip" />
      </div>
    </div>
  );
}
