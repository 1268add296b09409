"""fpdf2's object dictionaries, built without ``dir()`` on every object.

fpdf2 serialises each PDF object (page, font, descriptor, catalog, ...) from
``{key: getattr(self, key) for key in dir(self)}``: ``dir()`` lists, sorts and looks up
every name of the object's class, methods included (~80), for the few data attributes it
keeps. That was 13 % of rendering a zh-CN letter (py-spy, 500 Hz, 12 s of letters, tenth
session). :func:`install` replaces ``PDFObject._build_obj_dict`` with one that reads the
same names in the same sorted order: per class, once, the names of ``dir(cls)`` that are
not methods, plus each instance's own attributes. fpdf2's ``build_obj_dict`` then makes
the dictionary from them exactly as before (it drops callables, ``_private`` names,
``id``, ``ref`` and ``None`` itself), so every object is written with the same bytes
(tests/unit/letters/test_pdf_dicts.py compares the two on every object of a letter and a
report).
"""

from __future__ import annotations

import inspect
from typing import Any

from fpdf.syntax import PDFObject, build_obj_dict

_ORIGINAL = PDFObject._build_obj_dict
_NAMES: dict[type, tuple[str, ...]] = {}


def _class_names(cls: type) -> tuple[str, ...]:
    """The names of ``dir(cls)`` that may hold data on an instance: not ``_private``, not
    ``id``/``ref`` (fpdf2 skips those), not a function, classmethod or staticmethod (a
    property stays: it is read on each instance, as ``dir()`` + ``getattr`` did)."""
    names = []
    for name in dir(cls):
        if name.startswith("_") or name in ("id", "ref"):
            continue
        raw = inspect.getattr_static(cls, name)
        if inspect.isfunction(raw) or isinstance(raw, (classmethod, staticmethod)):
            continue
        names.append(name)
    return tuple(names)


def _build_obj_dict(self: PDFObject, security_handler: Any = None) -> dict[str, object]:
    cls = type(self)
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = _class_names(cls)
    own = getattr(self, "__dict__", None)
    if own:
        names = tuple(sorted({*names, *(k for k in own if not k.startswith("_"))}))
    return build_obj_dict({key: getattr(self, key) for key in names},
                          _security_handler=security_handler, _obj_id=self.id)


def install() -> None:
    """Use :func:`_build_obj_dict` for every fpdf2 object of this process (idempotent)."""
    PDFObject._build_obj_dict = _build_obj_dict  # type: ignore[method-assign]
