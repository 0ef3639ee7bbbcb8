#!/usr/bin/env bash
# Builds the CUDA backend's kernels ahead of time (Maven runs it in generate-resources).
#
#   build-fatbin.sh OUT_DIR WORK_DIR CLASSPATH
#
# OUT_DIR   where the fat binaries and their manifest go (target/classes/dev/kengine/cuda)
# WORK_DIR  assembled sources, logs and stamps (target/cuda-build)
# CLASSPATH the module's compile class path (holds the kernels module and its KernelSource loader)
#
# Every kernel family is assembled by the kernels module's own loader (AssembleKernels.java, run
# with Java's source launcher) for the CUDA dialect, and every CUDA-specific source in this
# folder (*.cu) behind the same preambles; each becomes one fat binary with machine code for
# every architecture in KENGINE_CUDA_ARCHS and PTX for the newest, so later GPUs can JIT it.
#
# Environment: KENGINE_JAVA (java to run the assembler; default: java on the PATH),
# KENGINE_CUDA_ARCHS (default 75,80,86,89,90,100,120), KENGINE_CUDA_SKIP=true (do not compile),
# KENGINE_NVCC (nvcc to use; default: nvcc on the PATH, then /usr/local/cuda/bin/nvcc),
# KENGINE_CUDA_JOBS (parallel nvcc processes; default: the number of processors).
#
# Without nvcc the build goes on: a marker resource says why, and the backend reports itself
# unavailable with that reason. With nvcc, any kernel that fails to compile fails the build.
set -euo pipefail

out=${1:?usage: build-fatbin.sh OUT_DIR WORK_DIR CLASSPATH}
work=${2:?usage: build-fatbin.sh OUT_DIR WORK_DIR CLASSPATH}
cp=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
java=${KENGINE_JAVA:-java}
archs=${KENGINE_CUDA_ARCHS:-75,80,86,89,90,100,120}
jobs=${KENGINE_CUDA_JOBS:-$(nproc 2>/dev/null || echo 2)}
marker=KERNELS-NOT-BUILT
manifest=kernels.properties

mkdir -p "$out" "$work"

not_built() {
    rm -f "$out"/*.fatbin "$out/$manifest"
    printf '%s\n' "$1" > "$out/$marker"
    echo "[engine-cuda] $1: the CUDA backend will report itself unavailable" >&2
    exit 0
}

if [ "${KENGINE_CUDA_SKIP:-false}" = "true" ]; then
    not_built "kernels were not built (skipped with -Dkengine.cuda.skip=true)"
fi

nvcc=${KENGINE_NVCC:-}
if [ -n "$nvcc" ] && ! [ -x "$nvcc" ] && ! command -v "$nvcc" > /dev/null; then
    not_built "kernels were not built (nvcc not found at build time: KENGINE_NVCC=$nvcc)"
fi
if [ -z "$nvcc" ]; then
    nvcc=$(command -v nvcc || true)
fi
if [ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
    nvcc=/usr/local/cuda/bin/nvcc
fi
if [ -z "$nvcc" ]; then
    not_built "kernels were not built (nvcc not found at build time)"
fi

nvcc_version=$("$nvcc" --version | sed -n 's/.*release \([0-9.]*\), \(V[0-9.]*\).*/\1 (\2)/p')
supported=$("$nvcc" --list-gpu-code 2>/dev/null | tr '\n' ' ' || true)

# -gencode for each requested architecture this nvcc knows; PTX of the newest as well.
gencode=()
built=()
skipped=()
IFS=',' read -r -a wanted <<< "$archs"
for a in "${wanted[@]}"; do
    a=${a// /}
    [ -n "$a" ] || continue
    if [ -n "$supported" ] && [[ " $supported " != *" sm_$a "* ]]; then
        skipped+=("$a")
        continue
    fi
    gencode+=("-gencode=arch=compute_$a,code=sm_$a")
    built+=("$a")
done
if [ ${#built[@]} -eq 0 ]; then
    echo "[engine-cuda] none of the architectures '$archs' is supported by $nvcc ($nvcc_version)" >&2
    exit 1
fi
if [ ${#skipped[@]} -gt 0 ]; then
    echo "[engine-cuda] WARNING: $nvcc ($nvcc_version) cannot build sm_${skipped[*]}; left out" >&2
fi
newest=${built[${#built[@]}-1]}
gencode+=("-gencode=arch=compute_$newest,code=compute_$newest")

# Assemble the sources with the kernels module's loader: one assembly path for OpenCL and CUDA.
src="$work/src"
rm -rf "$src"
mkdir -p "$src"
"$java" -cp "$cp" "$here/AssembleKernels.java" "$here" "$src"

# No contraction anywhere, as the OpenCL dialect has FP_CONTRACT OFF: the kernels write fmaf where
# they want a fused multiply-add, and the random-number code must not be contracted at all.
flags=(-fatbin -O3 -fmad=false -std=c++17 "${gencode[@]}")

compile() {
    local name=$1
    local cu="$src/$name.cu"
    local fatbin="$out/$name.fatbin"
    local stamp
    stamp=$( { cat "$cu"; echo "${flags[*]}"; echo "$nvcc_version"; } | sha256sum | cut -c1-64)
    if [ -f "$fatbin" ] && [ -f "$work/$name.stamp" ] && [ "$(cat "$work/$name.stamp")" = "$stamp" ]; then
        : # unchanged since the last build
        return 0
    fi
    local t0=$SECONDS
    if "$nvcc" "${flags[@]}" -o "$fatbin.tmp" "$cu" > "$work/$name.log" 2>&1; then
        mv "$fatbin.tmp" "$fatbin"
        echo "$stamp" > "$work/$name.stamp"
        echo "[engine-cuda] $name: $(( SECONDS - t0 )) s, $(stat -c %s "$fatbin") bytes"
    else
        rm -f "$fatbin.tmp" "$fatbin" "$work/$name.stamp"
        echo "[engine-cuda] FAILED: nvcc ${flags[*]} $cu" >&2
        cat "$work/$name.log" >&2
        return 1
    fi
}
export -f compile
export src out work nvcc nvcc_version
export flags_str="${flags[*]}"

names=()
while read -r name kernels; do
    names+=("$name")
done < "$src/modules.txt"

t0=$SECONDS
status=0
# Modules compile in parallel; nvcc itself compiles one module's architectures one after another.
printf '%s\n' "${names[@]}" | xargs -P "$jobs" -I{} bash -c 'flags=($flags_str); compile "$@"' _ {} || status=$?
if [ $status -ne 0 ]; then
    rm -f "$out/$manifest"
    echo "[engine-cuda] kernel compilation failed (see above); the CUDA backend would be unusable" >&2
    exit 1
fi

# The manifest is written last: its presence means every module was built.
{
    echo "# Written by build-fatbin.sh: the CUDA backend's ahead-of-time kernels."
    echo "nvcc=$nvcc_version"
    echo "archs=${built[*]}"
    echo "ptx=compute_$newest"
    echo "flags=${flags[*]}"
    echo "modules=${names[*]}"
    while read -r name kernels; do
        echo "module.$name=$kernels"
    done < "$src/modules.txt"
} > "$out/$manifest"
rm -f "$out/$marker"
echo "[engine-cuda] ${#names[@]} fat binaries for sm_${built[*]} (+ compute_$newest PTX) in $(( SECONDS - t0 )) s with $jobs jobs"
