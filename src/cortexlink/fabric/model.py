"""The system being planned, its flows, and the exact check of a schedule against every constraint.

A ``System`` is an application on N implants of one architecture (Hull Table II: ``hull``,
``hull-nohash``, ``central``, ``central-nohash``) under a power cap and a latency budget. A flow is
one variant of one task fed by one implant's electrodes. ``evaluate(system, channels)`` computes,
from the electrodes each flow carries and nothing else, what the hardware would do: the PEs each
implant enables and their clock dividers, power per implant, the TDMA schedule (earliest deadline
first, one radio user at a time) and every flow's latency, and lists any violated constraint. The
ILP (``fabric.ilp``) is checked against this on every schedule it returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cortexlink.core.errors import InvalidParameterError
from cortexlink.fabric.apps import App, Send, Variant
from cortexlink.fabric.catalog import Catalog

__all__ = [
    "ARCHITECTURES",
    "System",
    "Flow",
    "Slot",
    "Evaluation",
    "evaluate",
    "PACKET_PAYLOAD_BITS",
    "PACKET_OVERHEAD_BITS",
]

ARCHITECTURES = ("hull", "hull-nohash", "central", "central-nohash")
PACKET_PAYLOAD_BITS = 256 * 8  # at most 256 bytes of data per packet
PACKET_OVERHEAD_BITS = 84 + 32 + 32  # header, header CRC32, data CRC32
_EPS = 1e-6


@dataclass(frozen=True)
class Flow:
    """One task variant fed by one implant: where its steps run and its timing constants."""

    index: int
    task: int
    variant: Variant
    source: int
    pre_ms: float  # PE latency before the send (all of it when there is none)
    post_ms: float  # PE latency after the send
    radio: str | None  # "intra", "external" or None (local, or wired in a central design)

    @property
    def send(self) -> Send | None:
        return self.variant.send

    def deadline_ms(self, latency_ms: float) -> float:
        """How late the flow's radio slot may end."""
        return latency_ms - self.pre_ms - self.post_ms


@dataclass
class System:
    """An application on ``n_implants`` implants of ``arch`` (power cap in mW, latency in ms)."""

    catalog: Catalog
    app: App
    n_implants: int
    arch: str = "hull"
    power_cap_mw: float | None = None
    latency_ms: float | None = None
    weights: tuple[float, ...] | None = None
    flows: list[Flow] = field(init=False)

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise InvalidParameterError(f"arch must be one of {', '.join(ARCHITECTURES)}, got {self.arch!r}")
        if not isinstance(self.n_implants, int) or self.n_implants < 1:
            raise InvalidParameterError(f"implants must be a whole number >= 1, got {self.n_implants!r}")
        if self.power_cap_mw is None:
            self.power_cap_mw = self.catalog.power_cap_mw
        if self.latency_ms is None:
            self.latency_ms = self.app.latency_ms
        for name, value in (
            ("power cap (--power-mw)", self.power_cap_mw),
            ("latency (--latency-ms)", self.latency_ms),
        ):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InvalidParameterError(f"{name} must be a positive number, got {value!r}")
        if self.weights is None:
            self.weights = tuple(t.weight for t in self.app.tasks)
        if len(self.weights) != len(self.app.tasks) or any(w < 0 for w in self.weights):
            raise InvalidParameterError(
                f"weights must be {len(self.app.tasks)} numbers >= 0, one per task "
                f"({':'.join(t.name for t in self.app.tasks)}), got {':'.join(map(str, self.weights))}"
            )
        self.flows = self._make_flows()

    @property
    def central(self) -> bool:
        return self.arch.startswith("central")

    @property
    def hashes(self) -> bool:
        return not self.arch.endswith("nohash")

    @property
    def electrodes(self) -> int:
        return self.catalog.electrodes

    def _make_flows(self) -> list[Flow]:
        flows: list[Flow] = []
        for t, task in enumerate(self.app.tasks):
            for variant in task.variants:
                if variant.uses_hashes and not self.hashes:
                    continue
                pre, post = variant.latency_ms(self.catalog, "pre"), variant.latency_ms(self.catalog, "post")
                for s in range(self.n_implants):
                    send = variant.send
                    if send is not None and send.pattern == "one-to-all" and s != 0:
                        continue
                    if (
                        send is not None
                        and send.pattern in ("all-to-all", "one-to-all")
                        and self.n_implants < 2
                    ):
                        continue  # nothing to compare with
                    radio = None
                    if send is not None:
                        if send.pattern == "external":
                            radio = "external"
                        elif (
                            not self.central
                            and not (send.pattern == "all-to-one" and s == 0)
                            and self.n_implants > 1
                        ):
                            radio = "intra"
                    flows.append(Flow(len(flows), t, variant, s, pre, post, radio))
        return flows

    def places(self, flow: Flow, at: str) -> list[tuple[int, float]]:
        """``(implant, multiplicity)`` pairs where a step placed ``at`` runs for ``flow``:
        the source's electrodes are processed ``multiplicity`` times on that implant."""
        n = self.n_implants
        if at == "source":
            return [(0 if self.central else flow.source, 1.0)]
        pattern = flow.send.pattern if flow.send else "all-to-one"
        if at == "leader" or pattern == "all-to-one":
            return [(0, 1.0)]
        if self.central:  # every comparison at the one processor
            return [(0, float(n - 1))] if n > 1 else []
        return [(j, 1.0) for j in range(n) if j != flow.source]

    def weight(self, flow: Flow) -> float:
        assert self.weights is not None
        return self.weights[flow.task]


