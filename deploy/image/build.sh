#!/bin/sh
# Builds the acnslab container image without any registry: FROM scratch, the acnslab binary and
# the shared libraries `ldd` names (docs/deploy.md, "Container image").
#
#   deploy/image/build.sh [BINARY] [TAG]
#
# BINARY: the acnslab binary (default target/release/acnslab, built with
#         `cargo build --release -p acnslab`); TAG: the image name (default localhost/acnslab:latest).
# PODMAN: the podman command with its global options (default `podman`; on hosts where podman's
#         default runtime or cgroup manager does not work: PODMAN="podman --runtime /usr/sbin/runc
#         --cgroup-manager cgroupfs").
set -eu

here=$(cd "$(dirname "$0")" && pwd)
binary=${1:-$here/../../target/release/acnslab}
tag=${2:-localhost/acnslab:latest}
podman=${PODMAN:-podman}

if [ ! -x "$binary" ]; then
    echo "build.sh: no acnslab binary at $binary (cargo build --release -p acnslab)" >&2
    exit 1
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
root=$context/rootfs
mkdir -p "$root/usr/bin" "$root/state" "$root/tmp" "$root/run/secrets"
chmod 1777 "$root/tmp"
chmod 700 "$root/state"
cp "$binary" "$root/usr/bin/acnslab"
# every library the binary loads, at the path the loader looks for it (the loader itself too)
for lib in $(ldd "$binary" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
cp "$here/Containerfile" "$context/Containerfile"
# docker format: podman keeps HEALTHCHECK only there (OCI images have no health check)
$podman build --format docker --tag "$tag" --file "$context/Containerfile" "$context"
echo "built $tag"
