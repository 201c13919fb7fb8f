"""What every ``cityops`` command line module shares: building the container, failing with a
readable message (no traceback), printing JSON and reading input files.

``cli.py`` and the sub-CLIs (``community_cli``, ``passes_cli``, ``duty_cli``) import from here;
this module imports none of them, so there is no cycle between the main CLI and its parts."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, NoReturn, TypeVar

import typer

from ..bootstrap import Container, bootstrap
from ..domain.errors import DomainError

T = TypeVar("T")


def box() -> Container:
    """The container from the settings; a settings error is one line on stderr and exit code 2."""
    try:
        return bootstrap()
    except Exception as e:  # settings errors: say what is wrong, no traceback
        typer.echo(f"配置错误 (configuration error): {e}", err=True)
        raise typer.Exit(2) from None


def fail(e: DomainError) -> NoReturn:
    """A refused use case: its message (and field) on stderr, exit code 1."""
    typer.echo(f"错误 (error): {e.message}" + (f" [field: {e.field}]" if e.field else ""), err=True)
    raise typer.Exit(1)


def guarded(fn: Callable[[], T]) -> T:
    """``fn()``, or :func:`fail` when it raises a DomainError."""
    try:
        return fn()
    except DomainError as e:
        fail(e)


def echo_json(value: Any) -> None:
    """Pretty JSON on stdout (Chinese kept readable); anything else as ``str``."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def echo_json_iso(value: Any) -> None:
    """Pretty JSON on stdout with datetimes in ISO 8601 (``2022-04-02T06:00:00+08:00``)."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2,
                          default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))


def read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as e:
        typer.echo(f"错误 (error): cannot read {file}: {e}", err=True)
        raise typer.Exit(1) from None


def read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        typer.echo(f"错误 (error): cannot read {file}: {e}", err=True)
        raise typer.Exit(1) from None