@dataclass(frozen=True)
class Slot:
    """One TDMA slot: who sends for which flow, when within the frame (ms), how many bits."""

    flow: int
    task: str
    source: int
    start_ms: float
    end_ms: float
    bits: float
    packets: int
    radio: str


@dataclass
class Evaluation:
    """What a channel assignment does to the hardware, and every constraint it breaks."""

    channels: dict[int, int]  # flow index -> electrodes
    pe_load: dict[tuple[str, int], float]  # (PE, implant) -> electrodes at full clock
    power_mw: list[float]
    slots: list[Slot]
    latency_ms: dict[int, float]  # flow index -> end-to-end latency
    violations: list[str]
    throughput_mbps: dict[str, float]  # task -> aggregate
    objective: float

    @property
    def ok(self) -> bool:
        return not self.violations


def slot_bits(send: Send, channels: int, fraction: float) -> tuple[float, int]:
    """``(bits on air, packets)`` for one implant's share of a send carrying ``channels``."""
    if channels <= 0:
        return 0, 0
    payload = send.bits(channels, fraction) + send.bits_fixed
    packets = max(1, math.ceil(payload / PACKET_PAYLOAD_BITS - 1e-9))
    return payload + packets * PACKET_OVERHEAD_BITS, packets


def slot_ms(system: System, radio: str, bits: float, used: bool = True) -> float:
    cat = system.catalog
    if radio == "external":
        return bits / (cat["radio_external"]["rate_mbps"] * 1e3)
    return bits / (cat["radio_intra"]["rate_mbps"] * 1e3) + (
        cat["radio_intra"]["slot_guard_us"] / 1e3 if used else 0.0
    )


def fixed_power_mw(system: System) -> float:
    """What every implant draws whatever the plan: NVM leakage, and the DAC if it stimulates."""
    cat = system.catalog
    return cat["nvm"]["leakage_mw"] + (cat["dac"]["power_mw"] if system.app.stimulation else 0.0)


