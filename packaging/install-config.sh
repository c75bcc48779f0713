#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# meson install script: put the example policy in place unless one exists.
# A re-install or upgrade by hand must never replace a site's policy with
# the deny-all default (packages get the same from dpkg's conffile handling).
#   install-config.sh SOURCE DESTINATION
set -eu
dest="${DESTDIR:-}$2"
if [ -e "$dest" ]; then
	echo "Keeping the existing $dest"
	exit 0
fi
install -D -m 644 "$1" "$dest"
echo "Installing $1 to $dest"
