#!/usr/bin/env bash
# The main job on a fresh machine: installs dependencies, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$pnpm_version" ]; then
  npm install -g "pnpm@$pnpm_version" >/dev/null
fi
CI=true pnpm install --frozen-lockfile >/dev/null
pnpm demo
