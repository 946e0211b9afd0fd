"""A stand-in for Krita's `krita` module: just what the docker calls, for
running the docker's panel and worker outside Krita (tests/krita/test_panel_qt.py).

Like Krita 6's module it imports its PyQt before any plug-in code does, the
one named by $LIBVAR_FAKE_KRITA_QT (5 or 6), so the plug-in's Qt module has to
pick that one.  Documents are 8-bit RGBA (BGRA bytes, as Krita's); the
projection shows the top-most visible opaque pixel, which is all that the
docker's result layers (opaque where changed, transparent elsewhere) need.
Krita's own colour conversions and compositing are tested in Krita itself
(krita_edit_test.py)."""

import importlib
import os

QT = os.environ.get("LIBVAR_FAKE_KRITA_QT", "6")
QtCore = importlib.import_module(f"PyQt{QT}.QtCore")
QtWidgets = importlib.import_module(f"PyQt{QT}.QtWidgets")


class DockWidget(QtWidgets.QDockWidget):
    pass


class DockWidgetFactoryBase:
    if QT == "6":
        class DockPosition:  # PyQt6-sip scopes enums, as Krita 6's own
            DockRight = 2
    else:
        DockRight = 2


class DockWidgetFactory:
    def __init__(self, ident, position, cls):
        self.ident, self.position, self.cls = ident, position, cls


class Selection:
    def __init__(self, mask: bytes, width: int, height: int):
        self.mask, self.w, self.h = mask, width, height

    def width(self):
        return self.w

    def height(self):
        return self.h

    def pixelData(self, x, y, w, h):
        assert (x, y, w, h) == (0, 0, self.w, self.h)
        return QtCore.QByteArray(self.mask)


class Node:
    def __init__(self, name, width, height):
        self._name, self.data, self.visible_ = name, bytes(4 * width * height), True
        self.children = []

    def name(self):
        return self._name

    def type(self):
        return "paintlayer"

    def setPixelData(self, data, x, y, w, h):
        assert (x, y) == (0, 0) and len(data) == 4 * w * h
        self.data = bytes(data)

    def pixelData(self, x, y, w, h):
        return QtCore.QByteArray(self.data)

    def setVisible(self, visible):
        self.visible_ = visible

    def visible(self):
        return self.visible_

    def childNodes(self):
        return list(self.children)

    def addChildNode(self, node, above):
        self.children.insert(self.children.index(above) + 1 if above is not None else 0, node)
        return True


class Document:
    def __init__(self, width, height, name="fake"):
        self.w, self.h, self._name = width, height, name
        self.root = Node("root", width, height)
        self.root.children.append(Node("Background", width, height))
        self.sel = None
        self.active = None

    def colorModel(self):
        return "RGBA"

    def colorDepth(self):
        return "U8"

    def colorProfile(self):
        return "sRGB-elle-V2-srgbtrc.icc"

    def width(self):
        return self.w

    def height(self):
        return self.h

    def rootNode(self):
        return self.root

    def createNode(self, name, kind):
        assert kind == "paintlayer"
        return Node(name, self.w, self.h)

    def setActiveNode(self, node):
        self.active = node

    def selection(self):
        return self.sel

    def setSelection(self, sel):
        self.sel = sel

    def waitForDone(self):
        pass

    def refreshProjection(self):
        pass

    def pixelData(self, x, y, w, h):
        assert (x, y, w, h) == (0, 0, self.w, self.h)
        out = bytearray(self.root.children[0].data)
        for layer in self.root.children[1:]:
            if not layer.visible_:
                continue
            for i in range(self.w * self.h):
                if layer.data[4 * i + 3] == 255:
                    out[4 * i:4 * i + 4] = layer.data[4 * i:4 * i + 4]
        return QtCore.QByteArray(bytes(out))


class Krita:
    _instance = None

    def __init__(self):
        self.settings, self.docs, self.factories = {}, [], []

    @classmethod
    def instance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def readSetting(self, group, key, default):
        return self.settings.get((group, key), default)

    def writeSetting(self, group, key, value):
        self.settings[(group, key)] = value

    def documents(self):
        return list(self.docs)

    def activeDocument(self):
        return self.docs[-1] if self.docs else None

    def addDockWidgetFactory(self, factory):
        self.factories.append(factory)
