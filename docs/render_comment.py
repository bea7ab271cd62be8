"""Make docs/img/pr-comment.png: our PR comment markdown, rendered as GitHub renders it.

GitHub turns a comment into HTML with cmark-gfm (its fork of cmark, with the table,
strikethrough, autolink and tagfilter extensions) and styles it with the CSS that the
``github-markdown-css`` npm package extracts from github.com. This script does the same and
photographs the result in headless Chromium. It is a documentation tool, not a test.

    pip install cmarkgfm
    npm install --prefix /tmp/gbcss github-markdown-css@5
    python docs/render_comment.py \
        --css /tmp/gbcss/node_modules/github-markdown-css/github-markdown-light.css

With ``--report PATH`` it renders a real report; the picture in docs/github.md is from a real
paired run of the example suite (see the caption there). Without it, a hand-made report in the
paired runner's shape is rendered: how the comment reads, not a measurement.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from pytest_greenbudget.render.markdown import render_markdown  # noqa: E402
from pytest_greenbudget.render.view import build_view  # noqa: E402
from pytest_greenbudget.report.io import read_report  # noqa: E402
from pytest_greenbudget.report.model import (  # noqa: E402
    BaselineFigures,
    Budget,
    CarbonSettings,
    Component,
    ComponentMeter,
    Environment,
    Report,
    TestEntry,
)

RUN_URL = "https://github.com/OWNER/your-project/actions/runs/1234567890"
JITTER = (0.985, 1.0, 1.012, 0.994, 1.006, 0.998, 1.003, 0.991)


def paired_test(
    nodeid: str,
    head: float,
    ratio: float,
    p: float,
    verdict: str,
    budget: Budget | None = None,
    used: float | None = None,
) -> TestEntry:
    base = head / ratio
    pairs = tuple((head * f, base * g) for f, g in zip(JITTER, reversed(JITTER), strict=True))
    figures = BaselineFigures(
        energy_j=base,
        samples_j=tuple(b for _, b in pairs),
        ratio=ratio,
        p_value=p,
        method="paired-t",
        mode="paired",
        ref="main",
        commit="3f9c2a1e8b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a",
        pairs=pairs,
    )
    return TestEntry(
        nodeid=nodeid,
        outcome="failed" if verdict in ("regressed", "over-budget") else "passed",
        energy_j=head,
        samples_j=tuple(h for h, _ in pairs),
        components={"cpu": Component(head, "estimated", "cputime")},
        carbon_g=head / 3.6e6 * 56.0 * 1.2,
        budget=budget,
        budget_used=used,
        verdict=verdict,
        baseline=figures,
        repeats=len(pairs),
    )


def sample_report() -> Report:
    yaml_budget = Budget("greenbudget.yaml:13", energy_j=2.0, carbon_g=40e-6)
    marker = Budget("marker at test_training.py:10", energy_j=1.5)
    per_sample = Budget("greenbudget.yaml:10", energy_j=3e-6, per="sample")
    tests = (
        paired_test(
            "test_training.py::test_more_epochs_do_not_hurt", 0.64, 1.31, 0.0002, "regressed",
            yaml_budget, 0.32,
        ),
        paired_test(
            "test_training.py::test_fit_tiny_mlp", 0.48, 1.012, 0.41, "unchanged", marker, 0.32
        ),
        paired_test(
            "test_inference.py::test_batch_inference[4096]", 0.0863, 0.93, 0.003, "improved",
            per_sample, 0.35,
        ),
        paired_test(
            "test_inference.py::test_batch_inference[256]", 0.00264, 1.004, 0.77, "unchanged",
            per_sample, 0.17,
        ),
    )  # fmt: skip
    meters = {
        "cpu": ComponentMeter(
            "cputime", "estimated", "AMD EPYC 7763: 3.5 W per vCPU (Cloud Carbon Footprint)"
        )
    }
    return Report(
        created_utc="2026-11-30T04:00:00Z",
        environment=Environment("AMD EPYC 7763 64-Core Processor", 2, meters=meters),
        carbon=CarbonSettings(56.039, "codecarbon global_energy_mix.json", 1.2, "FRA"),
        tests=tests,
    )


def page(markdown: str, css: str) -> str:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    # GitHub keeps the raw HTML our comment uses (<details>, <code>, <br>, <sub>) after its
    # own sanitiser; cmark-gfm escapes raw HTML unless told it is allowed.
    body = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        f"{css}\nbody {{ margin: 0; background: #fff; }}\n"
        ".markdown-body { box-sizing: border-box; max-width: 900px; padding: 16px 24px; "
        "border: 1px solid #d1d9e0; border-radius: 6px; margin: 12px; }"
        f'</style></head><body><article class="markdown-body">{body}</article></body></html>'
    )


def screenshot(html: Path, out: Path, width: int, height: int) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="gb-chromium-") as profile:
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--no-first-run",
            f"--user-data-dir={profile}", f"--window-size={width},{height}",
            "--hide-scrollbars", f"--screenshot={out}", html.as_uri(),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--css", required=True, help="github-markdown-light.css")
    parser.add_argument("--out", default=str(HERE / "img" / "pr-comment.png"))
    parser.add_argument("--markdown", help="also write the comment's markdown here")
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--report", help="render this report (e.g. a real paired run's)")
    args = parser.parse_args()
    report = read_report(args.report) if args.report else sample_report()
    markdown = render_markdown(build_view(report, run_url=RUN_URL))
    if args.markdown:
        Path(args.markdown).write_text(markdown, encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="gb-comment-") as tmp:
        html = Path(tmp) / "comment.html"
        html.write_text(page(markdown, Path(args.css).read_text(encoding="utf-8")), "utf-8")
        screenshot(html, Path(args.out), 940, args.height)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
