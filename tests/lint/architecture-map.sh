#!/bin/sh
# make lint: ARCHITECTURE.md's file map lists exactly the files of `git ls-files src`.
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git ls-files src | sort > "$tmp/tracked"
# shellcheck disable=SC2016 # the backquotes are Markdown code spans, not command substitution
grep -o '^| `src/[^`]*`' ARCHITECTURE.md | sed 's/^| `//; s/`$//' | sort > "$tmp/mapped"
status=0
for f in $(comm -23 "$tmp/tracked" "$tmp/mapped"); do
    echo "ARCHITECTURE.md: $f is not in the file map" >&2
    status=1
done
for f in $(comm -13 "$tmp/tracked" "$tmp/mapped"); do
    echo "ARCHITECTURE.md: the file map names $f, which git does not track" >&2
    status=1
done
if [ $status = 0 ]; then
    echo "architecture-map: all $(wc -l < "$tmp/tracked") files of src/ are in ARCHITECTURE.md"
fi
exit $status
