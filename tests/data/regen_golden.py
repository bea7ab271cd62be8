"""Rewrite golden-report.json from the last run of test_report_matches_golden_json.

Run the test once (it fails on a changed schema), read the diff, then run this script and
review `git diff tests/data/golden-report.json` before committing.
"""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE.parent / "plugin"), str(HERE.parent)]

from test_plugin_report import _normalised  # noqa: E402

runs = sorted(
    glob.glob("/tmp/pytest-of-*/pytest-current/test_report_matches_golden_json*/out/report.json")
)
data = _normalised(Path(runs[-1]))
(HERE / "golden-report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
