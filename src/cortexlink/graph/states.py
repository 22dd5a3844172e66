"""The words the runtime's processes exchange: node states and message kinds, one enum each.

``NodeState`` names what a node is (as the supervisor sees it) and the events published on its
state stream (BRAND's ``<nickname>_state``: NODE_STARTED, NODE_READY, NODE_SHUTDOWN,
NODE_FATAL_ERROR, NODE_WARNING, NODE_INFO, plus the supervisor's NODE_DIED and NODE_RESTART).
``Msg`` names the kinds of message a node sends up its pipe and an agent relays from its nodes;
``AgentMsg`` and ``AgentOp`` the agent protocol's own. They are ``StrEnum``: equal to their
string, so they pass through pipes, JSON and Redis as plain text.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["NodeState", "Msg", "AgentMsg", "AgentOp", "QUIET_STATES", "REPORTED_STATES", "message_state"]


class NodeState(StrEnum):
    """A node's state, and the events published on its state stream."""

    PENDING = "PENDING"                    # not started yet
    STARTING = "STARTING"                  # process started, no word from it yet
    NODE_STARTED = "NODE_STARTED"          # its process runs (before setup)
    NODE_READY = "NODE_READY"              # set up and in its loop
    NODE_SHUTDOWN = "NODE_SHUTDOWN"        # stopped cleanly
    NODE_FATAL_ERROR = "NODE_FATAL_ERROR"  # raised; its message says where
    DONE = "DONE"                          # exited 0 after a clean shutdown
    DEAD = "DEAD"                          # exited otherwise (its restart policy applies)
    KILLED = "KILLED"                      # did not stop within the grace time
    # events only: published on the state stream, never a node's lasting state
    NODE_WARNING = "NODE_WARNING"
    NODE_INFO = "NODE_INFO"
    NODE_DIED = "NODE_DIED"
    NODE_RESTART = "NODE_RESTART"


# lifecycle events a person watching the run need not see
QUIET_STATES = frozenset({NodeState.NODE_READY, NodeState.NODE_STARTED, NodeState.NODE_SHUTDOWN})
# the states a node's own messages may set
REPORTED_STATES = frozenset({NodeState.NODE_STARTED, NodeState.NODE_READY, NodeState.NODE_SHUTDOWN,
                             NodeState.NODE_FATAL_ERROR})


class Msg(StrEnum):
    """Kinds of message from a node (through its pipe, or relayed by its agent)."""

    HEARTBEAT = "hb"       # counters and latency histograms
    STATE = "state"        # (NodeState, message)
    PID = "pid"
    REPORT = "report"      # summary metrics (context.report)
    INFO = "info"
    WARNING = "warning"
    EXIT = "exit"          # relayed by an agent: the node's exit code
    LOST = "lost"          # relayed by an agent: the node could not run or its agent is gone


def message_state(kind: Msg) -> NodeState:
    """The state-stream event a node's info or warning message is published as."""
    return NodeState.NODE_INFO if kind == Msg.INFO else NodeState.NODE_WARNING


class AgentMsg(StrEnum):
    """Messages of an agent about itself or a run (not about one node)."""

    STOPPED = "agent_stopped"
    ENDED = "ended"
    BEAT = "agent_beat"


class AgentOp(StrEnum):
    """Commands from a supervisor to an agent."""

    START = "start"
    STOP = "stop"
    KILL = "kill"
    END = "end"
