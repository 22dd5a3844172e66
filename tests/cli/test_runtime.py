"""``cortexlink run`` and ``cortexlink graph validate`` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortexlink.cli import main

NODES = Path(__file__).resolve().parents[1] / "graph" / "user_nodes" / "tiny_nodes.py"


def write_graph(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "g.yaml"
    path.write_text(f"""\
metadata: {{graph_name: cli-test}}
nodes:
  - {{name: Counter, module: {NODES}, nickname: src, parameters: {{rate: 1000.0, n_chunks: 50}}}}
  - {{name: Negate, module: {NODES}, nickname: neg, inputs: {{in: src}}}}
  - {{name: Tally, module: {NODES}, nickname: sink, inputs: {{in: neg}}{extra}}}
""")
    return path


def test_validate_accepts_a_good_graph(tmp_path, capsys):
    assert main(["graph", "validate", str(write_graph(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "valid graph" in out and "neg" in out


def test_validate_rejects_a_bad_graph_with_one_line_naming_the_line(tmp_path, capsys):
    path = write_graph(tmp_path, extra=", parameters: {pth: x}")
    assert main(["graph", "validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{path}:5:" in err and "unknown parameter 'pth'" in err


def test_validate_and_run_of_a_missing_file_exit_2(tmp_path, capsys):
    assert main(["graph", "validate", str(tmp_path / "nope.yaml")]) == 2
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_run_rejects_bad_options_in_one_line(tmp_path, capsys):
    path = write_graph(tmp_path)
    assert main(["run", str(path), "--duration", "-1"]) == 2
    assert main(["run", str(path), "--redis-url", "redis://localhost:1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "--duration" in err[0] and "--transport redis" in err[1]


@pytest.mark.parametrize("transport", ["shm", "redis"])
def test_run_prints_the_latency_table(tmp_path, capsys, transport, request):
    if transport == "redis":
        request.getfixturevalue("redis_server_exe")
    qos = ["--no-pm-qos"] if transport == "redis" else []  # one run each way
    assert main(["run", str(write_graph(tmp_path)), "--transport", transport, "--duration", "20", *qos]) == 0
    out, err = capsys.readouterr()
    assert ("CPU wake-up latency" in err) != bool(qos)  # held, or said why not, unless --no-pm-qos
    assert "per-node latency" in out and "e2e p50/p99/max" in out
    assert "sink: samples = 500" in out
    assert "end-to-end latency at sink" in out
    assert "stopped: all nodes finished" in out


def test_ctrl_c_stops_every_process_cleanly(tmp_path):
    """SIGINT to the whole process group, as a terminal's Ctrl-C does: every node stops cleanly, the
    table is printed, and the exit status is 130 as for any program a shell saw interrupted."""
    import os
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "g.yaml"
    path.write_text(f"""\
nodes:
  - {{name: Counter, module: {NODES}, nickname: src}}
  - {{name: Negate, module: {NODES}, nickname: neg, inputs: {{in: src}}}}
  - {{name: Tally, module: {NODES}, nickname: sink, inputs: {{in: neg}}, parameters: {{path: {tmp_path}/t}}}}
