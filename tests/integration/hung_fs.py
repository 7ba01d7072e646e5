#!/usr/bin/python3
# hung_fs.py - a read-only FUSE filesystem that passes SOURCE through at
# MOUNTPOINT and stops answering for chosen files, the way a hard-mounted
# NFS mirror whose server died does: the caller sleeps in the kernel
# (killable by SIGKILL only; poll() and other signals do not help).
#
#   hung_fs.py SOURCE MOUNTPOINT CONTROL
#
# CONTROL is a file read at every call, one line "MODE PATTERN":
#   pass              every call answers
#   read PATTERN      read() of a file whose name matches PATTERN (fnmatch) never returns
#   open PATTERN      lookup/stat and open() of such a file never return
# Runs in the foreground until killed (kill -9: a hung call keeps a thread
# of libfuse's loop busy forever, so SIGTERM does not end it). Used by
# tests/integration/net_hung_mount.sh; Debian's python3-fusepy (module
# "fusepy"; pip's package calls it "fuse").
import errno
import fnmatch
import os
import sys
import threading

try:
    from fusepy import FUSE, FuseOSError, Operations
except ImportError:
    from fuse import FUSE, FuseOSError, Operations


def rule(control):
    try:
        with open(control) as f:
            words = f.read().split()
    except OSError:
        return ("pass", "")
    if len(words) >= 2 and words[0] in ("read", "open"):
        return (words[0], words[1])
    return ("pass", "")


class HungFS(Operations):
    def __init__(self, root, control):
        self.root = root
        self.control = control

    def hang_if(self, mode, path):
        want, pattern = rule(self.control)
        if want == mode and path != "/" and fnmatch.fnmatch(os.path.basename(path), pattern):
            threading.Event().wait()  # never set: this call never answers

    def getattr(self, path, fh=None):
        self.hang_if("open", path)
        try:
            st = os.lstat(self.root + path)
        except OSError as e:
            raise FuseOSError(e.errno)
        keys = ("st_mode", "st_size", "st_nlink", "st_uid", "st_gid", "st_atime", "st_mtime",
                "st_ctime")
        return {k: getattr(st, k) for k in keys}

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self.root + path)

    def open(self, path, flags):
        self.hang_if("open", path)
        if flags & (os.O_WRONLY | os.O_RDWR):
            raise FuseOSError(errno.EROFS)
        return os.open(self.root + path, os.O_RDONLY)

    def read(self, path, size, offset, fh):
        self.hang_if("read", path)
        return os.pread(fh, size, offset)

    def release(self, path, fh):
        os.close(fh)
        return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: hung_fs.py SOURCE MOUNTPOINT CONTROL")
    FUSE(HungFS(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[3])), sys.argv[2],
         foreground=True, ro=True, nothreads=False)
