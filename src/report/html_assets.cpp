#include "report/html_assets.hpp"

namespace ss::report {

const char* const kReportCss = R"css(
:root { color-scheme: light; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb;
  --ok: #16a34a; --bad: #dc2626; --part: #d97706; --blue: #2563eb; --violet: #7c3aed; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
  background: #f8fafc; }
main { max-width: 1440px; margin: 0 auto; padding: 18px 20px 40px; }
h1 { font-size: 22px; margin: 0 0 2px; }
h1 .what { color: var(--muted); font-weight: 400; }
h2 { font-size: 16px; margin: 26px 0 8px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.sub { color: var(--muted); margin: 0 0 12px; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
  margin: 14px 0; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 4px 22px;
  margin: 0; }
dl.facts div { display: flex; gap: 8px; min-width: 0; }
dl.facts div.wide { grid-column: 1 / -1; }
dl.facts dt { color: var(--muted); white-space: nowrap; }
dl.facts dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px;
  overflow-wrap: anywhere; }
ul.chips { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 8px; }
ul.chips li { border-radius: 999px; padding: 3px 11px; background: #eef2ff; font-size: 13px; }
ul.chips li.bad { background: #fee2e2; } ul.chips li.ok { background: #dcfce7; }
ul.chips li.part { background: #fef3c7; }
ul.notes { margin: 8px 0 0; padding-left: 18px; color: #92400e; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 0 0 8px; }
.controls button { font: inherit; font-size: 13px; padding: 3px 10px; border: 1px solid #cbd5e1;
  border-radius: 6px; background: #fff; cursor: pointer; }
.controls button:hover { background: #f1f5f9; }
.controls button.on { background: var(--ink); color: #fff; border-color: var(--ink); }
.controls .hint { color: var(--muted); font-size: 12.5px; margin-left: 8px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 12.5px; color: var(--muted);
  margin: 6px 0 0; }
.legend i { display: inline-block; width: 12px; height: 10px; border-radius: 2px; margin-right: 5px;
  vertical-align: -1px; }
svg.timeline { width: 100%; height: auto; display: block; user-select: none; touch-action: none;
  cursor: grab; }
svg.timeline.dragging { cursor: grabbing; }
.plot-bg { fill: #fff; }
.lane-bg.even { fill: #f9fafb; } .lane-bg.odd { fill: #f1f5f9; }
.lane-label { text-anchor: end; fill: var(--ink); font-size: 11.5px; }
.lane-label.actions, .lane-label.leaks { font-weight: 600; }
.lane-label.agents { fill: var(--muted); font-style: italic; font-size: 10.5px; }
.grid { stroke: #cbd5e1; stroke-width: 0.6; }
.tick { fill: var(--muted); font-size: 10.5px; text-anchor: middle; }
.axis-note, .view-note { fill: var(--muted); font-size: 11px; }
.t0 { stroke: #111827; stroke-width: 1.6; }
.action-line.timeline { stroke: #111827; stroke-width: 1; stroke-dasharray: 4 3; }
.action-line.client { stroke: #0f766e; stroke-width: 1; stroke-dasharray: 4 3; }
.action-line.signal { stroke: var(--violet); stroke-width: 1; stroke-dasharray: 1 3; }
.action-label { font-size: 11px; font-weight: 600; fill: #111827; }
.leak-window { fill: rgba(220, 38, 38, 0.09); stroke: rgba(220, 38, 38, 0.35); stroke-width: 0.6; }
.m { stroke: none; }
.m:hover, .m.picked { stroke: #111827; stroke-width: 1.2; }
.m.action { fill: #111827; } .m.action.call { fill: rgba(17, 24, 39, 0.16); stroke: #111827;
  stroke-width: 0.8; } .m.signal { fill: var(--violet); }
.m.added { fill: var(--ok); } .m.removed { fill: var(--bad); } .m.changed { fill: var(--blue); }
.m.unannounced { fill: #ea580c; } .m.event { fill: #64748b; } .m.error { fill: var(--bad); }
.m.out { fill: var(--blue); } .m.in { fill: #93c5fd; } .m.out.leak { fill: var(--bad); }
.m.leakbin { fill: var(--bad); }
.m.before { fill: #cbd5e1; } .m.yes { fill: var(--ok); } .m.no { fill: var(--bad); }
.m.partial { fill: var(--part); } .m.other { fill: #94a3b8; }
.m.setup-failed { fill: #e5e7eb; stroke: #9ca3af; stroke-dasharray: 3 2; }
.m.silence { fill: #fde68a; } .m.echo { fill: #065f46; } .m.recovered { fill: #059669; }
.m.late-send { fill: var(--violet); }
#tip { position: fixed; z-index: 10; max-width: 560px; pointer-events: none; background: #111827;
  color: #f9fafb; padding: 6px 9px; border-radius: 6px; font: 12px/1.4 ui-monospace, monospace;
  white-space: pre-wrap; overflow-wrap: anywhere; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
.details { margin: 8px 0 0; min-height: 1.4em; font: 12px/1.4 ui-monospace, monospace;
  white-space: pre-wrap; overflow-wrap: anywhere; color: #334155; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
table.by-kind, table.per-action, table.queries { width: auto; min-width: 420px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; background: #f8fafc; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.mono, td .mono { font-family: ui-monospace, monospace; font-size: 12px; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-weight: 600; font-size: 12px;
  white-space: nowrap; }
.badge.yes, .badge.confirmed { background: #dcfce7; color: #166534; }
.badge.no, .badge.contradicted { background: #fee2e2; color: #991b1b; }
.badge.partial, .badge.depends { background: #fef3c7; color: #92400e; }
.badge.other, .badge.not-measured { background: #e5e7eb; color: #374151; }
details summary { cursor: pointer; color: var(--blue); }
table.events td { padding: 2px 8px; font-family: ui-monospace, monospace; font-size: 12px; }
#script-errors { color: var(--bad); font: 12px ui-monospace, monospace; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
)css";

const char* const kReportHeadScript = R"js(
(function () {
  'use strict';
  var root = document.documentElement;
  window.ssLog = function (text) {
    root.setAttribute('data-script-errors', String((+root.getAttribute('data-script-errors') || 0) + 1));
    var pre = document.getElementById('script-errors');
    if (pre) { pre.hidden = false; pre.textContent += text + '\n'; }
    else { (window.ssEarly = window.ssEarly || []).push(text); }
  };
  window.addEventListener('error', function (e) {
    window.ssLog('script error: ' + e.message + ' (line ' + e.lineno + ')');
  });
  window.addEventListener('unhandledrejection', function (e) {
    window.ssLog('unhandled rejection: ' + e.reason);
  });
  document.addEventListener('securitypolicyviolation', function (e) {
    window.ssLog('request blocked by the page policy: ' + e.violatedDirective + ' ' + e.blockedURI);
  });
})();
)js";

const char* const kReportScript = R"js(
(function () {
  'use strict';
  var root = document.documentElement;
  var tip = document.getElementById('tip');
  (window.ssEarly || []).forEach(function (t) { window.ssLog(t); });

  function label(t) {
    if (t === 0) return '0';
    var a = Math.abs(t), s = t < 0 ? '-' : '+';
    function n(v) { return String(+v.toPrecision(6)); }
    if (a < 1000) return s + n(a) + ' us';
    if (a < 1e6) return s + n(a / 1000) + ' ms';
    return s + n(a / 1e6) + ' s';
  }

  function setup(svg) {
    var L = +svg.dataset.left, W = +svg.dataset.plot, U = +svg.dataset.unit;
    var first = +svg.dataset.first, end = +svg.dataset.end;
    var view = { log: true, a: +svg.dataset.a, b: +svg.dataset.b };
    var home = { a: view.a, b: view.b };
    var NS = svg.namespaceURI;
    var section = svg.closest('section') || document.body;
    var details = section.querySelector('.details');
    var note = svg.querySelector('.view-note');
    var axisG = svg.querySelector('g.axis');
    var items = Array.prototype.slice.call(svg.querySelectorAll('[data-t]'));
    items.forEach(function (el) {
      var t = el.querySelector('title');
      if (t) { el.setAttribute('data-tip', t.textContent); el.removeChild(t); }
    });

    function S(t) { return view.log ? Math.sign(t) * Math.log10(1 + Math.abs(t) / U) : t; }
    function T(s) { return view.log ? Math.sign(s) * (Math.pow(10, Math.abs(s)) - 1) * U : s; }
    function X(t) {
      var x = L + (S(t) - view.a) / (view.b - view.a) * W;
      return Math.max(-1e6, Math.min(1e6, x));
    }

    function ticks() {
      var out = [], t, x0 = T(view.a), x1 = T(view.b);
      if (view.log) {
        var decade = W / (view.b - view.a);
        var mults = decade > 420 ? [1, 2, 5] : [1];
        out.push(0);
        for (var p = 1; p <= 1e11; p *= 10)
          mults.forEach(function (m) { out.push(p * m, -p * m); });
      } else {
        var raw = (x1 - x0) / (W / 95), mag = Math.pow(10, Math.floor(Math.log10(raw)));
        var step = [1, 2, 5, 10].map(function (m) { return m * mag; })
          .filter(function (s) { return s >= raw; })[0];
        for (t = Math.ceil(x0 / step); t * step <= x1; t++) out.push(+(t * step).toPrecision(12));
      }
      out = out.filter(function (t) { var x = X(t); return x >= L + 12 && x <= L + W - 12; });
      // Labels must not collide: t=0 first, then the farthest from it (log ticks crowd near 0).
      out.sort(function (p, q) { return p === 0 ? -1 : q === 0 ? 1 : Math.abs(q) - Math.abs(p); });
      var placed = [];
      return out.filter(function (t) {
        var x = X(t);
        if (placed.some(function (y) { return Math.abs(x - y) < 52; })) return false;
        placed.push(x);
        return true;
      });
    }

    function axis() {
      while (axisG.firstChild) axisG.removeChild(axisG.firstChild);
      var y = +axisG.dataset.y, top = +axisG.dataset.top, bottom = +axisG.dataset.bottom;
      ticks().forEach(function (t) {
        var x = X(t);
        var g = document.createElementNS(NS, 'line');
        g.setAttribute('class', 'grid');
        g.setAttribute('x1', x); g.setAttribute('x2', x);
        g.setAttribute('y1', top); g.setAttribute('y2', bottom);
        var tx = document.createElementNS(NS, 'text');
        tx.setAttribute('class', 'tick');
        tx.setAttribute('x', x); tx.setAttribute('y', y);
        tx.textContent = label(t);
        axisG.appendChild(g); axisG.appendChild(tx);
      });
    }

    function describe(cursor) {
      var text = (view.log ? 'symmetric log axis (linear within ' + U + ' us of t=0)' : 'linear axis') +
        ': ' + label(Math.round(T(view.a))) + ' to ' + label(Math.round(T(view.b)));
      if (cursor !== undefined) text += '  |  cursor ' + label(Math.round(cursor));
      note.textContent = text;
    }

    function layout() {
      for (var i = 0; i < items.length; i++) {
        var el = items[i], d = el.dataset, x = X(+d.t);
        if (el.tagName === 'line') { el.setAttribute('x1', x); el.setAttribute('x2', x); }
        else if (el.tagName === 'text') el.setAttribute('x', x + (+d.dx || 0));
        else if (d.t2 !== undefined) {
          el.setAttribute('x', x);
          el.setAttribute('width', Math.max(1, X(+d.t2) - x));
        } else {
          var w = +d.w || 3;
          el.setAttribute('x', x - w / 2);
        }
      }
      axis();
      describe();
      svg.setAttribute('data-view', (view.log ? 'log' : 'linear') + ':' +
        Math.round(T(view.a)) + ':' + Math.round(T(view.b)));
      var buttons = section.querySelectorAll('button[data-view="log"]');
      for (var b = 0; b < buttons.length; b++) {
        buttons[b].classList.toggle('on', view.log);
      }
    }

    function setView(log, t0, t1) {
      view.log = log;
      view.a = S(t0);
      view.b = S(t1);
      layout();
    }

    function preset(name) {
      var pad = (end - first) * 0.01;
      if (name === 'log') {
        var t0 = T(view.a), t1 = T(view.b);
        setView(!view.log, t0, t1);
      } else if (name === 'home') { view.log = true; view.a = home.a; view.b = home.b; layout(); }
      else if (name === '1ms') setView(false, -100, 1000);
      else if (name === '10ms') setView(false, -1000, 10000);
      else if (name === '100ms') setView(false, -10000, 100000);
      else if (name === 'window') setView(false, -end * 0.02, end * 1.01);
      else if (name === 'all') setView(false, first - pad, end + pad);
    }

    function pointer(e) {
      var pt = svg.createSVGPoint();
      pt.x = e.clientX; pt.y = e.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      return { x: p.x, s: view.a + (p.x - L) / W * (view.b - view.a) };
    }

    svg.addEventListener('wheel', function (e) {
      var p = pointer(e);
      if (p.x < L) return;
      e.preventDefault();
      var f = Math.exp(Math.max(-200, Math.min(200, e.deltaY)) * 0.0025);
      var a = p.s - (p.s - view.a) * f, b = p.s + (view.b - p.s) * f;
      if (b - a < (view.log ? 0.01 : 4)) return;
      view.a = a; view.b = b;
      layout();
    }, { passive: false });

    var drag = null;
    svg.addEventListener('pointerdown', function (e) {
      var p = pointer(e);
      if (p.x < L || e.button !== 0) return;
      drag = { x: p.x, a: view.a, b: view.b, moved: false };
      svg.setPointerCapture(e.pointerId);
    });
    svg.addEventListener('pointermove', function (e) {
      var p = pointer(e);
      if (drag) {
        var ds = (p.x - drag.x) / W * (drag.b - drag.a);
        if (Math.abs(p.x - drag.x) > 2) { drag.moved = true; svg.classList.add('dragging'); tip.hidden = true; }
        view.a = drag.a - ds; view.b = drag.b - ds;
        layout();
        return;
      }
      if (p.x >= L) describe(T(p.s));
      if (!tip.hidden) {
        tip.style.left = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + 'px';
        tip.style.top = (e.clientY + 16) + 'px';
      }
    });
    svg.addEventListener('pointerup', function (e) {
      var moved = drag && drag.moved;
      drag = null;
      svg.classList.remove('dragging');
      if (moved) return;
      var el = e.target.closest ? e.target.closest('[data-tip]') : null;
      var old = svg.querySelector('.picked');
      if (old) old.classList.remove('picked');
      if (el && details) { el.classList.add('picked'); details.textContent = el.getAttribute('data-tip'); }
    });
    svg.addEventListener('dblclick', function () { preset('home'); });
    svg.addEventListener('pointerover', function (e) {
      var el = e.target.closest ? e.target.closest('[data-tip]') : null;
      if (!el || drag) return;
      tip.textContent = el.getAttribute('data-tip');
      tip.hidden = false;
    });
    svg.addEventListener('pointerout', function () { tip.hidden = true; });

    var buttons = section.querySelectorAll('button[data-view]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener('click', function (e) { preset(e.currentTarget.dataset.view); });
    }
    layout();
    var m = /view=([a-z0-9]+)/.exec(location.hash);
    if (m) preset(m[1]);
  }

  var svgs = document.querySelectorAll('svg.timeline');
  for (var i = 0; i < svgs.length; i++) setup(svgs[i]);
  root.setAttribute('data-timelines', String(svgs.length));
  root.setAttribute('data-resources', String(performance.getEntriesByType('resource').length));
  root.setAttribute('data-report-ready', 'ok');
})();
)js";

}  // namespace ss::report
