#!/usr/bin/env bash
# Regenerates examples/sqlite-*.md from the SQLite documentation that Debian's
# sqlite3-doc package ships. SQLite and its documentation are in the public
# domain (see /usr/share/doc/sqlite3-doc/copyright).
#
#   apt-get install -y sqlite3-doc pandoc && examples/tools/sqlite-docs.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
docs=/usr/share/doc/sqlite3
for page in faq atomiccommit wal howtocorrupt; do
  pandoc -f html -t gfm --wrap=none --lua-filter "$here/clean.lua" "$docs/$page.html" \
    | sed -e '/^<!-- -->$/d' -e 's/[[:space:]]*$//' | cat -s > "$here/../corpus/sqlite-$page.md"
done
