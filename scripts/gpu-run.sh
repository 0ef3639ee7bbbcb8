#!/usr/bin/env bash
# Runs ON the GPU machine (no Java, no Maven needed there): the CUDA backend's conformance kit and
# benchmarks from the bundle scripts/gpu-bundle.sh made, and cuBLAS (PyTorch's torch.matmul) and
# the device's copy bandwidth in the same run for comparison. Writes under OUT_DIR:
#
#   summary.txt      device, driver, date, commit; the targets of the CUDA issue with pass/fail
#   engine.txt       nvidia-smi as it was, then the engine's report of every backend (CUDA's capabilities)
#   conformance.txt  the JUnit console launcher's feed, one line per test as it finishes (CUDA's kit and fuzz
#                    agreement first, then the rest of dev.kengine.cuda), written as it runs
#   junit-jupiter.xml  the JUnit XML report of the CUDA tests
#   opencl.txt       the OpenCL kit and tests on the GPU through the vendor's OpenCL driver, where there is one
#   bench.txt        CudaBench: key value lines
#   cublas.txt       torch.matmul FP32 and TF32, and torch's device copy, same sizes
#   soak.txt         ./engine soak on CUDA (--quick unless KENGINE_SOAK_ARGS says otherwise; KENGINE_SKIP_SOAK=1 skips
#                    it), last: it fills the device's memory on purpose
#                    (8 files in all: the device tool brings back 8 at most)
# Every step runs under its own timeout, and
# the most valuable results come first, so that a step that hangs costs only itself.
#
# Usage: bash scripts/gpu-run.sh [BUNDLE.tar.gz | BUNDLE_DIR] [OUT_DIR]
#   defaults: .bundle/kengine-gpu.tar.gz (or .bundle/kengine), and $OUT or ./gpu-results
# Environment: KENGINE_BENCH_ARGS (extra CudaBench arguments, e.g. "quick sizes=1024,4096"),
#   KENGINE_SKIP_CONFORMANCE=1, KENGINE_SKIP_BENCH=1, KENGINE_SKIP_OPENCL=1, KENGINE_FORCE=1 (go on without CUDA:
#   tests this script), KENGINE_NVIDIA_ICD=0 (do not register the driver's libnvidia-opencl.so.1 with the OpenCL ICD
#   loader in /etc/OpenCL/vendors; by default it is registered when installed but not registered, as on images that
#   ship the driver's libraries only).
set -uo pipefail

bundle=${1:-}
out=${2:-${OUT:-./gpu-results}}
if [ -z "$bundle" ]; then
    if [ -f .bundle/kengine-gpu.tar.gz ]; then bundle=.bundle/kengine-gpu.tar.gz; else bundle=.bundle/kengine; fi
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -f "$bundle" ]; then
    dir=$(mktemp -d /tmp/kengine-bundle.XXXXXX)
    tar -C "$dir" -xzf "$bundle"
    bundle=$dir/kengine
fi
[ -x "$bundle/jre/bin/java" ] || { echo "gpu-run: no bundle at $bundle (run scripts/gpu-bundle.sh first)" >&2; exit 2; }
java=$bundle/jre/bin/java
# The JVM's signal-chaining library: PoCL's LLVM, if the machine has PoCL, then chains its signal handlers behind the
# JVM's instead of replacing them (the engine also puts the JVM's back, but this leaves no window).
[ -f "$bundle/jre/lib/libjsig.so" ] && export LD_PRELOAD="$bundle/jre/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
cp="$bundle/lib/*"
jvm=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m)
summary=$out/summary.txt
say() { echo "$*" | tee -a "$summary"; }
: > "$summary"

say "kengine CUDA proof run, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "commit: $(cat "$bundle/COMMIT" 2>/dev/null || echo unknown)"
if command -v nvidia-smi > /dev/null; then
    timeout -k 5 30 nvidia-smi > "$out/engine.txt" 2>&1
    say "device: $(timeout -k 5 30 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null | head -1)"
else
    echo "nvidia-smi not found" > "$out/engine.txt"
    say "device: none (nvidia-smi not found)"
fi
say "java: $("$java" -version 2>&1 | head -1)"

timeout -k 5 60 "$java" "${jvm[@]}" -cp "$cp" dev.kengine.Engine >> "$out/engine.txt" 2>&1
say "engine: $(grep '^cuda' "$out/engine.txt" | head -1)"

available=$(timeout -k 5 60 "$java" "${jvm[@]}" -cp "$cp" dev.kengine.cuda.CudaBench probe 2>/dev/null | grep '^cuda\.' || true)
if ! echo "$available" | grep -q 'cuda.available true'; then
    say "CUDA unavailable: $(echo "$available" | sed -n 's/^cuda.reason //p')"
    if [ "${KENGINE_FORCE:-0}" != 1 ]; then
        say "nothing to prove on this machine; stopping (KENGINE_FORCE=1 runs the rest anyway, to test this script)"
        exit 3
    fi
