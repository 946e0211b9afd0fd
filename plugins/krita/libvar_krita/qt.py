"""The one place that imports PyQt: PyQt6 under Krita 6 (Qt 6), PyQt5 under Krita 5.

Krita 6's own `krita` module refuses to run beside PyQt5, and Krita 5's has
no PyQt6, so the binding has to be the one Krita itself was built with.
Krita's `krita` module imports its PyQt when it loads (before any plug-in),
so inside Krita that binding is already in sys.modules; should it not be,
Krita's version decides (6 and later: PyQt6).  Outside Krita (tests,
scripts) `import krita` fails and whichever binding is installed is used,
PyQt5 first, as Krita 5 is what most users run.

The rest of the plug-in imports Qt names from here and writes enums in their
scoped form (Qt.ConnectionType.QueuedConnection, QComboBox.InsertPolicy.NoInsert),
which PyQt6 requires and PyQt5 5.11+ (every Krita 5 ships 5.15) accepts.
What is left that differs is spelled here: exec() and Krita's own enums.
"""

from __future__ import annotations

import sys


def _loaded_major():
    for major in (6, 5):
        if f"PyQt{major}.QtCore" in sys.modules:
            return major
    return None


def _krita_major():
    """Krita's own major version when running inside Krita (6 = Qt 6), else None."""
    try:
        import krita  # inside Krita this also loads Krita's PyQt
    except ImportError:
        return None
    try:
        return int(krita.Krita.instance().version().split(".")[0])
    except (AttributeError, ValueError, RuntimeError):
        return None


def _choose_major() -> int:
    major = _loaded_major()
    if major is None:
        krita_major = _krita_major()
        major = _loaded_major() or (6 if krita_major and krita_major >= 6 else None)
    if major is not None:
        return major
    try:
        import PyQt5.QtCore  # noqa: F401
        return 5
    except ImportError:
        import PyQt6.QtCore  # noqa: F401
        return 6


QT_MAJOR = _choose_major()

if QT_MAJOR == 6:
    from PyQt6 import QtCore, QtGui, QtWidgets
else:
    from PyQt5 import QtCore, QtGui, QtWidgets

Qt = QtCore.Qt
pyqtSignal = QtCore.pyqtSignal
QT_VERSION = QtCore.QT_VERSION_STR
PYQT_VERSION = QtCore.PYQT_VERSION_STR


def exec_(obj):
    """obj.exec() (PyQt6 has only exec; old PyQt5 only exec_)."""
    run = getattr(obj, "exec", None) or obj.exec_
    return run()


def scoped(cls, scope: str, name: str):
    """An enum value of a sip-wrapped class, scoped (PyQt6-sip, as Krita 6 builds
    its own classes) or not (PyQt5-sip, Krita 5): scoped(DockWidgetFactoryBase,
    "DockPosition", "DockRight")."""
    holder = getattr(cls, scope, None)
    if holder is not None and hasattr(holder, name):
        return getattr(holder, name)
    return getattr(cls, name)
