#!/usr/bin/env python3
"""Keep a cargo target directory that CI reuses from growing without bound.

Every change to the lock file, the features or the flags gives a crate new
artefact hashes; cargo never removes the old ones, and test binaries weigh
hundreds of megabytes each. For each artefact stem in the profile's `deps`
and `examples` folders this keeps the files of the most recently written
hash and removes the others (cargo rebuilds one that is needed again), then
removes incremental state. Usage: prune-build-cache.py TARGET_DIR
"""
import collections
import os
import shutil
import sys


def prune(folder):
    groups = collections.defaultdict(lambda: collections.defaultdict(list))
    for name in os.listdir(folder):
        base = name.split(".", 1)[0]
        stem, _, digest = base.rpartition("-")
        if stem and len(digest) == 16:
            groups[stem][digest].append(os.path.join(folder, name))
    freed = 0
    for hashes in groups.values():
        if len(hashes) < 2:
            continue
        newest = max(hashes, key=lambda h: max(os.lstat(p).st_mtime for p in hashes[h]))
        for digest, paths in hashes.items():
            if digest == newest:
                continue
            for path in paths:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    freed += os.lstat(path).st_size
                    os.remove(path)
    return freed


def main():
    target = sys.argv[1]
    freed = 0
    for profile in ("debug", "release"):
        for sub in ("deps", "examples"):
            folder = os.path.join(target, profile, sub)
            if os.path.isdir(folder):
                freed += prune(folder)
        incremental = os.path.join(target, profile, "incremental")
        if os.path.isdir(incremental):
            shutil.rmtree(incremental, ignore_errors=True)
    print(f"build cache: {freed // 2**20} MB of stale artefacts removed")


if __name__ == "__main__":
    main()
