"""The CLI imports a command's module when the command is used: the name -> module map stays whole."""

from __future__ import annotations

import importlib
import re

import click
import pytest
from click.testing import CliRunner

from newswatch.monitor.cli.lazy import COMMAND_MODULES, LazyGroup, load_command
from newswatch.monitor.cli.main import cli
from tests.conftest import ROOT

MODULES = sorted({path.stem for path in (ROOT / "monitor" / "cli").glob("*.py")
                  if re.search(r"^COMMANDS = ", path.read_text(encoding="utf-8"), re.M)})


@pytest.mark.parametrize("module", MODULES, ids=MODULES)
def test_every_command_of_a_cli_module_is_mapped_to_it(module: str) -> None:
    names = {command.name for command in importlib.import_module(f"newswatch.monitor.cli.{module}").COMMANDS}
    mapped = {name for name, where in COMMAND_MODULES.items() if where == f"newswatch.monitor.cli.{module}"}
    assert names == mapped


def test_help_lists_every_command_and_each_loads_with_config_after_it() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    listed = set(re.findall(r"^  ([a-z]+) ", result.output, re.M))
    assert set(COMMAND_MODULES) <= listed
    assert isinstance(cli, LazyGroup)
    for name in COMMAND_MODULES:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None and any(p.name == "config_after" for p in command.params), name


def test_a_command_missing_from_its_module_is_a_clear_error() -> None:
    with pytest.raises(LookupError, match="no command 'nope'"):
        load_command("nope", "newswatch.monitor.cli.prune")
