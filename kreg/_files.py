"""File permissions for files written through a temporary name."""

import os


def default_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the umask.

    ``tempfile.mkstemp`` makes its files 0600 whatever the umask; a file that
    is renamed into place gets this mode first, so the other users of a
    shared folder can read it as they could any other file there.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
