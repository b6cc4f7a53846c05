#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, typechecks, builds,
# runs every test, and prints one closing line "tests: N passed, N failed, N skipped".
# Suites that need real daemons (containerd, dockerd) start their own, with temp roots,
# and stop them after; nothing is left running.
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$pnpm_version" ]; then
  echo "== installing pnpm $pnpm_version"
  npm install -g "pnpm@$pnpm_version" >/dev/null
fi

# Debian packages the real-daemon tests need: containerd + runc (the CRI wire check and
# the containerd tests, which start their own containerd), docker.io (the Docker runtime's
# tests start their own dockerd), containernetworking-plugins (the real-CNI adapter),
# busybox-static (every offline image is a busybox rootfs), iproute2 and util-linux (the
# process runtime's namespaces, bridges and veths). Installed when running as root.
# Each test file starts the daemon it needs with a temp root and stops it after.
need=()
command -v containerd >/dev/null 2>&1 || need+=(containerd)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "warning: not root, cannot install ${need[*]}; the tests that need them will fail in CI" >&2
  fi
fi

# As root every real-daemon test must run: a missing daemon fails instead of skipping.
[ "$(id -u)" = 0 ] && export BOSUN_REQUIRE_REAL_RUNTIMES=1

echo "== pnpm install"
CI=true pnpm install --frozen-lockfile

echo "== typecheck (pnpm lint)"
pnpm lint

echo "== build (tsup: ESM + .d.ts)"
mkdir -p .tmp
pnpm build > .tmp/build.log 2>&1 || { cat .tmp/build.log; echo "build failed" >&2; exit 1; }

echo "== tests (vitest)"
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json || status=$?

node -e '
const r = require("./.tmp/vitest.json");
const skipped = (r.numPendingTests || 0) + (r.numTodoTests || 0);
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' || status=1
exit "$status"
