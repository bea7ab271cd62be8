"""Which GPUs CUDA will use, in CUDA's numbering, from ``CUDA_VISIBLE_DEVICES``.

Pure: the NVML meter hands in the UUIDs NVML lists. Nothing here imports pynvml.
"""

from __future__ import annotations

from collections.abc import Sequence


def visible_devices(
    setting: str | None, uuids: Sequence[str]
) -> tuple[list[tuple[int, int]], list[str]]:
    """(CUDA index, NVML index) of each GPU CUDA will use, and notes on entries left out.

    Follows CUDA: entries are indices or ``GPU-`` UUID prefixes, and the first entry that
    names no device ends the list (so "" and "-1" hide every GPU).
    """
    if setting is None:
        return [(i, i) for i in range(len(uuids))], []
    pairs: list[tuple[int, int]] = []
    notes: list[str] = []
    for position, entry in enumerate(e.strip() for e in setting.split(",")):
        if entry.startswith("MIG-"):
            notes.append(
                f"MIG instance {entry} (CUDA device {position}) not measured: NVML has no "
                "energy counter per MIG instance"
            )
            continue
        index = _resolve(entry, uuids)
        if index is None:
            if entry and entry != "-1":
                notes.append(
                    f"CUDA_VISIBLE_DEVICES entry {entry!r} names no GPU: it and the entries "
                    "after it are ignored, as CUDA ignores them"
                )
            break
        if index not in (nvml_index for _, nvml_index in pairs):
            pairs.append((position, index))
    return pairs, notes


def _resolve(entry: str, uuids: Sequence[str]) -> int | None:
    if entry.isdigit():
        return int(entry) if int(entry) < len(uuids) else None
    if entry.startswith("GPU-"):
        matches = [i for i, uuid in enumerate(uuids) if uuid.startswith(entry)]
        return matches[0] if len(matches) == 1 else None  # CUDA wants a unique prefix
    return None
