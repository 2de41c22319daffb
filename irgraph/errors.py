"""Typed exceptions raised by the library; the CLI turns them into one-line messages."""

from __future__ import annotations


class IrgraphError(Exception):
    """Base class of every error irgraph raises on purpose."""


class InputError(IrgraphError):
    """An input could not be found or read (the message names the file)."""


class NoInputError(InputError):
    """No input records were found at the given paths."""


class OutputError(IrgraphError):
    """An output folder or file could not be written."""


class RegistryError(IrgraphError):
    """The institution registry or an overrides file is malformed (the message names file and line)."""


class OptionError(IrgraphError):
    """An option value is invalid (e.g. an unknown company code or a bad date)."""
