#!/usr/bin/env bash
# Installs the anchors that `./engine compare` measures the engine against, where the machine
# allows: OpenBLAS (libopenblas0, loaded natively by dev.ludovic.netlib:blas) and CLBlast
# (libclblast-dev, with the OpenCL ICD loader and headers, called by bench's small C harness),
# plus gcc to build that harness, and PyTorch for the report's PyTorch peer (python3-torch with numpy,
# run by /usr/bin/python3; ND4J, the other peer, comes with the bench module's Maven build).
# Idempotent: does nothing when they are present. Never prompts.
# A missing anchor or peer is never fatal: the report says "not present: <reason>" for it. Exit status is
# 0 unless --strict is given and something could not be installed.
set -uo pipefail
strict=0
[ "${1-}" = "--strict" ] && strict=1
packages=(libopenblas0 libclblast-dev ocl-icd-opencl-dev gcc libc6-dev python3-torch python3-numpy)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

fail() {
  echo "install-bench: $*" >&2
  [ "$strict" = 1 ] && exit 1
  exit 0
}

if ! command -v apt-get >/dev/null 2>&1; then
  fail "apt-get not found; install ${missing[*]} by hand for the OpenBLAS and CLBlast anchors"
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    fail "not root and no password-less sudo; cannot install ${missing[*]}"
  fi
fi
echo "install-bench: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# apt serialises itself with a lock; another install (install-opencl.sh) may hold it for a while.
lock_opt=(-o DPkg::Lock::Timeout=300)
if ! $sudo apt-get "${lock_opt[@]}" install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null 2>&1; then
  # The package lists may be missing or stale on a fresh machine; update once and retry.
  $sudo apt-get "${lock_opt[@]}" update -qq >/dev/null 2>&1 || echo "install-bench: apt-get update failed; trying the install anyway" >&2
  if ! $sudo apt-get "${lock_opt[@]}" install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null; then
    fail "apt-get install ${missing[*]} failed"
  fi
fi
echo "install-bench: installed ${missing[*]}" >&2
