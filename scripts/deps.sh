#!/usr/bin/env bash
# Installs everything MicroV needs from Debian's packages, once; a second run is quick.
# Then checks that the test bed's kernel image and the module headers are the same version.
set -euo pipefail

packages=(
  build-essential clang lld clang-format clang-tidy llvm libclang-rt-dev
  cmake ninja-build make libgtest-dev googletest
  qemu-system-x86 ovmf
  linux-image-amd64 linux-headers-amd64
  busybox-static cpio gzip gdb binutils file
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The test bed boots the kernel that linux-image-amd64 points at; modules are built against
# linux-headers-amd64. Both metapackages must name the same kernel, and its files must exist.
image_ver=$(dpkg-query -W -f='${Version}' linux-image-amd64)
headers_ver=$(dpkg-query -W -f='${Version}' linux-headers-amd64)
if [ "$image_ver" != "$headers_ver" ]; then
  echo "deps: error: linux-image-amd64 is $image_ver but linux-headers-amd64 is $headers_ver;" \
       "install matching versions (apt-get install linux-image-amd64 linux-headers-amd64)" >&2
  exit 1
fi
kver=$(scripts/kver.sh)
for f in "/boot/vmlinuz-$kver" "/lib/modules/$kver/build/Makefile"; do
  if [ ! -e "$f" ]; then
    echo "deps: error: $f is missing (kernel $kver, package version $image_ver)" >&2
    exit 1
  fi
done
echo "deps: ok (test bed kernel $kver, package $image_ver)"
