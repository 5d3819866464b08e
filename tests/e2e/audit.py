"""audit(page): what every page must hold on a phone (issue items 4 and 6), checked in the
page as it is now. Raises AssertionError listing every problem found; returns None.

1. axe-core (vendored in tests/e2e/vendor/, for the tests only: the app never serves it)
   finds no WCAG 2.0/2.1 level A or AA violation.
2. The page does not scroll sideways, and no box on it scrolls sideways inside itself
   (a table cut off behind a scroll bar counts as not readable).
3. Tap targets are at least 44×44 CSS px: every visible a, button, summary, select,
   textarea and input (for a checkbox or radio, the label that holds or names it, which is
   what a finger hits). Exempt, as WCAG 2.5.5 and 2.5.8 allow: a link that is inline in a
   sentence, i.e. displayed inline inside a block whose text is longer than the link's own.
4. Nothing is hidden behind the fixed bars: scrolled to the bottom, the last visible thing
   in <main> ends above the tab bar (or the window's bottom); at the top, the first starts
   below the top bar.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MIN_TARGET = 44

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''})),
  }));
}"""

_OVERFLOW = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) {
    problems.push(`the page is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
  }
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(style.overflowX) || !el.checkVisibility()) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${describe(el)} scrolls sideways (${el.scrollWidth}px in ${el.clientWidth}px)`);
    }
  }
  return problems;
  function describe(el) {
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.classList.length ? '.' + [...el.classList].join('.') : '');
  }
}"""

_TARGETS = """(min) => {
  const problems = [];
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().replace(/\\s+/g, ' ');
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.classList.length ? '.' + [...el.classList].join('.') : ''} "${text.slice(0, 40)}"`;
  };
  const inSentence = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    const own = el.textContent.trim().length;
    return block && block.textContent.trim().length > own;
  };
  const labelOf = (input) => input.closest('label') || (input.id && document.querySelector(`label[for="${input.id}"]`));
  const selector = 'a[href], button, summary, select, textarea, input:not([type=hidden])';
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({visibilityProperty: true}) || inSentence(el)) continue;
    let box = el.getBoundingClientRect();
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = labelOf(el);
      if (label) box = label.getBoundingClientRect();
    }
    if (box.width === 0 && box.height === 0) continue;
    if (box.width < min - 0.5 || box.height < min - 0.5) {
      problems.push(`${describe(el)} is ${Math.round(box.width)}×${Math.round(box.height)}px`);
    }
  }
  return problems;
}"""

_BARS = """() => {
  const problems = [];
  const main = document.querySelector('main');
  if (!main) return ['no <main> element'];
  const bars = [...document.querySelectorAll('body *')].filter(el => {
    const position = getComputedStyle(el).position;
    return (position === 'fixed' || position === 'sticky') && el.checkVisibility()
      && !el.closest('main') && !el.closest('#toasts');
  });
  const visible = [...main.querySelectorAll('*')].filter(el => {
    if (!el.checkVisibility({visibilityProperty: true})) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  });
  if (!visible.length) return problems;
  window.scrollTo(0, 0);
  const topBar = Math.max(0, ...bars.map(b => b.getBoundingClientRect())
    .filter(r => r.top <= 0 && r.bottom < window.innerHeight / 2).map(r => r.bottom));
  const first = Math.min(...visible.map(el => el.getBoundingClientRect().top));
  if (first < topBar - 0.5) problems.push(`the top of <main> (${first}px) is under a bar ending at ${topBar}px`);
  window.scrollTo(0, document.documentElement.scrollHeight);
  const bottomBar = Math.min(window.innerHeight, ...bars.map(b => b.getBoundingClientRect())
    .filter(r => r.bottom >= window.innerHeight - 0.5 && r.top > window.innerHeight / 2).map(r => r.top));
  const last = visible.reduce((a, el) => el.getBoundingClientRect().bottom > a.getBoundingClientRect().bottom ? el : a);
  const bottom = last.getBoundingClientRect().bottom;
  if (bottom > bottomBar + 0.5) {
    problems.push(`scrolled to the end, ${last.tagName.toLowerCase()} "${(last.innerText || '').trim().slice(0, 40)}" ends at ${Math.round(bottom)}px, under a bar from ${Math.round(bottomBar)}px`);
  }
  window.scrollTo(0, 0);
  return problems;
}"""


@lru_cache(maxsize=1)
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page) -> list[str]:
    # Injected afresh each time: an htmx swap replaces nodes that an axe loaded for an
    # earlier audit of the same document still holds in its caches. Evaluated through the
    # DevTools protocol, which the app's CSP (script-src 'self') does not govern;
    # page.add_script_tag would insert an inline script it blocks.
    page.evaluate(_axe_source())
    found = []
    for violation in page.evaluate(_AXE_RUN, WCAG_AA):
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            found.append(f"axe {violation['id']} ({violation['help']}) at {node['target']}: {summary}")
    return found


def layout_problems(page) -> list[str]:
    return (
        page.evaluate(_OVERFLOW)
        + page.evaluate(_TARGETS, MIN_TARGET)
        + page.evaluate(_BARS)
    )


def scripts_run(page) -> bool:
    """Whether the page's own JavaScript runs (app.js removes the html element's no-js)."""
    return not page.evaluate("document.documentElement.classList.contains('no-js')")


def audit(page) -> None:
    """Fail with every accessibility and phone-layout problem of the page as shown.

    With the page's JavaScript off, axe cannot run (axe.run waits on the page's timers,
    which never fire); the same pages are checked by axe with JavaScript on, and the layout
    checks, which need no timers, still run here."""
    problems = (axe_violations(page) if scripts_run(page) else []) + layout_problems(page)
    if problems:
        size = page.viewport_size or {}
        where = f"{page.url} at {size.get('width')}×{size.get('height')}"
        raise AssertionError(f"{where}: {len(problems)} problem(s)\n  - " + "\n  - ".join(problems))
