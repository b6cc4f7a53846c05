#!/usr/bin/env bash
# Builds the offline images every real-runtime test uses, with no registry, and
# optionally imports them into a containerd and/or a Docker daemon.
#
#   bash scripts/build-images.sh --out <dir> [--containerd <socket>] [--docker <host>] [--busybox <path>]
#
# It writes <dir>/bosun-images.tar, a `docker save` archive (manifest.json, image configs,
# one layer.tar) holding two images that share one layer, a busybox root filesystem made
# from Debian's busybox-static (one hard link per applet, /etc/passwd, /etc/group, /etc/hosts):
#   docker.io/library/busybox:latest   runs `sh`
#   bosun.local/pause:1                runs `sleep infinity` (containerd's sandbox_image)
# Rebuilding from the same busybox gives byte-identical archives (same image ids).
#   --containerd <socket>  `ctr -a <socket> -n k8s.io images import` (the CRI namespace)
#   --docker <host>        `docker -H <host> load -i` (unix:///path/docker.sock or tcp://…)
# Needs: node (the repo's pnpm install done), tar, /bin/busybox (apt-get install
# busybox-static), ctr (Debian's containerd) for --containerd, docker for --docker.
# The test harness (test/support/containerd.ts) does the same through test/support/images.ts.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -eq 0 ]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
exec node --import tsx test/support/images.ts "$@"
