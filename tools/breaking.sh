#!/usr/bin/env bash
# Breaking-change gate: compares each openapi/*.yaml with its version on the base commit (default the
# previous commit, HEAD~1; override with BREAKING_BASE) using oasdiff. A breaking change passes only
# when the spec's info.version changed and openapi/CHANGELOG.md has an entry "## <name> <version>".
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BREAKING_BASE:-HEAD~1}"
if ! git rev-parse --verify -q "$base^{commit}" >/dev/null; then
	echo "breaking: no base commit ($base); nothing to compare"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/base"
git archive "$base" openapi 2>/dev/null | tar -x -C "$tmp/base" 2>/dev/null || true

version() { awk '/^info:/{i=1} i && /^  version:/{print $2; exit}' "$1"; }

failed=0
for spec in openapi/*.yaml; do
	name=$(basename "$spec" .yaml)
	old="$tmp/base/$spec"
	[ -f "$old" ] || { echo "breaking: $spec is new"; continue; }
	if out=$(cd tools && GOWORK=off go tool oasdiff breaking --fail-on ERR "$old" "../$spec" 2>&1); then
		continue
	fi
	newv=$(version "$spec")
	oldv=$(version "$old")
	if [ "$newv" != "$oldv" ] && grep -q "^## $name $newv\$" openapi/CHANGELOG.md; then
		echo "breaking: $spec has breaking changes, released as $name $newv (listed in openapi/CHANGELOG.md)"
		continue
	fi
	echo "breaking: $spec has breaking changes against $base:" >&2
	echo "$out" >&2
	echo "bump info.version (now $newv) and add '## $name <new version>' to openapi/CHANGELOG.md" >&2
	failed=1
done
exit $failed
