import json

import pytest

from cortexlink.core.errors import CortexlinkError
from cortexlink.fabric.apps import APPS, load_app
from cortexlink.fabric.catalog import load_catalog


def test_shipped_catalogue_has_table_one():
    cat = load_catalog()
    assert cat.electrodes == 96 and cat.power_cap_mw == 15
    assert cat.pe("XCOR").dynamic_uw_per_electrode == pytest.approx(44.11)
    assert cat.channel_mbps == pytest.approx(0.48)
    for name in APPS:
        assert load_app(name, cat).tasks


def test_frequency_scaling_divides_dynamic_power():
    pe = load_catalog().pe("FFT")
    full, third = pe.power_uw(96), pe.power_uw(32)
    assert full - pe.leakage_uw == pytest.approx(3 * (third - pe.leakage_uw))
    assert pe.divider(32) == 3 and pe.divider(96) == 1 and pe.power_uw(0) == 0


def _write(tmp_path, data, suffix=".json"):
    path = tmp_path / f"cat{suffix}"
    path.write_text(json.dumps(data))
    return path


def test_missing_field_is_named(tmp_path):
    with pytest.raises(CortexlinkError, match="radio_intra.rate_mbps"):
        load_catalog(changes={"radio_intra": {"rate_mbps": None}})
    path = _write(tmp_path, {"pes": {"NEW": {"max_freq_mhz": 1, "leakage_uw": 1, "latency_ms": 1}}})
    with pytest.raises(CortexlinkError, match="pes.NEW.dynamic_uw_per_electrode"):
        load_catalog(path)


def test_negative_power_is_named(tmp_path):
    path = _write(tmp_path, {"pes": {"FFT": {"leakage_uw": -1.0}}})
    with pytest.raises(CortexlinkError, match="pes.FFT.leakage_uw"):
        load_catalog(path)
    with pytest.raises(CortexlinkError, match="adc.power_mw"):
        load_catalog(changes={"adc": {"power_mw": -2.88}})


def test_unknown_pe_in_an_application_is_named():
    cat = load_catalog()
    app = {
        "name": "mine",
        "window_ms": 4,
        "tasks": [{"name": "t", "variants": [{"name": "v", "steps": [{"pes": ["NEO"]}, {"pes": ["WARP"]}]}]}],
    }
    with pytest.raises(CortexlinkError, match="unknown PE 'WARP'.*steps\\[1\\]"):
        load_app(app, cat)
    app["tasks"][0]["variants"][0]["steps"].pop()
    del app["window_ms"]
    with pytest.raises(CortexlinkError, match="missing field window_ms"):
        load_app(app, cat)


def test_user_application_file_is_planned(tmp_path):
    from cortexlink.fabric.plan import plan

    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: mine\nwindow_ms: 4\ntasks:\n  - name: spikes\n    variants:\n"
        "      - name: neo\n        steps: [{pes: [NEO]}, {pes: [THR]}]\n"
    )
    p = plan(path, 2)
    assert p.channels_per_task() == {"spikes": 192}


def test_query_rate_scales_with_history_and_fraction():
    from cortexlink.fabric.queries import query_rates

    cat = load_catalog()
    app = load_app("query", cat)
    short = {q.task: q for q in query_rates(app, cat, 11, 100.0)}
    long = {q.task: q for q in query_rates(app, cat, 11, 1000.0)}
    assert set(short) == {"q1", "q2", "q3"}
    assert short["q3"].answer_bytes == pytest.approx(11 * 96 * 3000 * 2)
    assert short["q1"].qps > short["q3"].qps and long["q1"].latency_s > short["q1"].latency_s