fi

status=0
if [ "${KENGINE_SKIP_CONFORMANCE:-0}" != 1 ]; then
    reports=$(mktemp -d /tmp/kengine-junit.XXXXXX)
    say "conformance: running the kit on CUDA (tuned kernels, shared kernels, TF32, fat binaries, probe)"
    # The kit and the fuzz agreement first, in a run of their own; --details=testfeed writes each test's line as it
    # finishes (the tree is printed only at the end, and a timeout would leave nothing).
    timeout -k 15 200 "$java" "${jvm[@]}" -jar "$bundle"/test/junit-platform-console-standalone-*.jar execute \
        --class-path "$bundle/test/engine-cuda-tests.jar:$(echo "$bundle"/lib/*.jar | tr ' ' ':')" \
        --select-class dev.kengine.cuda.CudaConformanceTest --select-class dev.kengine.cuda.CudaFuzzAgreementTest \
        --fail-if-no-tests --details=testfeed --disable-banner --disable-ansi-colors \
        --reports-dir "$reports" > "$out/conformance.txt" 2>&1
    status=$?
    timeout -k 15 120 "$java" "${jvm[@]}" -jar "$bundle"/test/junit-platform-console-standalone-*.jar execute \
        --class-path "$bundle/test/engine-cuda-tests.jar:$(echo "$bundle"/lib/*.jar | tr ' ' ':')" \
        --select-package dev.kengine.cuda --exclude-classname 'dev\.kengine\.cuda\.(CudaConformanceTest|CudaFuzzAgreementTest)' \
        --details=testfeed --disable-banner --disable-ansi-colors >> "$out/conformance.txt" 2>&1
    rest=$?
    [ $rest -ne 0 ] && [ $rest -ne 2 ] && status=$rest
    # Only the Jupiter report of the first run: the device tool brings back at most 8 files.
    cp "$reports/TEST-junit-jupiter.xml" "$out/junit-jupiter.xml" 2>/dev/null
    say "conformance: exit $status; $(grep -E '(tests|containers) (successful|failed|aborted|skipped)' "$out/conformance.txt" | tr -s ' ' | tr '\n' ';')"
fi

if [ "${KENGINE_SKIP_OPENCL:-0}" != 1 ] && [ "${KENGINE_SKIP_CONFORMANCE:-0}" != 1 ]; then
    if [ "${KENGINE_NVIDIA_ICD:-1}" = 1 ] && ! grep -qs nvidia /etc/OpenCL/vendors/*.icd \
        && grep -q libnvidia-opencl.so.1 < <(ldconfig -p 2>/dev/null); then
        mkdir -p /etc/OpenCL/vendors && echo libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd \
            && say "opencl: registered libnvidia-opencl.so.1 in /etc/OpenCL/vendors/nvidia.icd"
    fi
    if timeout -k 5 60 "$java" "${jvm[@]}" -cp "$cp" dev.kengine.Engine 2>/dev/null | grep -A1 '^opencl .*available' | grep -qi nvidia; then
        say "opencl: running the kit and the driver tests on the NVIDIA OpenCL device"
        KENGINE_OPENCL_DEVICE=NVIDIA timeout -k 15 90 "$java" "${jvm[@]}" -jar "$bundle"/test/junit-platform-console-standalone-*.jar execute \
            --class-path "$bundle/test/engine-opencl-tests.jar:$(echo "$bundle"/lib/*.jar | tr ' ' ':')" \
            --select-class dev.kengine.opencl.OpenClConformanceTest --select-class dev.kengine.opencl.StrayLabelTest \
            --select-class dev.kengine.opencl.FuzzAgreementTest --select-class dev.kengine.opencl.OpenClWideIndexConformanceTest \
            --fail-if-no-tests --details=testfeed --disable-banner --disable-ansi-colors > "$out/opencl.txt" 2>&1
        ocl=$?
        [ $ocl -ne 0 ] && status=$ocl
        say "opencl: exit $ocl; $(grep -E 'tests (successful|failed|aborted)' "$out/opencl.txt" | tr -s ' ' | tr '\n' ';')"
    else
        say "opencl: no NVIDIA OpenCL device (the driver's ICD is registered where libnvidia-opencl.so.1 is installed)"
    fi
fi

if [ "${KENGINE_SKIP_BENCH:-0}" != 1 ]; then
    say "bench: CudaBench ${KENGINE_BENCH_ARGS:-}"
    # shellcheck disable=SC2086
    timeout -k 15 120 "$java" "${jvm[@]}" -cp "$cp" dev.kengine.cuda.CudaBench ${KENGINE_BENCH_ARGS:-} > "$out/bench.txt" 2>&1
    sizes=$(sed -n 's/^matmul\.fp32\.\([0-9]*\)\.gflops.*/\1/p' "$out/bench.txt" | tr '\n' ' ')
    say "cublas: torch.matmul at ${sizes:-none}"
    PYTHONUNBUFFERED=1 timeout -k 5 60 python3 - "$sizes" > "$out/cublas.txt" 2>&1 <<'PY'
