"""JavaScript that reads a MiniWoB page's state (and resets its episode), and its Python side.

One WebDriver round trip per step: ``STEP_JS`` waits in the page until the input events of the last
action have arrived, lets a frame render, then returns the state: the instruction, MiniWoB's
done/reward globals, the input-event counters and every visible interactive element. After each
state read the page paints a mark (``dpMark``) that ``screen.PageScreen`` waits for on the screen.
"""

from __future__ import annotations

import json
from typing import Any

from deskpilot.envs.actions import Action, ActionType

__all__ = ["MARK_COLOURS", "MARK_SIZE", "RESET_JS", "STATE_JS", "STEP_JS", "expected_events"]

TASK_W, TASK_H = 160, 210  # the MiniWoB task area, in CSS (= screen) pixels
MARK_SIZE = 4  # side of the mark square, in pixels
# Mark colours, indexed by mark: corners of the RGB cube, far apart under any colour handling.
# Neither black nor white: the page's grey background, or a white page, must never pass for a mark.
MARK_COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255), (0, 255, 255))

# Shared by STATE_JS and STEP_JS: dpRead() returns the page state as a plain object; dpMark(i) paints
# mark i at the window's bottom-right corner (outside the task area, and outside the <body> that
# dpRead walks) and returns its [x, y] in screen pixels.
_READ = r"""
function dpMark(i) {
  let m = document.getElementById('__dp_mark');
  if (!m) {
    m = document.createElement('div');
    m.id = '__dp_mark';
    m.style.cssText = 'position: fixed; right: 0; bottom: 0; width: __M__px; height: __M__px; ' +
                      'z-index: 2147483647; pointer-events: none;';
    document.documentElement.appendChild(m);
  }
  m.style.backgroundColor = 'rgb(' + __COLOURS__[i].join(',') + ')';
  const r = m.getBoundingClientRect();
  return [Math.round(r.left), Math.round(r.top)];
}
function dpRead() {
  const W = __W__, H = __H__, MAX_WORDS = 120;
  const SEL = 'button, a, input, textarea, select, label, [role=button], [role=tab], [role=link], ' +
              '[role=checkbox], [role=option], [tabindex], [contenteditable=true], .alink';
  const CHROME = '#reward-display, #sync-task-cover, #click-canvas';  // MiniWoB's own overlays
  const SKIP = CHROME + ', #query';
  // Things a task asks about by their look though nothing on them listens for clicks (role
  // 'figure'): the shapes of the shape tasks, click-color's swatch and click-menu-2's icon in the
  // instruction.
  const FIGURES = '#area_svg > *, #query-color, #query .ui-icon';
  const clean = s => (s || '').replace(/\s+/g, ' ').trim();
  const shown = el => {
    const st = getComputedStyle(el);
    return !(st.visibility === 'hidden' || st.display === 'none' || st.opacity === '0');
  };
  const clip = r => [Math.max(0, r.left), Math.max(0, r.top), Math.min(W, r.right), Math.min(H, r.bottom)];
  function hitPoint(el) {
    for (const r of el.getClientRects()) {
      const x0 = Math.max(0, Math.ceil(r.left)), y0 = Math.max(0, Math.ceil(r.top));
      const x1 = Math.min(W, Math.floor(r.right)), y1 = Math.min(H, Math.floor(r.bottom));
      if (x1 <= x0 || y1 <= y0) continue;
      const cands = [[(x0 + x1 - 1) >> 1, (y0 + y1 - 1) >> 1]];
      for (let i = 1; i < 6; i++) for (let j = 1; j < 6; j++)
        cands.push([Math.floor(x0 + (x1 - x0) * i / 6), Math.floor(y0 + (y1 - y0) * j / 6)]);
      for (const [px, py] of cands) {
        const hit = document.elementFromPoint(px + 0.5, py + 0.5);
        if (hit && (hit === el || el.contains(hit))) return [px, py];
      }
    }
    return null;
  }
  function role(el) {
    const r = el.getAttribute('role');
    if (r && r !== 'presentation') return r;
    const tag = el.tagName.toLowerCase(), type = (el.type || '').toLowerCase();
    if (tag === 'button' || (tag === 'input' && ['button', 'submit', 'reset'].includes(type))) return 'button';
    if (tag === 'input' && (type === 'checkbox' || type === 'radio')) return type;
    if (tag === 'input' || tag === 'textarea' || el.isContentEditable) return 'textbox';
    if (tag === 'select') return 'combobox';
    if (tag === 'a' || el.classList.contains('alink')) return el.closest('[role=tab]') ? 'tab' : 'link';
    if (tag === 'label') return 'label';
    return 'clickable';
  }
  function label(el) {
    const tag = el.tagName.toLowerCase();
    if (tag === 'input' || tag === 'textarea' || tag === 'select') {
      const lab = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]'));
      const t = el.type === 'button' || el.type === 'submit' ? el.value : '';
      return clean(t || (lab && lab.textContent) || el.getAttribute('aria-label') || el.placeholder || el.name || el.id);
    }
    return clean(el.innerText || el.getAttribute('aria-label') || el.title || el.value || el.id);
  }
  // The colour it shows: an SVG shape's fill, otherwise the background (CSS 'rgb(r, g, b)' form).
  const colour = el => {
    const st = getComputedStyle(el);
    return el instanceof SVGElement ? st.fill : st.backgroundColor;
  };
  // The text of the element or, when it has none (a text field), of its nearest ancestor that has
  // some: the caption a reader sees beside a field whose label is not tied to it.
  function context(el) {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const t = clean(a.innerText === undefined ? a.textContent : a.innerText);
      if (t) return t.slice(0, 400);
    }
    return '';
  }
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const listed = (el.matches(SEL) || el.__dpClick || el.onclick) && !el.closest(SKIP);
    if (!(listed || (el.matches(FIGURES) && !el.closest(CHROME))) || !shown(el)) continue;
    const box = clip(el.getBoundingClientRect());
    if (box[2] - box[0] < 1 || box[3] - box[1] < 1) continue;
    const point = hitPoint(el);
    if (point === null) continue;  // entirely covered or off the task area: not visible
    out.push({
      tag: el.tagName.toLowerCase(), type: (el.type || '').toLowerCase(), id: el.id,
      classes: typeof el.className === 'string' ? el.className : '', role: listed ? role(el) : 'figure',
      label: label(el),
      text: clean(el.textContent).slice(0, 200), value: typeof el.value === 'string' ? el.value : null,
      checked: el.checked === undefined ? null : el.checked, focused: document.activeElement === el,
      box: box, point: point, colour: colour(el), context: context(el),
    });
  }
  // Every visible word (the instruction bar included), one box per line it occupies: dense "which
  // letters are drawn here" targets for the reader, far more than the interactive elements give.
  const words = [], range = document.createRange();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n && words.length < MAX_WORDS; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || p.closest(CHROME + ', script, style') || !shown(p)) continue;
    for (const m of n.textContent.matchAll(/\S+/g)) {
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      for (const r of range.getClientRects()) {
        const box = clip(r);
        if (box[2] - box[0] < 1 || box[3] - box[1] < 1) continue;
        const hit = document.elementFromPoint((box[0] + box[2]) / 2, (box[1] + box[3]) / 2);
        if (!hit || !(hit === p || p.contains(hit) || hit.contains(p))) continue;  // covered
        words.push({label: m[0], box: box});
      }
    }
  }
  return {
    utterance: clean((document.getElementById('query') || {}).textContent), words: words,
    done: WOB_DONE_GLOBAL, raw_reward: WOB_RAW_REWARD_GLOBAL, env_reward: WOB_REWARD_GLOBAL,
    reason: WOB_REWARD_REASON === null ? null : String(WOB_REWARD_REASON),
    events: Object.assign({}, window.__dp || {}), elements: out,
  };
}
""".replace("__W__", str(TASK_W)).replace("__H__", str(TASK_H))
_READ = _READ.replace("__M__", str(MARK_SIZE)).replace("__COLOURS__", json.dumps(MARK_COLOURS))

