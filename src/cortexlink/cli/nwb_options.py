"""Subject and session options shared by the commands that write NWB (``simulate``, ``convert``,
``store export``)."""

from __future__ import annotations

import argparse

_OPTIONS = (
    ("subject_id", "ID", "subject identifier (no '/')"),
    ("species", "NAME", "Latin binomial, e.g. 'Macaca mulatta', or an NCBI taxonomy link"),
    ("sex", "M|F|U|O", "subject sex (default U, unknown)"),
    ("age", "ISO", "ISO 8601 duration, e.g. P4Y (default P0D/, unknown)"),
    ("experimenter", "NAMES", "'Last, First'; several separated by ';'"),
    ("institution", "NAME", "institution where the data were recorded"),
    ("lab", "NAME", "lab where the data were recorded"),
    ("session_description", "TEXT", "what the session was"),
    ("experiment_description", "TEXT", "what the experiment was"),
    ("keywords", "WORDS", "keywords separated by ';'"),
    ("location", "AREA", "brain area of the electrodes, e.g. M1"),
)


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--subject-id``, ``--species``, ... (NWB outputs; defaults come from the recording)."""
    group = parser.add_argument_group("NWB subject and session", "written into .nwb outputs; archives "
                                      "such as DANDI need subject id, species, sex and age")
    for name, metavar, text in _OPTIONS:
        group.add_argument("--" + name.replace("_", "-"), dest=f"nwb_{name}", metavar=metavar, help=text)


def session_options(args: argparse.Namespace) -> dict[str, str] | None:
    """The session fields given on the command line, or None when none was."""
    given = {name: getattr(args, f"nwb_{name}") for name, _, _ in _OPTIONS
             if getattr(args, f"nwb_{name}", None) is not None}
    return given or None


def report_archive_gaps(path: object, metadata: dict, session: dict[str, str] | None) -> None:
    """Print which options an NWB file still needs before archives (DANDI) accept it."""
    from cortexlink.io.nwb_session import archive_gaps

    gaps = archive_gaps(metadata, session)
    if gaps:
        print(f"note: archives (DANDI) will refuse {path} until it has {', '.join(gaps)}: "
              + " ".join(f"--{gap.replace('_', '-')} ..." for gap in gaps))
