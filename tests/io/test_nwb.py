"""NWB: ElectricalSeries round trips, series written by other tools, and files that are not NWB."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core import CorruptDataError, Recording, UnsupportedFormatError
from cortexlink.io.nwb import load_nwb, save_nwb

pynwb = pytest.importorskip("pynwb")
from pynwb.ecephys import ElectricalSeries  # noqa: E402


@settings(max_examples=8, deadline=None)
@given(st.data())
def test_round_trip_is_bit_exact(tmp_path_factory, recordings, same_bits, data):
    rec = data.draw(recordings(max_channels=4, max_samples=50))
    rec.metadata = {"task": "reach", "trial": 7}
    path = tmp_path_factory.mktemp("nwb") / "r.nwb"
    save_nwb(rec, path)
    back = load_nwb(path)
    assert same_bits(back.data, rec.data)
    fields = ("sample_rate", "gain_uv", "t0", "site")
    assert [getattr(back, f) for f in fields] == [getattr(rec, f) for f in fields]
    assert np.array_equal(back.channel_ids, rec.channel_ids)
    assert (back.metadata["task"], back.metadata["trial"], back.metadata["format"]) == ("reach", 7, "nwb")


def test_file_is_standard_nwb(tmp_path):
    rec = Recording(np.arange(12, dtype=np.int16).reshape(3, 4), 30000, gain_uv=0.25, t0=2.0,
                    channel_ids=np.array(["e1", "e2", "e3"]), site="left")
    save_nwb(rec, tmp_path / "r.nwb")
    with pynwb.NWBHDF5IO(str(tmp_path / "r.nwb"), "r") as io:
        series = io.read().acquisition["ElectricalSeries"]
        assert series.data.shape == (4, 3)  # NWB is time first
        assert series.conversion == pytest.approx(0.25e-6)
        assert series.rate == 30000 and series.starting_time == 2.0
        assert len(series.electrodes) == 3
        assert list(series.electrodes.table["channel_id"][:]) == ["e1", "e2", "e3"]
    back = load_nwb(tmp_path / "r.nwb")
    assert back.channel_ids.tolist() == ["e1", "e2", "e3"] and back.site == "left"


def _foreign(path, series: list[dict]) -> None:
    """An NWB file as another tool might write it: volts, several series, timestamps."""
    nwbfile = pynwb.NWBFile(session_description="foreign", identifier="f",
                            session_start_time=datetime(2020, 1, 1, tzinfo=UTC))
    device = nwbfile.create_device(name="probe")
    group = nwbfile.create_electrode_group(name="shank0", description="d", location="M1", device=device)
    for _ in range(2):
        nwbfile.add_electrode(group=group, location="M1")
    region = nwbfile.create_electrode_table_region(region=[0, 1], description="both")
    for kwargs in series:
        nwbfile.add_acquisition(ElectricalSeries(electrodes=region, **kwargs))
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)


def test_series_written_elsewhere_are_converted_to_microvolts(tmp_path):
    volts = np.array([[1e-6, 2e-6], [3e-6, -4e-6], [5e-6, 6e-6]])
    counts = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.int16)
    _foreign(tmp_path / "f.nwb", [
        dict(name="raw_volts", data=volts, rate=1000.0),
        dict(name="lfp_counts", data=counts, timestamps=np.arange(3) / 500.0 + 10.0, conversion=2e-6),
        dict(name="per_channel", data=counts, rate=100.0, channel_conversion=[1.0, 3.0], conversion=1e-6),
    ])
    first = load_nwb(tmp_path / "f.nwb")
    assert first.metadata["series_name"] == "lfp_counts"  # sorted by name when several
    named = load_nwb(tmp_path / "f.nwb", series_name="raw_volts")
    assert named.data.dtype == np.float32 and np.allclose(named.data, [[1, 3, 5], [2, -4, 6]])
    assert named.site == "shank0" and named.sample_rate == 1000.0
    lfp = load_nwb(tmp_path / "f.nwb", series_name="lfp_counts")
    assert lfp.data.dtype == np.int16 and lfp.gain_uv == pytest.approx(2.0)
    assert lfp.sample_rate == pytest.approx(500.0) and lfp.t0 == 10.0
    scaled = load_nwb(tmp_path / "f.nwb", series_name="per_channel")
    assert np.allclose(scaled.data, [[1, 3, 5], [6, 12, 18]])


def test_unknown_series_name_lists_those_present(tmp_path):
    _foreign(tmp_path / "f.nwb", [dict(name="a", data=np.zeros((3, 2)), rate=10.0)])
    with pytest.raises(UnsupportedFormatError, match="no ElectricalSeries named 'b'; it has: a"):
        load_nwb(tmp_path / "f.nwb", series_name="b")


def test_irregular_timestamps_are_refused(tmp_path):
    _foreign(tmp_path / "f.nwb", [dict(name="a", data=np.zeros((3, 2)), timestamps=[0.0, 0.1, 0.5])])
    with pytest.raises(UnsupportedFormatError, match="irregular timestamps"):
        load_nwb(tmp_path / "f.nwb")


def test_file_without_electrical_series(tmp_path):
    nwbfile = pynwb.NWBFile(session_description="x", identifier="x",
                            session_start_time=datetime(2020, 1, 1, tzinfo=UTC))
    with pynwb.NWBHDF5IO(str(tmp_path / "e.nwb"), "w") as io:
        io.write(nwbfile)
    with pytest.raises(UnsupportedFormatError, match="holds no ElectricalSeries"):
        load_nwb(tmp_path / "e.nwb")


def test_damaged_files_are_corrupt(tmp_path):
    save_nwb(Recording(np.zeros((2, 100), np.int16), 1000), tmp_path / "ok.nwb")
    whole = (tmp_path / "ok.nwb").read_bytes()
    (tmp_path / "cut.nwb").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "junk.nwb").write_bytes(b"not hdf5" * 100)
    for name in ("cut.nwb", "junk.nwb"):
        with pytest.raises(CorruptDataError, match="NWB"):
            load_nwb(tmp_path / name)


def test_dataset_declaring_more_than_the_file_stores_is_refused_before_reading(tmp_path):
    import h5py

    save_nwb(Recording(np.zeros((2, 10), np.int16), 100), tmp_path / "h.nwb")
    with h5py.File(tmp_path / "h.nwb", "r+") as f:
        group = f["acquisition/ElectricalSeries"]
        attrs = dict(group["data"].attrs)
        del group["data"]
        data = group.create_dataset("data", shape=(10**9, 2), dtype="<i2")  # 4 GB declared, nothing stored
        data.attrs.update(attrs)
    with pytest.raises(CorruptDataError, match="declares shape .1000000000, 2. .4000000000 bytes"):
        load_nwb(tmp_path / "h.nwb")
