#!/usr/bin/env python3
"""Writes plimsoll's container image as an OCI image layout, without a container daemon.

    oci_image.py --binary FILE --ca-bundle FILE --out DIR --version V --commit C
                 --epoch SECONDS [--arch amd64]

One layer holds the static binary at /plimsoll and the CA bundle at
/etc/ssl/certs/ca-certificates.crt, nothing else. The image runs as the numeric user
65532:65532. Every byte is a function of the inputs: entries sorted, owner 0:0, times set
to --epoch, gzip without a name or time stamp, JSON with sorted keys; the same inputs
give the same digest. Prints the manifest's digest (sha256:...), which is what a
registry serves the image under and what a pod pins with `image: REPO@DIGEST`.
The layout (oci-layout, index.json, blobs/sha256/...) is what `skopeo copy
oci:DIR:TAG docker://REGISTRY/REPO:TAG` pushes.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import time

USER = "65532:65532"
REPOSITORY = "https://github.com/plimsoll-dev/plimsoll"


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def layer_tar(binary, ca_bundle, epoch):
    """The uncompressed layer: directories first, then files, sorted, owned by root."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:

        def add_dir(name):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = epoch
            tar.addfile(info)

        def add_file(name, path, mode):
            with open(path, "rb") as f:
                data = f.read()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            info.mtime = epoch
            tar.addfile(info, io.BytesIO(data))

        for d in ("etc/", "etc/ssl/", "etc/ssl/certs/"):
            add_dir(d)
        add_file("etc/ssl/certs/ca-certificates.crt", ca_bundle, 0o644)
        add_file("plimsoll", binary, 0o755)
    return buf.getvalue()


def gzip_bytes(data):
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return out.getvalue()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_blob(out, data):
    digest = sha256(data)
    path = os.path.join(out, "blobs", "sha256", digest.split(":", 1)[1])
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": digest, "size": len(data)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--ca-bundle", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--commit", required=True)
    ap.add_argument("--epoch", type=int, required=True)
    ap.add_argument("--arch", default="amd64")
    args = ap.parse_args()

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "blobs", "sha256"))

    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(args.epoch))
    layer = layer_tar(args.binary, args.ca_bundle, args.epoch)
    layer_desc = write_blob(args.out, gzip_bytes(layer))
    labels = {
        "org.opencontainers.image.created": created,
        "org.opencontainers.image.description": "plimsoll: Kubernetes production-readiness rules",
        "org.opencontainers.image.licenses": "Apache-2.0",
        "org.opencontainers.image.revision": args.commit,
        "org.opencontainers.image.source": REPOSITORY,
        "org.opencontainers.image.title": "plimsoll",
        "org.opencontainers.image.version": args.version,
    }
    config = {
        "architecture": args.arch,
        "os": "linux",
        "created": created,
        "config": {
            "User": USER,
            "Entrypoint": ["/plimsoll"],
            "Env": ["SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
            "WorkingDir": "/",
            "Labels": labels,
        },
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer)]},
        "history": [{"created": created, "created_by": "tools/release/build.sh"}],
    }
    config_desc = write_blob(args.out, canonical(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_desc},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer_desc}],
        "annotations": labels,
    }
    manifest_desc = write_blob(args.out, canonical(manifest))
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                **manifest_desc,
                "platform": {"architecture": args.arch, "os": "linux"},
                "annotations": {"org.opencontainers.image.ref.name": args.version},
            }
        ],
    }
    with open(os.path.join(args.out, "index.json"), "wb") as f:
        f.write(canonical(index))
    with open(os.path.join(args.out, "oci-layout"), "wb") as f:
        f.write(canonical({"imageLayoutVersion": "1.0.0"}))
    print(manifest_desc["digest"])


if __name__ == "__main__":
    main()
