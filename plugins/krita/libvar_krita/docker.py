"""The Krita docker: a DockWidget around VarPanel (Settings › Dockers › libvar VAR)."""

from __future__ import annotations

from krita import DockWidget

from .panel import VarPanel

DOCKER_ID = "libvar_krita_docker"
TITLE = "libvar VAR"


class VarDocker(DockWidget):
    def __init__(self):
        super().__init__()
        self.setWindowTitle(TITLE)
        self.panel = VarPanel()
        self.setWidget(self.panel)
        self.destroyed.connect(self.panel.shutdown)

    def canvasChanged(self, canvas):
        """Required by DockWidget; the panel asks for the active document when an action starts."""
