#!/usr/bin/env bash
# Prints the release string of the kernel that Debian's linux-image-amd64 depends on (e.g. 6.1.0-56-amd64).
set -euo pipefail
dpkg-query -W -f='${Depends}' linux-image-amd64 | tr ',' '\n' | sed -n 's/^ *linux-image-\([^ ]*\).*/\1/p' | head -n1
