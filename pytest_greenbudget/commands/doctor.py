"""Show how energy would be measured here: per component, what works, what auto uses, the fixes.

Every meter that could serve a component (cpu, dram, gpu) is tried on this machine. For each
the report says whether it works and, if not, why (no powercap tree on a virtual machine,
root-only counters, no NVIDIA driver, a counter the GPU does not support) and the exact fix.
Exit status 0: doctor reports, it does not judge. --json prints the same for scripts.
"""

from __future__ import annotations

import argparse
import json
import platform
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, replace
from importlib import metadata, util
from pathlib import Path
from typing import Any, TypeVar

from ..meters.auto import AutoPlan, Candidate, describe_plan, plan
from ..meters.cputime import CpuInfo, cpu_count
from ..meters.rapl import discover, powercap_root

T = TypeVar("T")
WIDTH = 100
INDENT = 14


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args: argparse.Namespace) -> int:
    findings = diagnose()
    print(json.dumps(findings, indent=2) if args.json else render(findings))
    return 0


def diagnose() -> dict[str, Any]:
    """Everything doctor knows, as plain JSON-ready data."""
    failures: list[str] = []
    guard = _Guard(failures)
    chosen = guard(plan, None)
    nothing: dict[str, Any] = {}
    try:
        return {
            "machine": guard(machine, nothing),
            "auto": _auto(chosen),
            "components": _components(chosen, guard),
            "notes": [*_notes(chosen), *failures],
        }
    finally:
        for meter in chosen.meters if chosen else ():
            guard(meter.close, None)


class _Guard:
    """Runs a probe; one that fails in a way nobody foresaw becomes a note, not a traceback.

    Doctor is what people run when something is broken, so it must get to the end.
    """

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures

    def __call__(self, probe: Callable[[], T], fallback: T) -> T:
        try:
            return probe()
        except Exception as exc:
            name = getattr(probe, "__name__", "a probe")
            self.failures.append(f"{name} failed: {type(exc).__name__}: {exc}")
            return fallback


def machine() -> dict[str, Any]:
    cpu = CpuInfo.from_proc()
    return {
        "cpu_model": cpu.model_name,
        "cpus": cpu_count(),
        "platform": f"{platform.system()}-{platform.machine()}",
        "python": platform.python_version(),
        "virtual_machine": _is_vm(),
        "powercap_root": str(powercap_root()),
        "powercap_present": powercap_root().is_dir(),
    }


def _is_vm(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool | None:
    """The CPU's ``hypervisor`` flag, set by every common hypervisor; None if unknowable."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return " hypervisor" in flags if flags else None


def _auto(chosen: AutoPlan | None) -> dict[str, Any]:
    if chosen is None:
        return {}
    described = describe_plan("auto", chosen)
    return {name: asdict(choice) for name, choice in described.components.items()}


def _components(chosen: AutoPlan | None, guard: _Guard) -> dict[str, list[dict[str, Any]]]:
    if chosen is None:
        return {}
    rapl = guard(lambda: _on_vm(chosen.cpu[0]), chosen.cpu[0])
    cpu = [
        rapl,
        *chosen.cpu[1:],
        guard(_codecarbon, Candidate("codecarbon", False, "could not tell")),
    ]
    return {
        "cpu": [asdict(c) for c in cpu],
        "dram": [asdict(guard(lambda: _dram(rapl), rapl))],
        "gpu": [asdict(c) for c in chosen.gpu],
    }


def _notes(chosen: AutoPlan | None) -> list[str]:
    # "gpu:N: model" notes list the GPUs for the report; doctor lists them already.
    notes = describe_plan("auto", chosen).notes if chosen else ()
    return [note for note in notes if not note.startswith("gpu:")]


def _on_vm(rapl: Candidate) -> Candidate:
    if rapl.available or not rapl.detail.startswith("no powercap tree") or not _is_vm():
        return rapl
    why = "this is a virtual machine (hypervisor CPU flag) and hypervisors rarely pass RAPL through"
    return replace(rapl, detail=f"{rapl.detail}: {why}")


def _dram(rapl: Candidate) -> Candidate:
    if not rapl.available:
        return rapl
    zones = [z for z in discover(powercap_root()) if z.component == "dram"]
    if zones:
        return Candidate("rapl", True, ", ".join(f"{z.id} ({z.name})" for z in zones))
    why = "this CPU's RAPL has no dram zone (usual on client CPUs and AMD)"
    return Candidate("rapl", False, why, "none: DRAM energy is not measured on this CPU")


def _codecarbon() -> Candidate:
    # find_spec, not import: importing codecarbon costs a second and is not needed to answer.
    if util.find_spec("codecarbon") is None:
        return Candidate(
            "codecarbon", False, "codecarbon is not installed", "pip install codecarbon"
        )
    detail = (
        f"codecarbon {metadata.version('codecarbon')} installed; not used by auto, opt in with "
        "--greenbudget-meter codecarbon (its own CPU and RAM models, for comparability)"
    )
    return Candidate("codecarbon", True, detail)


def render(findings: Mapping[str, Any]) -> str:
    lines = ["greenbudget doctor: how energy would be measured on this machine", ""]
    lines += _machine_lines(findings.get("machine", {}))
    for group, candidates in findings.get("components", {}).items():
        lines += ["", *_group_lines(group, findings.get("auto", {}), candidates)]
    notes = findings.get("notes", [])
    if notes:
        lines += ["", "notes"] + [_wrap(f"- {note}", 2) for note in notes]
    return "\n".join(lines)


def _machine_lines(m: Mapping[str, Any]) -> list[str]:
    if not m:
        return ["machine: could not be described"]
    vm = {True: ", virtual machine", False: ", bare metal", None: ""}[m["virtual_machine"]]
    summary = f"{m['cpu_model']}, {m['cpus']} CPUs, {m['platform']}, Python {m['python']}{vm}"
    lines = [_wrap(f"machine   {summary}", 10)]
    if m.get("powercap_present"):  # where it is absent, the rapl lines below say so
        lines.append(f"powercap  {m['powercap_root']}")
    return lines


def _group_lines(
    group: str, auto: Mapping[str, Any], candidates: list[dict[str, Any]]
) -> list[str]:
    used = [
        f"{'' if n == group else f'{n}: '}{c['meter']} ({c['provenance']})"
        for n, c in _members(group, auto)
    ]
    head = f"{group:<5} " + (f"auto uses {', '.join(used)}" if used else "not measured")
    lines = [head]
    for c in candidates:
        state = "yes" if c["available"] else "no"
        lines.append(_wrap(f"  {c['meter']:<12}{state}: {c['detail']}", INDENT))
        if c["fix"] and not c["available"]:
            lines.append(_wrap(f"{'':<{INDENT}}fix: {c['fix']}", INDENT))
    return lines


def _members(group: str, auto: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for name, choice in auto.items():
        if name == group or name.startswith(f"{group}:"):
            yield name, choice


def _wrap(text: str, indent: int) -> str:
    return textwrap.fill(text, WIDTH, subsequent_indent=" " * indent, break_on_hyphens=False)
