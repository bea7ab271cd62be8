"""The HTML report's one style sheet: layout, light and dark palettes, chart marks.

Colours are the Okabe-Ito palette, which stays distinguishable under the common colour vision
deficiencies: blue for within budget, vermillion for over budget or regressed, bluish green
for improved. The charts pair each with a symbol or a word, so colour is never needed alone.
Fonts are the reader's own (system-ui, monospace): a web font would need a URL.
"""

from __future__ import annotations

STYLE = """
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --card: #f6f8fa;
  --stripe: #f6f8fa; --highlight: #fbe3d6; --band: #e3ecf5;
  --good: #0072b2; --bad: #d55e00; --better: #009e73; --neutral: #8c959f;
  --base: #e69f00; --ci: #9ac3e0;
  --c0: #0072b2; --c1: #e69f00; --c2: #009e73; --c3: #cc79a7; --c4: #56b4e9; --c5: #f0e442;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --card: #151b23;
    --stripe: #151b23; --highlight: #3b2417; --band: #1f2d3d;
    --good: #56b4e9; --bad: #e8762d; --better: #2fbf94; --neutral: #8c959f;
    --base: #f0b429; --ci: #356f99;
    --c0: #56b4e9; --c4: #a6d8f5;  /* deep blue is too dark to read on a dark page */
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
}
main { max-width: 1140px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 22px; margin: 4px 0 16px; }
h2 { font-size: 17px; margin: 30px 0 4px; border-bottom: 1px solid var(--line); }
.kicker, .explain, .legend, footer, .note { color: var(--muted); }
.explain { margin: 4px 0 8px; max-width: 80ch; }
.status.fail .sym { color: var(--bad); }
.status.pass .sym { color: var(--good); }
.status.unsure .sym { color: var(--base); }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 0; }
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: 6px;
  padding: 8px 14px; min-width: 150px;
}
.card dt { color: var(--muted); font-size: 12px; }
.card dd { margin: 0; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card dd small { display: block; font-size: 12px; font-weight: 400; color: var(--muted); }
ul.measured { margin: 10px 0 0; padding-left: 20px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 2px 0 6px; font-size: 13px; }
.swatch {
  display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  vertical-align: -1px; margin-right: 5px;
}
svg.chart { display: block; width: 100%; height: auto; }
.chart text { fill: var(--fg); font-size: 12px; font-family: inherit; }
.chart text.id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.chart text.tick { fill: var(--muted); font-size: 11px; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .limit { stroke: var(--fg); stroke-width: 2; stroke-dasharray: 5 3; }
.chart .zero { stroke: var(--fg); stroke-width: 1.5; }
.chart .stripe { fill: var(--stripe); }
.chart .highlight { fill: var(--highlight); }
.chart .band { fill: var(--band); }
.chart .bar, .sw-good { fill: var(--good); background: var(--good); }
.chart .bad, .sw-bad { fill: var(--bad); background: var(--bad); }
.chart .better, .sw-better { fill: var(--better); background: var(--better); }
.chart .neutral, .sw-neutral { fill: var(--neutral); background: var(--neutral); }
.chart .unsure { fill: url(#gb-unsure); stroke: var(--neutral); stroke-width: 1; }
.chart .unsure-stripe { fill: var(--neutral); }
.sw-unsure {
  background: repeating-linear-gradient(45deg, var(--neutral) 0 2px, transparent 2px 4px);
  outline: 1px solid var(--neutral); outline-offset: -1px;
}
.chart .incomparable { fill-opacity: 0.45; stroke: var(--fg); stroke-dasharray: 3 2; }
.chart .ci, .sw-ci { fill: var(--ci); background: var(--ci); }
.chart .dot.head { fill: var(--good); fill-opacity: 0.8; stroke: var(--bg); stroke-width: 1; }
.chart .dot.base { fill: none; stroke: var(--base); stroke-width: 2; }
.chart .hatched { fill: url(#gb-hatch); }
.chart .hatch { fill: var(--bg); fill-opacity: 0.55; }
.c0 { fill: var(--c0); background: var(--c0); } .c1 { fill: var(--c1); background: var(--c1); }
.c2 { fill: var(--c2); background: var(--c2); } .c3 { fill: var(--c3); background: var(--c3); }
.c4 { fill: var(--c4); background: var(--c4); } .c5 { fill: var(--c5); background: var(--c5); }
.sw-dot { background: var(--good); border-radius: 50%; }
.sw-base { border: 2px solid var(--base); border-radius: 50%; }
.hatched-swatch {
  background: repeating-linear-gradient(45deg, var(--neutral) 0 2px, transparent 2px 5px);
}
table { border-collapse: collapse; width: 100%; margin-top: 8px; font-size: 13px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { text-align: left; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.test { min-width: 18ch; }
td.test code { overflow-wrap: break-word; }  /* wraps at the <wbr> after separators */
td .msg { display: block; color: var(--muted); font-size: 12px; }
tr.regressed, tr.over-budget { background: var(--highlight); }
.verdict { white-space: nowrap; }
.v-regressed, .v-over-budget { color: var(--bad); font-weight: 600; }
.v-improved { color: var(--better); font-weight: 600; }
.v-inconclusive { color: var(--base); font-weight: 600; }
.banner {
  border: 2px solid var(--bad); border-radius: 6px; padding: 8px 12px; font-weight: 600;
}
.paired { margin: -8px 0 8px; }
dl.env { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 8px 0; }
dl.env dt { color: var(--muted); }
dl.env dd { margin: 0; overflow-wrap: anywhere; }
footer { margin-top: 32px; font-size: 12px; }
"""
