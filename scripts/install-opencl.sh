#!/usr/bin/env bash
# Installs what the OpenCL backend needs to run on this machine's CPU: the ICD loader with the
# unversioned libOpenCL.so that JOCL loads (ocl-icd-opencl-dev), PoCL as the OpenCL platform, and
# clinfo for diagnosis. Idempotent: does nothing when they are present. Never prompts.
# Exit status 0 when OpenCL is usable afterwards; otherwise it prints why and exits 0 anyway
# unless --strict is given, so that a machine where it cannot install still runs every other test
# (the OpenCL tests then report themselves skipped, with the reason).
set -uo pipefail
strict=0
[ "${1-}" = "--strict" ] && strict=1
packages=(ocl-icd-libopencl1 ocl-icd-opencl-dev pocl-opencl-icd clinfo)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

fail() {
  echo "install-opencl: $*" >&2
  [ "$strict" = 1 ] && exit 1
  exit 0
}

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    fail "apt-get not found; install an OpenCL ICD loader and platform (${missing[*]}) by hand"
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      fail "not root and no password-less sudo; cannot install ${missing[*]}"
    fi
  fi
  echo "install-opencl: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be missing or stale on a fresh machine; a failed update is not fatal.
  $sudo apt-get update -qq >/dev/null 2>&1 || echo "install-opencl: apt-get update failed; trying the install anyway" >&2
  if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null; then
    fail "apt-get install ${missing[*]} failed"
  fi
fi

if command -v clinfo >/dev/null 2>&1 && [ "$(clinfo -l 2>/dev/null | grep -c Platform)" -ge 1 ]; then
  echo "install-opencl: OpenCL ready: $(clinfo -l 2>/dev/null | head -n 2 | tr -s ' ' | tr '\n' ' ')" >&2
else
  fail "OpenCL packages are installed but clinfo lists no platform"
fi
