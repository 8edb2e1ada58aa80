"""A numba cache locator for modules frozen into a PyInstaller bundle (packaging/rthook_dlviz.py
names it in NUMBA_CACHE_LOCATOR_CLASSES).

Modules in PyInstaller's PYZ archive have relative `co_filename`s such as "umap/umap_.py" that
exist nowhere on disk. numba's own locators then skip NUMBA_CACHE_DIR (it wants the source file to
exist) and fall back to ~/.cache/numba, in a folder named after the *current working directory*
joined with that relative name: the same app started from another folder compiles every
umap/pynndescent function again (some 9 s on a 2-core machine), and with no writable home it
cannot import umap at all ("cannot cache function ...: no locator available").

This locator puts those functions in NUMBA_CACHE_DIR/bundle/<package>_<hash of the relative
folder and the executable's name>, the same wherever the bundle is unpacked and whatever the
working directory. Freshness is numba's own rule for frozen apps: a hash of the executable, which
holds the PYZ archive, so a rebuilt bundle compiles afresh (and `dlviz` and `dlviz-cli`, whose
executables differ, keep apart rather than overwrite each other's index). Anything else
(absolute paths, not frozen, no NUMBA_CACHE_DIR) goes on to numba's usual locators, in numba's
order.
"""

import hashlib
import os
import sys

from numba.core import caching, config
from numba.core.caching import UserProvidedCacheLocator


class BundleCacheLocator(UserProvidedCacheLocator):
    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        folder = os.path.dirname(os.path.normpath(py_file)).replace(os.sep, "/")
        name = os.path.basename(folder) or "top"
        key = f"{folder}|{os.path.basename(sys.executable)}"
        digest = hashlib.sha1(key.encode()).hexdigest()
        self._cache_path = os.path.join(config.CACHE_DIR, "bundle", f"{name}_{digest}")

    @classmethod
    def from_function(cls, py_func, py_file):
        if getattr(sys, "frozen", False) and config.CACHE_DIR and not os.path.isabs(py_file):
            self = cls(py_func, py_file)
            try:
                self.ensure_cache_path()
                return self
            except OSError:
                pass
        # NUMBA_CACHE_LOCATOR_CLASSES names this class only, so numba's defaults are tried here.
        for other in getattr(getattr(caching, "CacheImpl", None), "_locator_classes", ()):
            locator = other.from_function(py_func, py_file)
            if locator is not None:
                return locator
        return None
