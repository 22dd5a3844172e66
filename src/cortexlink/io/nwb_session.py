"""Subject and session metadata for the NWB files cortexlink writes, so archives (DANDI) accept them.

``nwbinspector --config dandi`` treats a missing subject, subject id, sex, species or age as
critical. Each field comes, in this order, from the ``session`` options the caller passes
(``cortexlink convert/simulate --subject-id ... --species ...``), from the recording's metadata
(top-level keys or a ``session`` dict: a graph's ``metadata`` reaches recorder exports this way),
and last from defaults: simulated recordings (``metadata["simulated"]``) get defaults that say so;
real ones get only what is honest to assume (sex ``U``, age ``P0D/`` meaning "unknown").
"""

from __future__ import annotations

from typing import Any

from cortexlink.core.errors import InvalidParameterError

SUBJECT_FIELDS = ("subject_id", "species", "sex", "age", "subject_description", "strain", "genotype")
FILE_FIELDS = ("session_description", "experiment_description", "session_id", "experimenter",
               "institution", "lab", "keywords")
ELECTRODE_FIELDS = ("location", "device_description")
SESSION_FIELDS = SUBJECT_FIELDS + FILE_FIELDS + ELECTRODE_FIELDS
_LISTS = ("experimenter", "keywords")
_SEXES = ("M", "F", "U", "O")
UNKNOWN_AGE = "P0D/"  # an ISO 8601 range with no upper bound: "at least 0 days", i.e. not known


def _simulated_defaults(metadata: dict) -> dict[str, Any]:
    seed, task = metadata.get("seed"), metadata.get("task")
    made = f"cortexlink simulator (seed {seed}, task {task})"
    return {
        "subject_id": f"simulated-seed{seed}",
        "species": "Macaca mulatta",
        "sex": "U",
        "age": UNKNOWN_AGE,
        "subject_description": f"simulated subject: synthetic data from the {made}; no animal was "
                               "recorded. The species is the one the motor-cortex model stands for.",
        "session_description": f"simulated recording ({made})",
        "experiment_description": f"Synthetic extracellular recording with ground truth from the {made}.",
        "keywords": ["simulated data", "extracellular electrophysiology", "cortexlink"],
        "location": "motor cortex (simulated)",
        "device_description": "simulated implant (cortexlink simulator)",
    }


def _real_defaults() -> dict[str, Any]:
    return {
        "subject_id": "unknown",
        "sex": "U",
        "age": UNKNOWN_AGE,
        "session_description": "cortexlink recording",
        "keywords": ["extracellular electrophysiology"],
        "location": "unknown",
    }


def session_info(metadata: dict | None, session: dict | None = None) -> dict[str, Any]:
    """The NWB subject/session fields for a recording: ``session`` > ``metadata`` > defaults."""
    metadata = metadata or {}
    session = dict(session or {})
    unknown = sorted(set(session) - set(SESSION_FIELDS))
    if unknown:
        raise InvalidParameterError(f"unknown NWB session field(s) {', '.join(unknown)}; "
                                    f"use any of {', '.join(SESSION_FIELDS)}")
    nested = metadata.get("session") if isinstance(metadata.get("session"), dict) else {}
    defaults = _simulated_defaults(metadata) if metadata.get("simulated") else _real_defaults()
    info: dict[str, Any] = {}
    for field in SESSION_FIELDS:
        for source in (session, nested, metadata, defaults):
            if source.get(field) not in (None, "", []):
                info[field] = source[field]
                break
    for field in _LISTS:
        if isinstance(info.get(field), str):
            info[field] = [part.strip() for part in info[field].split(";") if part.strip()]
    return _checked(info)


def _checked(info: dict[str, Any]) -> dict[str, Any]:
    sex = info.get("sex")
    if sex is not None and sex not in _SEXES:
        raise InvalidParameterError(f"sex must be one of {', '.join(_SEXES)} (DANDI's codes), got {sex!r}")
    for field in ("subject_id", "session_id"):
        if "/" in str(info.get(field, "")):
            raise InvalidParameterError(f"{field} {info[field]!r} holds a '/'; archives refuse it: use '-'")
    age = info.get("age")
    if age is not None and not str(age).startswith("P"):
        raise InvalidParameterError(f"age must be an ISO 8601 duration such as P90D or P3Y, got {age!r}")
    return info


ARCHIVE_REQUIRED = ("subject_id", "species", "sex", "age")


def archive_gaps(metadata: dict | None, session: dict | None = None) -> list[str]:
    """The fields DANDI requires that neither ``session``, the metadata nor a default supplies."""
    info = session_info(metadata, session)
    return [field for field in ARCHIVE_REQUIRED if field not in info]


def nwb_subject(info: dict[str, Any]) -> Any:
    """A ``pynwb.file.Subject`` from :func:`session_info`'s fields."""
    from pynwb.file import Subject

    fields = {"subject_id": "subject_id", "species": "species", "sex": "sex", "age": "age",
              "subject_description": "description", "strain": "strain", "genotype": "genotype"}
    return Subject(**{name: str(info[key]) for key, name in fields.items() if key in info})


def nwbfile_fields(info: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of ``pynwb.NWBFile`` from :func:`session_info`'s fields."""
    return {key: info[key] for key in FILE_FIELDS if key in info}


def session_from_nwbfile(nwbfile: Any) -> dict[str, Any]:
    """The subject/session fields a file holds (so a convert from NWB to NWB keeps them)."""
    out: dict[str, Any] = {}
    subject = nwbfile.subject
    if subject is not None:
        for key, name in (("subject_id", "subject_id"), ("species", "species"), ("sex", "sex"),
                          ("age", "age"), ("subject_description", "description")):
            value = getattr(subject, name, None)
            if value:
                out[key] = str(value)
    for key in FILE_FIELDS:
        value = getattr(nwbfile, key, None)
        if value is not None and len(value):
            out[key] = list(value) if key in _LISTS else str(value)
    return out
