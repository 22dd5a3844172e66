"""Applications as dataflows of PE functions (the planner's input), read from YAML/JSON files.

An application has tasks (seizure detection, hash comparison, ...); each task has one or more
variants (alternative mappings onto PEs: the ILP picks how many electrodes each one carries); a
variant is a list of steps. A step either runs PEs (``pes``, in parallel, ``at`` source, receiver
or leader, ``work`` electrodes per electrode, ``per`` channel or source, ``critical``) or sends
(``send``: all-to-all, all-to-one, one-to-all over the intra-implant radio, or external;
``bits_per_channel``, ``bits_fixed`` per implant, ``compression``). The shipped files are in
``fabric/apps/``; a user's file in the same format works everywhere an app name does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cortexlink.core.errors import InvalidParameterError
from cortexlink.fabric.catalog import Catalog, read_data_file

__all__ = ["Step", "Send", "Variant", "Task", "App", "load_app", "APPS", "APP_DIR", "SEND_PATTERNS"]

APP_DIR = Path(__file__).with_name("apps")
APPS = ("seizure", "movement", "sorting", "query")
SEND_PATTERNS = ("all-to-all", "all-to-one", "one-to-all", "external")
_PLACES = ("source", "receiver", "leader")


@dataclass(frozen=True)
class Step:
    """PEs run in parallel at one place; their latency is the slowest one's."""

    pes: tuple[str, ...]
    at: str = "source"
    work: float = 1.0
    per: str = "channel"  # "channel": load = electrodes; "source": 1 per sending implant
    critical: bool = True


@dataclass(frozen=True)
class Send:
    """A transfer over a radio: bits per electrode and window, plus fixed bits per implant."""

    pattern: str
    bits_per_channel: float = 0.0
    bits_fixed: float = 0.0
    compression: float = 1.0

    def bits(self, channels: float, fraction: float = 1.0) -> float:
        return channels * self.bits_per_channel * fraction / self.compression


@dataclass(frozen=True)
class Variant:
    name: str
    steps: tuple[Step, ...]
    send: Send | None
    uses_hashes: bool = False

    def latency_ms(self, catalog: Catalog, side: str) -> float:
        """PE latency of the critical steps before (``"pre"``) or after (``"post"``) the send."""
        out, before = 0.0, True
        for item in self.steps_with_send():
            if isinstance(item, Send):
                before = False
            elif item.critical and (before == (side == "pre")):
                out += max(catalog.pe(p).latency_ms for p in item.pes)
        return out

    def steps_with_send(self) -> list[Step | Send]:
        return list(self._order)

    _order: tuple = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Task:
    name: str
    label: str
    weight: float
    variants: tuple[Variant, ...]
    fraction: float = 1.0


@dataclass(frozen=True)
class App:
    name: str
    description: str
    window_ms: float
    latency_ms: float
    stimulation: bool
    tasks: tuple[Task, ...]
    history_ms: float = 100.0

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise InvalidParameterError(
            f"application {self.name} has no task {name!r}; it has {', '.join(t.name for t in self.tasks)}"
        )


def load_app(app: str | Path | dict[str, Any], catalog: Catalog) -> App:
    """A shipped application by name (``seizure``, ``movement``, ``sorting``, ``query``), a file
    path, or an already-read mapping; checked against ``catalog`` (every PE must exist)."""
    if isinstance(app, dict):
        return _parse(app, catalog, "application")
    path = Path(app)
    if str(app) in APPS:
        path = APP_DIR / f"{app}.yaml"
    elif not path.suffix:
        raise InvalidParameterError(
            f"unknown application {app!r}: give one of {', '.join(APPS)} or a "
            f"YAML/JSON file in the same format"
        )
    return _parse(read_data_file(path), catalog, str(path))


