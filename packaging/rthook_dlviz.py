"""PyInstaller runtime hook: runs in the frozen app before any of dlviz's own code.

numba (under umap-learn and pynndescent) caches compiled functions on disk. In a frozen app there
is no writable __pycache__ beside the modules, so give it a per-user folder that is writable and
the same at every start (numba recompiles everything when the folder changes). An explicit
NUMBA_CACHE_DIR wins; DLVIZ_HOME (dlviz's per-user folder, see dlviz/app.py) comes next, so that
the frozen app and `dlviz` from source agree on where things go.

numba only uses NUMBA_CACHE_DIR for functions whose source file exists, which frozen modules'
do not: NUMBA_CACHE_LOCATOR_CLASSES hands them to dlviz_numba_cache.BundleCacheLocator (see there).
"""


def _dlviz_numba_cache_dir():
    import os
    import sys
    import tempfile

    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    home = os.path.expanduser("~")
    if os.environ.get("DLVIZ_HOME"):
        base = os.environ["DLVIZ_HOME"]
    elif sys.platform == "win32":
        base = os.path.join(os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local"), "dlviz")
    elif sys.platform == "darwin":
        base = os.path.join(home, "Library", "Caches", "dlviz")
    else:
        base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "dlviz")
    # The fallback is per user too, and as stable as the temp folder.
    user = getattr(os, "getuid", lambda: os.environ.get("USERNAME", "user"))()
    fallback = os.path.join(tempfile.gettempdir(), f"dlviz-{user}", "numba")
    for candidate in (os.path.join(base, "numba"), fallback):
        try:
            os.makedirs(candidate, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return None


_dir = _dlviz_numba_cache_dir()
import os as _os

if _dir:
    _os.environ["NUMBA_CACHE_DIR"] = _dir
# (a numba without this variable, i.e. an older release, keeps its own locators.)
_os.environ.setdefault("NUMBA_CACHE_LOCATOR_CLASSES", "dlviz_numba_cache.BundleCacheLocator")
del _dlviz_numba_cache_dir, _dir, _os