import sys
try:
    import torch
except Exception as e:
    print("cublas.error", e)
    sys.exit(0)
sizes = [int(s) for s in sys.argv[1].split()]
dev = torch.device("cuda")
def timed(fn, reps):
    fn(); torch.cuda.synchronize()
    ms = []
    for _ in range(reps):
        s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); e.synchronize()
        ms.append(s.elapsed_time(e))
    ms.sort()
    return ms[len(ms) // 2]
print("torch.version", torch.__version__, "cuda", torch.version.cuda)
for tf32 in (False, True):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    label = "tf32" if tf32 else "fp32"
    for n in sizes:
        a = torch.rand(n, n, device=dev) * 2 - 1
        b = torch.rand(n, n, device=dev) * 2 - 1
        c = torch.empty(n, n, device=dev)
        ms = timed(lambda: torch.matmul(a, b, out=c), 3 if n >= 8192 else 10)
        print(f"cublas.{label}.{n}.gflops {2.0 * n ** 3 / ms / 1e6:.1f}")
        del a, b, c
n = 1 << 28
x = torch.ones(n, device=dev); y = torch.empty_like(x)
ms = timed(lambda: y.copy_(x), 10)
print(f"torch.copy.GBps {2.0 * n * 4 / ms / 1e6:.1f}")
PY
fi

if [ "${KENGINE_SKIP_SOAK:-0}" != 1 ] && [ -f "$bundle/bench/benchmarks.jar" ] && [ -n "$available" ]; then
    # The reliability soak on CUDA: fuzz, races, small and large ops, leaks, and device memory exhausted
    # (no ulimit: CUDA reserves more address space than any useful limit allows).
    say "soak: ./engine soak on CUDA ${KENGINE_SOAK_ARGS:---quick}"
    # shellcheck disable=SC2086
    timeout -k 15 90 "$java" "${jvm[@]}" -Xms2g -Xmx2g -XX:+AlwaysPreTouch -cp "$bundle/bench/benchmarks.jar" dev.kengine.bench.soak.Soak --backend cuda \
        --oom-limit-mib 0 ${KENGINE_SOAK_ARGS:---quick} > "$out/soak.txt" 2>&1
    say "soak: exit $?; $(tail -n 3 "$out/soak.txt" | tr '\n' ' ')"
fi

# The issue's targets, read off the two files.
python3 - "$out/bench.txt" "$out/cublas.txt" <<'PY' | tee -a "$summary"
import sys
def read(path):
    d = {}
    try:
        for line in open(path):
            p = line.split(None, 1)
            if len(p) == 2:
                d[p[0]] = p[1].strip()
    except OSError:
        pass
    return d
b, c = read(sys.argv[1]), read(sys.argv[2])
def f(d, k):
    try:
        return float(d[k])
    except (KeyError, ValueError):
        return None
rows = []
for n in (1024, 2048, 4096, 8192):
    for prec in ("fp32", "tf32"):
        ours, theirs = f(b, f"matmul.{prec}.{n}.gflops"), f(c, f"cublas.{prec}.{n}.gflops")
        if ours and theirs:
            rows.append((f"matmul {prec} {n}: {ours:.0f} GFLOP/s vs cuBLAS {theirs:.0f} = {ours / theirs:.0%}",
                         0.70 if (prec, n) == ("fp32", 4096) else None, ours / theirs))
copy = f(b, "copy.GBps")
if copy:
    rows.append((f"device copy (cuMemcpyDtoD): {copy:.0f} GB/s; torch copy_: {f(c, 'torch.copy.GBps')} GB/s", None, None))
for k, v in sorted(b.items()):
    if k.startswith("activation.") and k.endswith(".of_copy"):
        rows.append((f"{k[:-8]}: {float(v):.0%} of copy bandwidth", 0.80, float(v)))
    if k.startswith("xent.") and k.endswith(".back_to_back_of_copy"):
        rows.append((f"softmax cross-entropy {k[5:-21]}, ops back to back: {float(v):.0%} of copy bandwidth", None, None))
    elif k.startswith("xent.") and k.endswith(".of_copy"):
        rows.append((f"softmax cross-entropy {k[5:-8]}: {float(v):.0%} of copy bandwidth", 0.70, float(v)))
launch = f(b, "launch.throughput_us")
if launch is not None:
    rows.append((f"per-op launch overhead from Java: {launch:.2f} us/op (enqueue only {f(b, 'launch.enqueue_us')} us)",
                 -10.0, launch))
for text, target, value in rows:
    if target is None:
        print("  " + text)
    elif target < 0:
        print(("  PASS " if value <= -target else "  MISS ") + text + f" (target <= {-target:g} us)")
    else:
        print(("  PASS " if value >= target else "  MISS ") + text + f" (target >= {target:.0%})")
PY
say "results in $out"
exit $status