def _get(raw: dict, key: str, where: str, kind: type | tuple, default: Any = ...) -> Any:
    if key not in raw:
        if default is ...:
            raise InvalidParameterError(f"{where}: missing field {key}")
        return default
    value = raw[key]
    if isinstance(value, bool) and kind is not bool:
        raise InvalidParameterError(f"{where}: field {key} must be {_kind_name(kind)}, got {value!r}")
    if not isinstance(value, kind):
        raise InvalidParameterError(f"{where}: field {key} must be {_kind_name(kind)}, got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        raise InvalidParameterError(f"{where}: field {key} must be >= 0, got {value!r}")
    return value


def _kind_name(kind: type | tuple) -> str:
    names = {str: "a string", bool: "true or false", list: "a list", dict: "a mapping"}
    return "a number" if kind == (int, float) else names.get(kind, str(kind))  # type: ignore[call-overload]


def _parse(raw: Any, catalog: Catalog, source: str) -> App:
    if not isinstance(raw, dict):
        raise InvalidParameterError(f"{source}: an application is a mapping with name, window_ms, tasks")
    num = (int, float)
    tasks_raw = _get(raw, "tasks", source, list)
    if not tasks_raw:
        raise InvalidParameterError(f"{source}: field tasks is empty; give at least one task")
    tasks = []
    for i, t in enumerate(tasks_raw):
        where = f"{source}: tasks[{i}]"
        if not isinstance(t, dict):
            raise InvalidParameterError(f"{where} must be a mapping")
        name = _get(t, "name", where, str)
        where = f"{source}: task {name}"
        variants = tuple(
            _variant(v, catalog, f"{where} variants[{j}]")
            for j, v in enumerate(_get(t, "variants", where, list))
        )
        if not variants:
            raise InvalidParameterError(f"{where}: field variants is empty")
        tasks.append(
            Task(
                name,
                _get(t, "label", where, str, name),
                float(_get(t, "weight", where, num, 1.0)),
                variants,
                float(_get(t, "fraction", where, num, 1.0)),
            )
        )
    if len({t.name for t in tasks}) != len(tasks):
        raise InvalidParameterError(f"{source}: two tasks share a name")
    window = float(_get(raw, "window_ms", source, num))
    if window <= 0:
        raise InvalidParameterError(f"{source}: field window_ms must be > 0")
    return App(
        _get(raw, "name", source, str),
        _get(raw, "description", source, str, ""),
        window,
        float(_get(raw, "latency_ms", source, num, 10.0)),
        bool(_get(raw, "stimulation", source, bool, False)),
        tuple(tasks),
        float(_get(raw, "history_ms", source, num, 100.0)),
    )


def _variant(raw: Any, catalog: Catalog, where: str) -> Variant:
    if not isinstance(raw, dict):
        raise InvalidParameterError(f"{where} must be a mapping with name and steps")
    name = _get(raw, "name", where, str)
    where = f"{where} ({name})"
    order: list[Step | Send] = []
    send = None
    for k, s in enumerate(_get(raw, "steps", where, list)):
        at = f"{where} steps[{k}]"
        if not isinstance(s, dict):
            raise InvalidParameterError(f"{at} must be a mapping with pes or send")
        if "send" in s:
            if send is not None:
                raise InvalidParameterError(f"{at}: a variant has at most one send step")
            pattern = _get(s, "send", at, str)
            if pattern not in SEND_PATTERNS:
                raise InvalidParameterError(
                    f"{at}: field send must be one of {', '.join(SEND_PATTERNS)}, got {pattern!r}"
                )
            compression = float(_get(s, "compression", at, (int, float), 1.0))
            if compression <= 0:
                raise InvalidParameterError(f"{at}: field compression must be > 0")
            send = Send(
                pattern,
                float(_get(s, "bits_per_channel", at, (int, float), 0.0)),
                float(_get(s, "bits_fixed", at, (int, float), 0.0)),
                compression,
            )
            order.append(send)
            continue
        pes = _get(s, "pes", at, list)
        if not pes or not all(isinstance(p, str) for p in pes):
            raise InvalidParameterError(f"{at}: field pes must be a non-empty list of PE names")
        for p in pes:
            catalog.pe(p, f" in {at}")
        place = _get(s, "at", at, str, "source")
        if place not in _PLACES:
            raise InvalidParameterError(f"{at}: field at must be one of {', '.join(_PLACES)}, got {place!r}")
        if place != "source" and send is None:
            raise InvalidParameterError(f"{at}: a step at the {place} comes after a send step")
        per = _get(s, "per", at, str, "channel")
        if per not in ("channel", "source"):
            raise InvalidParameterError(f"{at}: field per must be channel or source, got {per!r}")
        order.append(
            Step(
                tuple(pes),
                place,
                float(_get(s, "work", at, (int, float), 1.0)),
                per,
                bool(_get(s, "critical", at, bool, True)),
            )
        )
    if not order:
        raise InvalidParameterError(f"{where}: field steps is empty")
    steps = tuple(x for x in order if isinstance(x, Step))
    return Variant(name, steps, send, bool(_get(raw, "uses_hashes", where, bool, False)), tuple(order))
