#!/usr/bin/env bash
# placeholder, replaced below
mkdir -p "$1"
echo "nvcc not found at build time" > "$1/KERNELS-NOT-BUILT"
