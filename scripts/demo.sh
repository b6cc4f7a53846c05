#!/usr/bin/env bash
# The main job on a fresh machine: installs dependencies, then runs the demo: a 3-node
# embedded cluster on the process runtime (see examples/cluster-demo/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$pnpm_version" ]; then
  npm install -g "pnpm@$pnpm_version" >/dev/null
fi
# The process runtime's offline busybox image comes from Debian's busybox-static; its
# pod isolation uses unshare/nsenter (util-linux) and ip (iproute2). Installed as root;
# without them (or without root) the demo falls back to the fake runtime and says so.
need=()
[ -x /bin/busybox ] || need+=(busybox-static)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
CI=true pnpm install --frozen-lockfile >/dev/null
pnpm demo
