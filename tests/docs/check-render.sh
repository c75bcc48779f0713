#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Render man pages as man(1) does and fail on any warning: check-render.sh PAGE...
#
# groff and man-db report problems on stderr (e.g. a line that starts with ' or .
# after a line break, which roff reads as a request and drops). Exit 77 (skip)
# without man-db.
set -uo pipefail
command -v man >/dev/null || { echo "man is not installed: skipped"; exit 77; }
export LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat
failed=0
for page in "$@"; do
	err=$(man --warnings -l "$page" 2>&1 >/dev/null)
	if [ -n "$err" ]; then
		echo "$page:"
		printf '%s\n' "$err" | sed 's/^/  /'
		failed=1
	else
		echo "ok: $page"
	fi
done
exit $failed
