"""Drive a node class directly, without the runtime: build it with a standalone context."""

from __future__ import annotations

from typing import Any

from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import NodeContext


def make_node(cls: type, parameters: dict[str, Any] | None = None,
              input_specs: dict[str, StreamSpec] | None = None, setup: bool = True,
              connect_feedback: bool = True) -> Any:
    """An instance of node ``cls`` with checked settings, its output specs filled, set up;
    feedback ports are connected unless ``connect_feedback`` is False."""
    settings = cls.make_settings(parameters or {})
    inputs = input_specs or {}
    outputs = cls.describe_outputs(settings, inputs) if inputs or not cls.inputs else {}
    ports = cls.feedback_inputs if connect_feedback else ()
    feedback = {port: StreamSpec(port, 2, 100.0, "float32") for port in ports}
    node = cls(settings, NodeContext.standalone("test", inputs, outputs, feedback))
    if setup:
        node.setup()
    return node


def acknowledged_before_sigkill(script: str, folder: Any, n_acks: int) -> int:
    """Run ``script`` (argv[1] = ``folder``) in a child that prints a running count of chunks it
    has made durable, one per line; SIGKILL it once ``n_acks`` are acknowledged and return the
    last count it printed."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    src = str(Path(__file__).resolve().parents[2] / "src")
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", script, str(folder)], stdout=subprocess.PIPE,
                            env=env, text=True)
    acked = 0
    try:
        while acked < n_acks:
            line = proc.stdout.readline()
            assert line, "the writing process exited before it was killed"
            acked = int(line)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return acked
