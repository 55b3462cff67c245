"""The one error of the adapter tools."""
from __future__ import annotations


class AdapterError(ValueError):
    """A PEFT adapter does not fit the base model or the build; the message names the file and field."""
