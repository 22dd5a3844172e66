"""The component catalogue: processing elements, ADC, DAC, radios, NVM and the implant's limits.

Loaded from ``catalog.yaml`` beside this module (Hull's Table I and Section V), optionally merged
with a user's YAML/JSON file whose keys replace the shipped ones. Every value is checked on load;
a missing field, a wrong type or a negative power raises ``InvalidParameterError`` naming the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cortexlink.core.errors import InvalidParameterError

__all__ = ["PE", "Catalog", "load_catalog", "read_data_file", "CATALOG_FILE"]

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")
MAX_FILE_BYTES = 4 << 20

# section -> {field: True if it must be > 0 (else >= 0)}
_SECTIONS: dict[str, dict[str, bool]] = {
    "implant": {"electrodes": True, "power_cap_mw": True, "sample_rate_hz": True, "sample_bits": True},
    "adc": {"bits": True, "sample_rate_hz": True, "power_mw": False, "electrodes": True},
    "dac": {"power_mw": False},
    "radio_intra": {"rate_mbps": True, "power_mw": False, "range_cm": True, "slot_guard_us": False},
    "radio_external": {"rate_mbps": True, "power_mw": False, "range_cm": True},
    "nvm": {
        "page_bytes": True,
        "block_bytes": True,
        "read_bytes_per_op": True,
        "read_energy_nj_per_page": False,
        "write_energy_nj_per_page": False,
        "leakage_mw": False,
        "erase_ms": False,
        "program_ms": False,
    },
    "microcontroller": {"freq_mhz": True, "memory_kb": True},
}
_PE_FIELDS = {
    "max_freq_mhz": True,
    "leakage_uw": False,
    "dynamic_uw_per_electrode": False,
    "latency_ms": False,
}


@dataclass(frozen=True)
class PE:
    """One processing element: Table I's row. ``capacity`` electrodes at ``max_freq_mhz``."""

    name: str
    max_freq_mhz: float
    leakage_uw: float
    dynamic_uw_per_electrode: float
    latency_ms: float
    capacity: int

    def power_uw(self, electrodes: float) -> float:
        """Leakage plus dynamic power at the clock ``electrodes`` needs (0 when idle: power-gated)."""
        return 0.0 if electrodes <= 0 else self.leakage_uw + self.dynamic_uw_per_electrode * electrodes

    def divider(self, electrodes: float) -> int:
        """The clock divider k (run at f_max/k) that still handles ``electrodes``."""
        return max(1, int(self.capacity // max(electrodes, 1e-12))) if electrodes > 0 else 0


@dataclass(frozen=True)
class Catalog:
    """Everything the planner knows about the hardware (values as in the file, units in the keys)."""

    sections: dict[str, dict[str, float]]
    pes: dict[str, PE]

    def __getitem__(self, section: str) -> dict[str, float]:
        return self.sections[section]

    @property
    def electrodes(self) -> int:
        return int(self.sections["implant"]["electrodes"])

    @property
    def power_cap_mw(self) -> float:
        return float(self.sections["implant"]["power_cap_mw"])

    @property
    def channel_mbps(self) -> float:
        """One electrode's raw data rate (30 kS/s x 16 bit = 0.48 Mbps)."""
        imp = self.sections["implant"]
        return imp["sample_rate_hz"] * imp["sample_bits"] / 1e6

    @property
    def adc_mw_per_electrode(self) -> float:
        return self.sections["adc"]["power_mw"] / self.sections["adc"]["electrodes"]

    def pe(self, name: str, where: str = "") -> PE:
        """The PE called ``name`` or an error naming the known ones."""
        try:
            return self.pes[name]
        except KeyError:
            raise InvalidParameterError(
                f"unknown PE {name!r}{where}; the catalogue has {', '.join(sorted(self.pes))}"
            ) from None

    def with_changes(self, changes: dict[str, Any]) -> Catalog:
        """A copy with ``changes`` merged in (same shape as the file), validated again."""
        return _build(_merge(_raw(self), changes), "changes")


def read_data_file(path: str | Path) -> Any:
    """A YAML or JSON file's content (size-checked; YAML through the safe loader)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise InvalidParameterError(f"no such file: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidParameterError(
            f"{path} is larger than {MAX_FILE_BYTES >> 20} MiB; is it the right file?"
        )
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidParameterError(
            f"{path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {str(exc).splitlines()[0]}"
        ) from None


def load_catalog(path: str | Path | None = None, changes: dict[str, Any] | None = None) -> Catalog:
    """The shipped catalogue, with the file at ``path`` and then ``changes`` merged over it."""
    raw = read_data_file(CATALOG_FILE)
    source = str(CATALOG_FILE)
    if path is not None:
        user = read_data_file(path)
        if not isinstance(user, dict):
            raise InvalidParameterError(
                f"{path}: a catalogue is a mapping of sections (implant, adc, pes, ...)"
            )
        raw, source = _merge(raw, user), str(path)
    if changes:
        raw = _merge(raw, changes)
    return _build(raw, source)


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def _raw(cat: Catalog) -> dict[str, Any]:
    raw: dict[str, Any] = {k: dict(v) for k, v in cat.sections.items()}
    raw["pes"] = {n: {f: getattr(p, f) for f in _PE_FIELDS} for n, p in cat.pes.items()}
    return raw


def _number(value: Any, field: str, positive: bool, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidParameterError(f"{source}: field {field} must be a number, got {value!r}")
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidParameterError(f"{source}: field {field} must be finite, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise InvalidParameterError(
            f"{source}: field {field} must be {'> 0' if positive else '>= 0'} "
            f"(a negative power, rate or time means nothing), got {value!r}"
        )
    return float(value)


def _fields(raw: Any, name: str, spec: dict[str, bool], source: str) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise InvalidParameterError(f"{source}: {name} must be a mapping of {', '.join(spec)}")
    missing = [f for f in spec if f not in raw]
    if missing:
        raise InvalidParameterError(f"{source}: missing field {name}.{missing[0]} (needs {', '.join(spec)})")
    out = {f: _number(raw[f], f"{name}.{f}", pos, source) for f, pos in spec.items()}
    out.update({k: v for k, v in raw.items() if k not in spec and isinstance(v, (int, float))})
    return out


def _build(raw: Any, source: str) -> Catalog:
    if not isinstance(raw, dict):
        raise InvalidParameterError(f"{source}: a catalogue is a mapping of sections")
    sections = {}
    for name, spec in _SECTIONS.items():
        if name not in raw:
            raise InvalidParameterError(f"{source}: missing field {name} (a section of the catalogue)")
        sections[name] = _fields(raw[name], name, spec, source)
    pes_raw = raw.get("pes")
    if not isinstance(pes_raw, dict) or not pes_raw:
        raise InvalidParameterError(f"{source}: missing field pes (the processing elements, Table I)")
    capacity = int(sections["implant"]["electrodes"])
    pes = {}
    for pe_name, row in pes_raw.items():
        f = _fields(row, f"pes.{pe_name}", _PE_FIELDS, source)
        pes[str(pe_name)] = PE(
            str(pe_name),
            f["max_freq_mhz"],
            f["leakage_uw"],
            f["dynamic_uw_per_electrode"],
            f["latency_ms"],
            capacity,
        )
    return Catalog(sections, pes)
