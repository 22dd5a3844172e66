"""Every kind of NWB file cortexlink writes passes ``nwbinspector --config dandi``: no critical finding,
no best-practice violation (what the DANDI archive refuses)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cortexlink.cli import main
from cortexlink.core import Recording
from cortexlink.io import open_recording, save_recording

nwbinspector = pytest.importorskip("nwbinspector")
NEURALINK = Path("../shared/data/neuralink")
REFUSED = ("CRITICAL", "BEST_PRACTICE_VIOLATION")


def _findings(path: Path, validate: bool = False) -> list:
    """nwbinspector's findings; ``validate`` also runs pynwb's schema validation (slower)."""
    config = nwbinspector.load_config("dandi")
    found = nwbinspector.inspect_nwbfile(nwbfile_path=str(path), config=config, skip_validate=not validate)
    return [m for m in found if m is not None]


def _refused(path: Path, validate: bool = False) -> list[str]:
    return [f"{m.importance.name}: {m.check_function_name}: {m.message}" for m in _findings(path, validate)
            if m.importance.name in REFUSED]


def test_simulated_file_is_accepted_and_says_it_is_simulated(tmp_path):
    out = tmp_path / "sim.nwb"
    assert main(["simulate", "--channels", "3", "--seconds", "0.1", "--out", str(out), "--quiet",
                 "--experimenter", "Doe, Jane", "--institution", "Example University"]) == 0
    assert _findings(out, validate=True) == []  # not even a suggestion, with experimenter and institution
    session = open_recording(out).metadata["session"]
    assert session["subject_id"].startswith("simulated") and "simulated" in session["subject_description"]


def test_converted_recording_is_accepted_with_subject_options(tmp_path, capsys):
    wav = sorted(NEURALINK.glob("*.wav"))[0]
    bare = tmp_path / "bare.nwb"
    assert main(["convert", str(wav), str(bare)]) == 0
    assert "--species" in capsys.readouterr().out  # says what archives will miss
    assert any("species" in line for line in _refused(bare))
    out = tmp_path / "described.nwb"
    assert main(["convert", str(wav), str(out), "--subject-id", "monkey-1", "--species", "Macaca mulatta",
                 "--sex", "M", "--age", "P8Y", "--location", "motor cortex"]) == 0
    assert _refused(out) == []
    back = open_recording(out)
    assert back.metadata["session"]["species"] == "Macaca mulatta"
    again = tmp_path / "again.nwb"  # NWB to NWB keeps the subject
    assert main(["convert", str(out), str(again)]) == 0
    assert _refused(again) == []


def test_graph_metadata_supplies_the_subject(tmp_path):
    """Recordings made by a graph carry its file's ``metadata``: subject fields there are used."""
    graph_metadata = {"subject_id": "P1", "species": "Homo sapiens", "sex": "F", "age": "P40Y",
                      "location": "precentral gyrus", "session": {"experimenter": "Doe, Jane"}}
    rec = Recording(np.arange(200, dtype=np.int16).reshape(2, 100), 1000.0, metadata=graph_metadata)
    save_recording(rec, tmp_path / "graph.nwb")
    assert _refused(tmp_path / "graph.nwb") == []


def test_bad_subject_fields_are_refused_before_writing(tmp_path):
    from cortexlink.core.errors import InvalidParameterError

    rec = Recording(np.zeros((2, 10), np.int16), 1000.0)
    for bad in ({"sex": "male"}, {"subject_id": "a/b"}, {"age": "8 years"}, {"weight": "3 kg"}):
        with pytest.raises(InvalidParameterError):
            save_recording(rec, tmp_path / "x.nwb", session=bad)
    assert not (tmp_path / "x.nwb").exists()


