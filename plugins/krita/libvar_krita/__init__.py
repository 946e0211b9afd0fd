"""libvar for Krita: VAR in-painting, out-painting and generation in a docker.

Registering the docker is the only side effect of importing this package, and
it happens only inside Krita, so that the binding (libvar.py) and the
GUI-free actions (edits.py) can be imported by plain Python and by tests.
"""

try:
    from krita import DockWidgetFactory, DockWidgetFactoryBase, Krita
except ImportError:  # not running inside Krita
    Krita = None

if Krita is not None:
    from .docker import DOCKER_ID, VarDocker
    from .qt import scoped

    Krita.instance().addDockWidgetFactory(
        DockWidgetFactory(DOCKER_ID, scoped(DockWidgetFactoryBase, "DockPosition", "DockRight"), VarDocker))
