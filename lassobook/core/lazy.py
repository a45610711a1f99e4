"""Lazy public names (PEP 562): a package's ``__getattr__`` and ``__dir__`` from a name → module table.

``lassobook`` and ``lassobook.book`` export names whose modules import torch, cvxpy or
Sphinx; importing the package itself stays cheap (``lassobook --help`` pays for none
of them) and a name's module is imported the first time the name is read.
"""

from __future__ import annotations

from importlib import import_module


def lazy_exports(package: str, namespace: dict, exports: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package`` whose public names are ``exports`` (name →
    module relative to the package); a name read once is kept in ``namespace`` (its globals)."""

    def __getattr__(name):
        if name in exports:
            value = getattr(import_module(f".{exports[name]}", package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
