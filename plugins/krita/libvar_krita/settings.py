"""Remembering the docker's fields between Krita sessions.

Inside Krita the values go to kritarc through Krita.readSetting/writeSetting,
group [libvar], like Krita's own options (and a test's hermetic config folder
isolates them too).  Outside Krita a QSettings file is used, so the panel can
be exercised by plain PyQt code.
"""

from __future__ import annotations

import dataclasses
import json

from .edits import Settings

GROUP = "libvar"


class KritaStore:
    def __init__(self):
        from krita import Krita

        self._app = Krita.instance()

    def get(self, key: str) -> str:
        return self._app.readSetting(GROUP, key, "")

    def set(self, key: str, value: str) -> None:
        self._app.writeSetting(GROUP, key, value)


class QSettingsStore:
    def __init__(self):
        from .qt import QtCore

        self._s = QtCore.QSettings("libvar", "libvar-krita")

    def get(self, key: str) -> str:
        value = self._s.value(f"{GROUP}/{key}", "")
        return value if isinstance(value, str) else ""

    def set(self, key: str, value: str) -> None:
        self._s.setValue(f"{GROUP}/{key}", value)


def default_store():
    try:
        return KritaStore()
    except ImportError:
        return QSettingsStore()


class Persisted:
    """Settings plus the docker-only "new seed each run" flag, as JSON values per field."""

    def __init__(self, store=None):
        self.store = store or default_store()

    def load(self, base: Settings) -> tuple[Settings, bool]:
        """`base` (the library's defaults) with every remembered field that still parses."""
        values = {}
        for f in dataclasses.fields(Settings):
            raw = self.store.get(f.name)
            if not raw:
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if f.name == "margins":
                if isinstance(value, list) and len(value) == 4 and all(isinstance(v, int) for v in value):
                    values[f.name] = tuple(value)
                continue
            current = getattr(base, f.name)
            if value is None or current is None or isinstance(value, type(current)) \
                    or (isinstance(current, float) and isinstance(value, int)):
                values[f.name] = value
        random_each = self.store.get("random_seed") == "true"
        return dataclasses.replace(base, **values), random_each

    def save(self, settings: Settings, random_each: bool) -> None:
        for f in dataclasses.fields(Settings):
            value = getattr(settings, f.name)
            self.store.set(f.name, json.dumps(list(value) if isinstance(value, tuple) else value))
        self.store.set("random_seed", "true" if random_each else "false")
