"""The audit log's hash chain: intact logs verify; an edited, deleted, reordered or cut-off line
is found (library and ``cortexlink audit verify``)."""

from __future__ import annotations

import json

import pytest

from cortexlink.serve.audit import AuditLog, verify_audit

from ..cli.helpers import run


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(path)
    for i in range(6):
        audit.append(
            token=f"t{i % 2}",
            method="GET",
            endpoint=f"/graphs/g{i}",
            params="0" * 64,
            status=200,
            result="ok",
        )
    return path


def _rewrite(path, lines):
    path.write_text("".join(line + "\n" for line in lines))


def test_an_intact_log_verifies_and_resumes_its_chain(log):
    check = verify_audit(log)
    assert check.ok and check.entries == 6
    AuditLog(log).append(
        token="t9", method="POST", endpoint="/decode", params="", status=422, result="rejected"
    )
    assert verify_audit(log).entries == 7


def test_an_edited_line_is_found(log):
    lines = log.read_text().splitlines()
    entry = json.loads(lines[2])
    entry["status"] = 500
    lines[2] = json.dumps(entry)
    _rewrite(log, lines)
    check = verify_audit(log)
    assert not check.ok and "line 3" in check.problem and "edited" in check.problem


@pytest.mark.parametrize("change", ["delete", "reorder", "cut"])
def test_deleted_reordered_or_cut_lines_are_found(log, change):
    lines = log.read_text().splitlines()
    if change == "delete":
        del lines[3]
    elif change == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    else:
        lines = lines[:-2]
    _rewrite(log, lines)
    check = verify_audit(log)
    assert not check.ok
    assert ("cut off the end" in check.problem) if change == "cut" else ("deleted or moved" in check.problem)


def test_a_tampered_log_is_not_appended_to(log):
    from cortexlink.core.errors import CorruptDataError

    lines = log.read_text().splitlines()
    _rewrite(log, lines[:2] + lines[3:])
    with pytest.raises(CorruptDataError, match="does not verify"):
        AuditLog(log)


def test_cli_audit_verify(log, capsys):
    code, out, _ = run(["audit", "verify", log], capsys)
    assert code == 0 and "6 entries, chain intact" in out
    lines = log.read_text().splitlines()
    _rewrite(log, [lines[0].replace('"t0"', '"t1"'), *lines[1:]])
    code, _, err = run(["audit", "verify", log], capsys)
    assert code == 1 and "TAMPERED" in err and "line 1" in err
    code, _, err = run(["audit", "verify", log.with_name("none.jsonl")], capsys)
    assert code == 2 and "cannot read the audit log" in err and "Traceback" not in err


def test_cli_token_add_prints_a_token_that_authenticates(tmp_path, capsys):
    from cortexlink.serve.tokens import TokenStore

    code, out, _ = run(["token", "add", tmp_path / "t.jsonl", "bench", "--scope", "control"], capsys)
    assert code == 0
    token = TokenStore.load(tmp_path / "t.jsonl").find(out.strip())
    assert token is not None and token.id == "bench" and token.allows("read") and not token.allows("admin")
