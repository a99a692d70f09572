#!/usr/bin/env bash
# Formats every tracked C++ file with .clang-format (clang-format-16, the version pinned in
# scripts/install-deps.sh so that every machine formats alike).
#   scripts/format.sh          rewrite the files in place
#   scripts/format.sh --check  change nothing; list each file that differs and exit 1
set -euo pipefail
cd "$(dirname "$0")/.."
formatter=clang-format-16
command -v "$formatter" >/dev/null || { echo "format: $formatter is missing (scripts/install-deps.sh installs it)"; exit 2; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
if [[ "${1:-}" == "--check" ]]; then
  if ! output=$("$formatter" --style=file --dry-run --Werror "${files[@]}" 2>&1); then
    echo "format: these files are not formatted as .clang-format says (run scripts/format.sh):"
    grep -o '^[^:]*:[0-9]*:[0-9]*: error' <<<"$output" | cut -d: -f1 | sort -u | sed 's/^/  /'
    exit 1
  fi
  echo "format: ${#files[@]} files follow .clang-format"
else
  "$formatter" --style=file -i "${files[@]}"
fi