def evaluate(system: System, channels: dict[int, int]) -> Evaluation:
    """Everything ``channels`` (flow index -> electrodes) implies, with each broken constraint."""
    cat, n, E = system.catalog, system.n_implants, system.electrodes
    violations: list[str] = []
    load: dict[tuple[str, int], float] = {}
    digitised = [[0] * len(system.app.tasks) for _ in range(n)]
    intra_used, external_used = [False] * n, [False] * n
    for f in system.flows:
        x = int(channels.get(f.index, 0))
        if x < 0 or x > E:
            violations.append(f"flow {f.index}: {x} electrodes outside 0..{E}")
        if x <= 0:
            continue
        digitised[f.source][f.task] += x
        senders = 1.0
        for step in f.variant.steps:
            for imp, mult in system.places(f, step.at):
                amount = (senders if step.per == "source" else x) * mult * step.work
                for p in step.pes:
                    load[(p, imp)] = load.get((p, imp), 0.0) + amount
        if f.radio == "intra":
            for j in range(n):
                intra_used[j] = True
        elif f.radio == "external":
            external_used[0 if system.central else f.source] = True
    power = []
    for i in range(n):
        mw = fixed_power_mw(system)
        per_task = max(digitised[i]) if digitised[i] else 0
        for t, used in enumerate(digitised[i]):
            if used > E:
                violations.append(
                    f"implant {i}: task {system.app.tasks[t].name} uses {used} electrodes > {E}"
                )
        mw += cat.adc_mw_per_electrode * per_task
        for (p, imp), amount in load.items():
            if imp == i:
                pe = cat.pe(p)
                mw += pe.power_uw(amount) / 1e3
                if amount > pe.capacity + _EPS:
                    violations.append(
                        f"implant {i}: PE {p} must handle {amount:g} electrodes > its "
                        f"{pe.capacity} at f_max (PE capacity)"
                    )
        mw += (
            cat["radio_intra"]["power_mw"] * intra_used[i]
            + cat["radio_external"]["power_mw"] * external_used[i]
        )
        power.append(mw)
        if mw > system.power_cap_mw + _EPS:  # type: ignore[operator]
            violations.append(f"implant {i}: power {mw:.3f} mW > cap {system.power_cap_mw:g} mW (power)")
    slots, latency = _schedule(system, channels, violations)
    throughput: dict[str, float] = {t.name: 0.0 for t in system.app.tasks}
    objective = 0.0
    for f in system.flows:
        x = int(channels.get(f.index, 0))
        if x > 0:
            task = system.app.tasks[f.task]
            throughput[task.name] += x * cat.channel_mbps
            objective += system.weight(f) * x * cat.channel_mbps
    return Evaluation(
        {k: int(v) for k, v in channels.items() if v},
        load,
        power,
        slots,
        latency,
        violations,
        throughput,
        objective,
    )


def _schedule(system: System, channels: dict[int, int], violations: list[str]) -> tuple[list[Slot], dict]:
    """TDMA slots in earliest-deadline-first order (optimal for one radio and a common start), and
    each used flow's latency; records latency and radio violations."""
    latency_ms = float(system.latency_ms)  # type: ignore[arg-type]
    window = system.app.window_ms
    slots: list[Slot] = []
    latency: dict[int, float] = {}
    clocks = {"intra": [0.0], "external": [0.0] * system.n_implants}
    used = [f for f in system.flows if channels.get(f.index, 0) > 0]
    for f in sorted(used, key=lambda f: (f.deadline_ms(latency_ms), f.index)):
        if f.radio is None:
            latency[f.index] = f.pre_ms + f.post_ms
        else:
            assert f.send is not None
            bits, packets = slot_bits(f.send, int(channels[f.index]), system.app.tasks[f.task].fraction)
            lane = clocks[f.radio]
            k = 0 if f.radio == "intra" else f.source
            start = lane[k]
            end = start + slot_ms(system, f.radio, bits)
            lane[k] = end
            slots.append(
                Slot(f.index, system.app.tasks[f.task].name, f.source, start, end, bits, packets, f.radio)
            )
            latency[f.index] = f.pre_ms + end + f.post_ms
        if latency[f.index] > latency_ms + _EPS:
            violations.append(
                f"flow {f.index} ({system.app.tasks[f.task].name}/{f.variant.name} from implant "
                f"{f.source}): latency {latency[f.index]:.3f} ms > {latency_ms:g} ms (latency)"
            )
    for radio, lane in clocks.items():
        for k, busy in enumerate(lane):
            if busy > window + _EPS:
                who = "the intra-implant radio" if radio == "intra" else f"implant {k}'s external radio"
                violations.append(f"{who} is busy {busy:.3f} ms per {window:g} ms window (radio frame)")
    return slots, latency