""")
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, "-m", "cortexlink", "run", str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "t").exists() or not (tmp_path / "t").read_text():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "stopped: interrupted (Ctrl-C)" in out and "cortexlink: interrupted" in err
    for nick in ("src", "neg", "sink"):
        assert f"│ {nick}" in out and "DONE" in out
    assert "KILLED" not in out and "DEAD" not in out
    assert (tmp_path / "t.done").exists()


def test_run_over_shm_refuses_nodes_on_other_machines(tmp_path, capsys):
    assert main(["run", str(write_graph(tmp_path, extra=", machine: rig-b"))]) == 2
    err = capsys.readouterr().err.strip()
    assert "sink on 'rig-b'" in err and "--transport redis --redis-url" in err and "cortexlink agent" in err


@pytest.mark.usefixtures("redis_server_exe")
def test_run_across_machines_with_an_agent_and_without(tmp_path, capsys):
    """Nodes on machine 'b' run by an agent (here in a thread); with no agent for 'c', a clear error."""
    import threading

    from cortexlink.graph.agent import Agent
    from cortexlink.graph.redis_server import RedisServer

    with RedisServer() as server:
        agent = Agent(server.url, "b")
        thread = threading.Thread(target=agent.serve, daemon=True)
        thread.start()
        try:
            code = main(["run", str(write_graph(tmp_path, extra=", machine: b")), "--transport", "redis",
                         "--redis-url", server.url, "--duration", "20"])
        finally:
            agent.stop()
            thread.join(20)
        assert code == 0 and not thread.is_alive()
        out = capsys.readouterr().out
        assert "sink: samples = 500" in out and "stopped: all nodes finished" in out
        path = write_graph(tmp_path, extra=", machine: c")
        assert main(["run", str(path), "--transport", "redis", "--redis-url", server.url]) == 2
    err = capsys.readouterr().err
    assert "no agent serves machine 'c' (nodes sink are placed there); on that machine run: " \
           f"cortexlink agent --redis-url {server.url} --machine c" in err


def test_agent_rejects_a_bad_url_and_an_unreachable_server_in_one_line(capsys):
    assert main(["agent", "--redis-url", "http://localhost:6379", "--machine", "b"]) == 2
    assert main(["agent", "--redis-url", "redis://127.0.0.1:1", "--machine", "b"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "redis://host:port" in err[0] and "cannot reach Redis" in err[1]


def test_paths_in_a_graph_file_are_relative_to_it_whatever_the_current_directory(tmp_path, monkeypatch,
                                                                                capsys):
    """file_source's path, a recorder's folder and module: all resolve against the graph file's folder."""
    import shutil

    import numpy as np

    from cortexlink.core.recording import Recording
    from cortexlink.io import save_recording

    rig = tmp_path / "rig"
    rig.mkdir()
    save_recording(Recording(np.arange(600, dtype=np.int16).reshape(2, 300), 1000.0), rig / "rec.npz")
    shutil.copy(NODES, rig / "tiny_nodes.py")
    (rig / "g.yaml").write_text("""\
nodes:
  - {name: file_source, nickname: src, parameters: {path: rec.npz, realtime: false}}
  - {name: Tally, module: tiny_nodes.py, nickname: sink, inputs: {in: src}}
  - {name: recorder, nickname: rec, inputs: {in: src}, parameters: {path: out}}
""")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["graph", "validate", "../rig/g.yaml"]) == 0, capsys.readouterr().err
    assert main(["run", "../rig/g.yaml", "--duration", "30", "--no-pm-qos"]) == 0, capsys.readouterr().err
    assert "sink: samples = 300" in capsys.readouterr().out
    assert (rig / "out").is_dir() and not (elsewhere / "out").exists()


def test_nodes_lists_kinds_with_settings_and_refuses_an_unknown_one(capsys):
    assert main(["nodes", "file_source", "decoder"]) == 0
    out = capsys.readouterr().out
    assert "file_source (source):" in out and "inputs: -; outputs: out" in out
    assert "calibration_s" in out and "dict[str, Any]" in out
    assert main(["nodes", "nope"]) == 2
    assert "unknown node kind 'nope'" in capsys.readouterr().err


def test_run_long_session_prints_each_mode_per_block_and_rejects_a_bad_speed(capsys):
    assert main(["run", "long-session", "--duration", "75", "--speed", "max", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "long session: 75 s, kalman, seed 2" in out and "1-1.25 min" in out
    for mode in ("fixed", "refit", "smoothbatch"):
        assert f"{mode} targets/min" in out
    assert main(["run", "long-session", "--speed", "warp"]) == 2
    assert "speed must be 'max'" in capsys.readouterr().err
    assert main(["run", "--speed", "4", "--duration", "1"]) == 2
    assert "--speed is for the scenarios" in capsys.readouterr().err
