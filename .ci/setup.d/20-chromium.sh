#!/usr/bin/env bash
# Browser tests (tests/integration/test_browser_*.py): Debian's Chromium, driven by Python's playwright (from the
# test extra in pyproject.toml; Playwright's own browser download does not work here), and axe-core for
# the accessibility check, installed from the npm registry into a cache folder the tests read
# (SYSLEAD_AXE_DIR, default ~/.cache/syslead/axe). Installs only what is missing; safe to run twice.
set -euo pipefail

# The browser (its package brings the libraries it needs), fonts for readable screenshots, and npm for
# axe-core (on the machine image already; installed here if it is not).
packages=(chromium fonts-dejavu-core fonts-liberation)
command -v npm >/dev/null || packages+=(npm)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
/usr/bin/chromium --version 2>/dev/null  # (its launcher script warns on stderr about a memory check)

axe_version="4.11.0"
axe_dir="${SYSLEAD_AXE_DIR:-$HOME/.cache/syslead/axe}"
axe_js="$axe_dir/node_modules/axe-core/axe.min.js"
if [ ! -f "$axe_js" ] || ! grep -q "axe v$axe_version" "$axe_js"; then
  mkdir -p "$axe_dir"
  npm install --prefix "$axe_dir" --no-save --no-audit --no-fund --loglevel=error "axe-core@$axe_version"
fi
echo "axe-core $axe_version in $axe_dir"