def test_a_file_written_like_pynwbs_tutorial_reads_and_converts_with_its_subject(tmp_path):
    """pynwb's ecephys tutorial shape: a Subject, two shanks, gzip-chunked raw counts with
    channel_conversion, LFP in a processing module; cortexlink reads both series and a convert keeps
    the subject, so the copy passes the DANDI checks too."""
    from datetime import UTC, datetime

    import pynwb
    from hdmf.backends.hdf5.h5_utils import H5DataIO
    from pynwb.ecephys import LFP, ElectricalSeries
    from pynwb.file import Subject

    nwb = pynwb.NWBFile(session_description="ecephys tutorial", identifier="t",
                        session_start_time=datetime(2024, 1, 1, tzinfo=UTC),
                        subject=Subject(subject_id="m1", species="Mus musculus", sex="M", age="P90D"))
    device = nwb.create_device(name="array", description="a probe")
    for shank in range(2):
        group = nwb.create_electrode_group(name=f"shank{shank}", description="shank", location="CA1",
                                           device=device)
        for _ in range(3):
            nwb.add_electrode(group=group, location="CA1")
    region = nwb.create_electrode_table_region(region=list(range(6)), description="all")
    raw = np.random.default_rng(0).integers(-500, 500, (3000, 6)).astype(np.int16)
    nwb.add_acquisition(ElectricalSeries(name="ElectricalSeries", electrodes=region, rate=30000.0,
                                         data=H5DataIO(raw, compression="gzip", chunks=(1000, 6)),
                                         conversion=1.95e-7, channel_conversion=np.ones(6)))
    module = nwb.create_processing_module(name="ecephys", description="processed")
    lfp = np.random.default_rng(1).standard_normal((100, 6))
    module.add(LFP(electrical_series=ElectricalSeries(name="LFP", data=lfp, electrodes=region, rate=1000.0)))
    with pynwb.NWBHDF5IO(str(tmp_path / "tutorial.nwb"), "w") as io:
        io.write(nwb)

    rec = open_recording(tmp_path / "tutorial.nwb")
    assert np.array_equal(rec.data, raw.T) and rec.gain_uv == pytest.approx(0.195)
    assert rec.metadata["session"]["species"] == "Mus musculus"
    assert open_recording(tmp_path / "tutorial.nwb", series_name="LFP").data.shape == (6, 100)
    save_recording(rec, tmp_path / "copy.nwb")
    assert _refused(tmp_path / "copy.nwb") == []


def test_a_store_exported_to_nwb_is_accepted_once_given_the_species(tmp_path, capsys):
    from cortexlink.store import StoreWriter

    w = StoreWriter(tmp_path / "site0", 3, 30000.0, fsync=False)
    w.append((np.random.default_rng(0).standard_normal((3, 3000)) * 40).astype(np.int16))
    w.close()
    bare, named = tmp_path / "bare.nwb", tmp_path / "named.nwb"
    assert main(["store", "export", str(tmp_path / "site0"), "--nwb", "--out", str(bare)]) == 0
    assert "--species" in capsys.readouterr().out  # the command says what DANDI still needs
    assert any("species" in r for r in _refused(bare))
    assert main(["store", "export", str(tmp_path / "site0"), "--nwb", "--out", str(named),
                 "--species", "Macaca mulatta", "--subject-id", "m1", "--sex", "M", "--age", "P6Y"]) == 0
    assert _refused(named) == []


def test_sorted_units_carry_the_recordings_subject(tmp_path, capsys):
    """``cortexlink sort --out x.nwb``: the units table file has the sorted recording's subject, the
    spike time resolution and each unit's electrode, and keeps them through a load and save."""
    from cortexlink.sort import load_sorting, save_sorting

    rec = tmp_path / "sim.nwb"
    assert main(["simulate", "--channels", "4", "--seconds", "2", "--out", str(rec), "--quiet"]) == 0
    units = tmp_path / "units.nwb"
    assert main(["sort", str(rec), "--out", str(units), "--experimenter", "Doe, Jane"]) == 0
    assert "archives" not in capsys.readouterr().out  # nothing they need is missing
    assert _refused(units, validate=True) == []
    sorting = load_sorting(units)
    assert sorting.n_units > 0
    assert sorting.metadata["source"]["session"]["subject_id"].startswith("simulated")
    assert sorting.metadata["source"]["session"]["experimenter"] == ["Doe, Jane"]
    again = tmp_path / "again.nwb"
    save_sorting(sorting, again)
    assert _refused(again) == []
    assert load_sorting(again).metadata["source"]["session"]["experimenter"] == ["Doe, Jane"]
