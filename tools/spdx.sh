#!/usr/bin/env bash
# Copyright The otelcol-llm Authors
# SPDX-License-Identifier: Apache-2.0
#
# License headers of the Go files, as the OpenTelemetry Collector writes them:
#
#   // Copyright The otelcol-llm Authors
#   // SPDX-License-Identifier: Apache-2.0
#
#   package ...
#
# Usage: tools/spdx.sh [-check] [FILE...]
#
#   (no -check)  add the header to every file that lacks it: prepend both lines
#                and a blank line; a file whose first line is already a
#                "// Copyright ..." line (code copied with its own holder) only
#                gets the SPDX line under it.
#   -check       change nothing; list the files without the header and exit 1
#                if there is any (for `make lint`).
#
# Without FILE arguments: every Go file of the repository that git tracks or
# would track (all modules; ignored paths such as _build/ are left out).
# Generated files (a "// Code generated ... DO NOT EDIT." line before the
# package clause, the Go convention) are skipped, as the collector's
# checklicense skips them: mdatagen writes no license header and `make
# generate` must reproduce its files exactly.
set -euo pipefail

readonly COPYRIGHT='// Copyright The otelcol-llm Authors'
readonly SPDX='// SPDX-License-Identifier: Apache-2.0'

check=false
if [[ "${1:-}" == "-check" ]]; then
	check=true
	shift
fi
if [[ "${1:-}" == -* ]]; then
	echo "usage: $0 [-check] [FILE...]" >&2
	exit 2
fi

cd "$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"

files=()
if (($# > 0)); then
	files=("$@")
else
	while IFS= read -r -d '' f; do
		files+=("$f")
	done < <(git ls-files -z --cached --others --exclude-standard -- '*.go')
fi

# generated: a "// Code generated ... DO NOT EDIT." line before the package clause.
generated() {
	awk '/^package[ \t]/ { exit } /^\/\/ Code generated .* DO NOT EDIT\.$/ { found = 1; exit } END { exit !found }' "$1"
}

# header: 0 = both lines present, 1 = a Copyright first line without SPDX under it, 2 = none.
header() {
	local first second
	{ IFS= read -r first || true; IFS= read -r second || true; } <"$1"
	if [[ "$first" == "// Copyright "* ]]; then
		[[ "$second" == "$SPDX" ]] && return 0
		return 1
	fi
	return 2
}

missing=()
for f in "${files[@]}"; do
	[[ -f "$f" ]] || { echo "$f: no such file" >&2; exit 2; }
	generated "$f" && continue
	status=0
	header "$f" || status=$?
	((status == 0)) && continue
	missing+=("$f")
	$check && continue
	tmp="$(mktemp "${f}.spdx.XXXXXX")"
	if ((status == 1)); then
		{ head -n 1 "$f"; printf '%s\n' "$SPDX"; tail -n +2 "$f"; } >"$tmp"
	else
		{ printf '%s\n%s\n' "$COPYRIGHT" "$SPDX"; [[ -n "$(head -n 1 "$f")" ]] && echo; cat "$f"; } >"$tmp"
	fi
	chmod --reference="$f" "$tmp"
	mv "$tmp" "$f"
	echo "added license header: $f"
done

if $check && ((${#missing[@]} > 0)); then
	echo "Go files without the license header (run tools/spdx.sh to add it):" >&2
	printf '  %s\n' "${missing[@]}" >&2
	exit 1
fi
