"""Shell completion (click's, as the README shows it): commands, the lazily loaded ones too, and options."""

from __future__ import annotations

import pytest
from click.shell_completion import BashComplete

from newswatch.monitor.cli.main import cli


@pytest.mark.parametrize(("args", "incomplete", "expected"), [
    ([], "ru", ["run"]),
    (["sources"], "ex", ["export"]),
    (["run"], "--qu", ["--quiet"]),
    (["run"], "--log-", ["--log-file"]),
], ids=["command", "lazy-subcommand", "option", "new-option"])
def test_completion(args: list[str], incomplete: str, expected: list[str]) -> None:
    complete = BashComplete(cli, {}, "newswatch", "_NEWSWATCH_COMPLETE")
    assert [item.value for item in complete.get_completions(args, incomplete)] == expected


def test_the_bash_script_calls_newswatch_back() -> None:
    script = BashComplete(cli, {}, "newswatch", "_NEWSWATCH_COMPLETE").source()
    assert "_NEWSWATCH_COMPLETE=bash_complete" in script and "complete -o nosort -F" in script
