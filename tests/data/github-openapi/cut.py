"""Cut subset.json from GitHub's description: ``python cut.py PATH/TO/api.github.com.json``.

PATH is ``package/generated/api.github.com.json`` from ``npm pack @octokit/openapi@23.0.2``.
Keeps the operations below and every component they reference, transitively.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OPERATIONS = {
    "/repos/{owner}/{repo}/issues/{issue_number}/comments": ("get", "post"),
    "/repos/{owner}/{repo}/issues/comments/{comment_id}": ("get", "patch", "delete"),
    "/repos/{owner}/{repo}/issues/{issue_number}/events": ("get",),
    "/repos/{owner}/{repo}/pulls/{pull_number}": ("get",),
    "/repos/{owner}/{repo}/actions/artifacts": ("get",),
    "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts": ("get",),
    "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}": ("get",),
    "/rate_limit": ("get",),
}


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(v) for v in node))
    return set()


def cut(full: dict[str, Any]) -> dict[str, Any]:
    paths = {p: {m: full["paths"][p][m] for m in ms} for p, ms in OPERATIONS.items()}
    components: dict[str, dict[str, Any]] = {}
    todo, done = refs(paths), set()
    while todo:
        ref = todo.pop()
        done.add(ref)
        _, _, kind, name = ref.split("/", 3)
        value = full["components"][kind][name]
        components.setdefault(kind, {})[name] = value
        todo |= refs(value) - done
    ordered = {  # in the description's own order, so a regenerated file diffs small
        kind: {n: v for n, v in full["components"][kind].items() if n in components[kind]}
        for kind in full["components"]
        if kind in components
    }
    keep = ("openapi", "info", "servers")
    return {**{k: full[k] for k in keep}, "paths": paths, "components": ordered}


if __name__ == "__main__":
    full = json.loads(Path(sys.argv[1]).read_text())
    out = Path(__file__).with_name("subset.json")
    out.write_text(json.dumps(cut(full), indent=1, ensure_ascii=False))