# arguments: mark. The state, with the mark painted after the read (``mark_at``: where).
STATE_JS = _READ + "\nconst s = dpRead(); s.mark_at = dpMark(arguments[0]); return s;"

# arguments: {counter: minimum}, timeout in ms, mark, callback. Waits for the events, then for a frame.
STEP_JS = (
    _READ
    + r"""
const want = arguments[0], limit = arguments[1], mark = arguments[2], done = arguments[arguments.length - 1];
const t0 = performance.now();
function arrived() {
  for (const k in want) if ((window.__dp[k] || 0) < want[k]) return false;
  return true;
}
function finish(timedOut) {
  requestAnimationFrame(() => setTimeout(() => {
    const s = dpRead(); s.input_timeout = timedOut; s.mark_at = dpMark(mark); done(s);
  }, 0));
}
(function poll() {
  if (arrived()) return finish(false);
  if (performance.now() - t0 > limit) return finish(true);
  setTimeout(poll, 1);
})();
"""
)

# arguments: page time limit (ms), seed string, data mode, parked pointer [x, y] or null, callback.
# Waits until the task is ready and (up to 1 s) until the page has seen the pointer parked: a move
# the page has not seen yet would leave the hover of the old pointer place in the first frame.
RESET_JS = r"""
const limit = arguments[0], seed = arguments[1], mode = arguments[2], park = arguments[3];
const done = arguments[arguments.length - 1];
const parked = () => !park || (window.__dpPointer !== null && window.__dpPointer[0] === park[0] &&
                               window.__dpPointer[1] === park[1]);
core.EPISODE_MAX_TIME = limit;
core.endEpisode(0);
if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
Math.seedrandom(seed);
core.setDataMode(mode);
core.startEpisodeReal();
const t0 = performance.now();
(function poll() {
  if (WOB_TASK_READY && (parked() || performance.now() - t0 > 1000)) {
    return requestAnimationFrame(() => setTimeout(() => done(true), 0));
  }
  if (performance.now() - t0 > 5000) return done(false);
  setTimeout(poll, 5);
})();
"""


def expected_events(action: Action, before: dict[str, Any]) -> dict[str, int]:
    """Counter values the page reaches once it has received all of ``action``'s input.

    The page counts trusted ``mouseup``, non-modifier ``keyup`` and ``wheel`` events (see
    ``browser.PAGE_PRELUDE``); an action is delivered when its last release has arrived.
    """
    t = action.type
    n = {"mouseup": 0, "keyup": 0, "wheel": 0}
    if t in (ActionType.CLICK, ActionType.RIGHT_CLICK, ActionType.DRAG):
        n["mouseup"] = 1
    elif t is ActionType.DOUBLE_CLICK:
        n["mouseup"] = 2
    elif t is ActionType.KEY:
        n["keyup"] = 1
    elif t is ActionType.TYPE:
        n["keyup"] = len(action.text or "")
    elif t is ActionType.SCROLL:
        n["wheel"] = 1
    return {k: int(before.get(k, 0)) + v for k, v in n.items() if v}
