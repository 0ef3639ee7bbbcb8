#!/usr/bin/env bash
# Builds .bundle/: everything a bare GPU machine with no Java needs to run the CUDA backend's
# conformance kit and benchmarks (scripts/gpu-run.sh runs them there):
#
#   .bundle/kengine/jre/       a jlink'ed Java 25 runtime (only the modules the engine and JUnit use)
#   .bundle/kengine/lib/       engine-api, engine-cpu, engine-cuda, engine-opencl, kernels, conformance, JCuda (driver
#                              binding only), JOCL
#   .bundle/kengine/test/      engine-cuda's and engine-opencl's test classes and the JUnit console launcher
#   .bundle/kengine/bench/     the JMH benchmarks jar, when the bench module has been built
#   .bundle/kengine/gpu-run.sh
#   .bundle/kengine-gpu.tar.gz the same, packed: the one file to carry to the GPU machine
#
# Usage: scripts/gpu-bundle.sh [--no-build]   (--no-build: take the jars already in */target)
# Needs a JDK 25 (JAVA_HOME, or the one ./mvnw finds) and, for the fat binaries, nvcc at build time.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=1
[ "${1:-}" = "--no-build" ] && build=0

# The JDK: JAVA_HOME if it is 25+, else the one the Maven wrapper would pick.
jdk=${JAVA_HOME:-}
if [ -z "$jdk" ] || ! "$jdk/bin/java" -version 2>&1 | grep -q 'version "2[5-9]'; then
    jdk=""
    for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/*25*; do
        if [ -x "$d/bin/jlink" ]; then
            jdk=$d
            break
        fi
    done
fi
[ -n "$jdk" ] && [ -x "$jdk/bin/jlink" ] || { echo "gpu-bundle: no JDK 25 with jlink found (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME=$jdk

console_version=1.13.4
m2=${MAVEN_REPO:-$HOME/.m2/repository}
console_jar=$m2/org/junit/platform/junit-platform-console-standalone/$console_version/junit-platform-console-standalone-$console_version.jar

mvn() {
    if command -v flock > /dev/null; then
        flock /tmp/kengine-mvn.lock ./mvnw "$@"
    else
        ./mvnw "$@"
    fi
}

if [ $build -eq 1 ]; then
    echo "gpu-bundle: building engine-cuda, engine-opencl and what they need (tests compiled, not run)"
    mvn -q -o -pl engine-cuda,engine-opencl -am package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
fi
if [ ! -f "$console_jar" ]; then
    echo "gpu-bundle: fetching the JUnit console launcher $console_version"
    mvn -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:$console_version -Dtransitive=false
fi
if ! grep -q '^archs=' engine-cuda/target/classes/dev/kengine/cuda/kernels.properties 2>/dev/null; then
    echo "gpu-bundle: engine-cuda was built without its kernels ($(cat engine-cuda/target/classes/dev/kengine/cuda/KERNELS-NOT-BUILT 2>/dev/null || echo 'no manifest')); a bundle would be useless" >&2
    exit 1
fi

out=.bundle/kengine
rm -rf .bundle
mkdir -p "$out/lib" "$out/test" "$out/bench"

jar_of() { # module -> its main jar
    ls "$1"/target/"$1"-*.jar | grep -v -- '-tests\|-sources\|-javadoc\|original-' | head -1
}
for m in engine-api engine-cpu engine-cuda engine-opencl kernels conformance; do
    cp "$(jar_of $m)" "$out/lib/"
done
cp "$m2/org/jocl/jocl/2.0.5/jocl-2.0.5.jar" "$out/lib/"
jcuda=$m2/org/jcuda/jcuda/12.6.0/jcuda-12.6.0.jar
natives=$m2/org/jcuda/jcuda-natives/12.6.0/jcuda-natives-12.6.0-linux-x86_64.jar
cp "$jcuda" "$out/lib/"
# The natives jar also carries NVRTC, PTX-compiler and runtime bindings (24 MB) that the backend
# never loads: keep only the driver binding, which needs nothing but libcuda.so.1.
slim=$(mktemp -d)
(cd "$slim" && "$jdk/bin/jar" xf "$natives" lib/libJCudaDriver-12.6.0-linux-x86_64.so META-INF/MANIFEST.MF \
    && "$jdk/bin/jar" cfm "$root/$out/lib/jcuda-natives-12.6.0-linux-x86_64-driver.jar" META-INF/MANIFEST.MF lib)
rm -rf "$slim"
"$jdk/bin/jar" cf "$out/test/engine-cuda-tests.jar" -C engine-cuda/target/test-classes .
"$jdk/bin/jar" cf "$out/test/engine-opencl-tests.jar" -C engine-opencl/target/test-classes .
cp "$console_jar" "$out/test/"
if [ -f bench/target/benchmarks.jar ]; then
    # ./engine builds bench without the CUDA kernels on a machine with no NVIDIA driver: rebuild it with them.
    probe=$(mktemp -d)
    (cd "$probe" && "$jdk/bin/jar" xf "$OLDPWD/bench/target/benchmarks.jar" dev/kengine/cuda/kernels.properties 2>/dev/null)
    if ! grep -qs '^archs=' "$probe/dev/kengine/cuda/kernels.properties"; then
        echo "gpu-bundle: rebuilding the benchmarks jar with the CUDA kernels"
        mvn -q -o -pl bench -am package -Dmaven.test.skip=true
    fi
    rm -rf "$probe"
    cp bench/target/benchmarks.jar "$out/bench/"
fi
cp scripts/gpu-run.sh "$out/"

# The runtime: the modules jdeps finds in the jars, plus what JUnit's launcher and JMH use. The bundle
# runs on the class path; jdeps reads its classes without their module descriptors, since it would
# otherwise resolve the named modules and stop at JUnit's and JCuda's, which lib/ does not hold as modules.
plain=$(mktemp -d)
for j in "$out"/lib/*.jar; do
    mkdir -p "$plain/$(basename "$j" .jar)"
    (cd "$plain/$(basename "$j" .jar)" && "$jdk/bin/jar" xf "$root/$j" && rm -f module-info.class)
done
mods=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "$plain"/* "$out"/test/*.jar 2>/dev/null)
rm -rf "$plain"
mods="$mods,java.logging,java.xml,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector,jdk.zipfs"
# (jdk.zipfs: JUnit scans the test jar for classes through the zip file system.)
# Debug attributes of classes go; so do native debug symbols where objcopy can strip them.
strip=(--strip-debug)
command -v objcopy > /dev/null && strip=(--strip-java-debug-attributes --strip-native-debug-symbols=exclude-debuginfo-files)
echo "gpu-bundle: jlink --add-modules $mods"
"$jdk/bin/jlink" --add-modules "$mods" "${strip[@]}" --no-header-files --no-man-pages --output "$out/jre"
"$out/jre/bin/java" -version

git rev-parse HEAD > "$out/COMMIT" 2>/dev/null || true
tar -C .bundle -czf .bundle/kengine-gpu.tar.gz kengine
size=$(stat -c %s .bundle/kengine-gpu.tar.gz)
echo "gpu-bundle: $(du -sh "$out/jre" | cut -f1) runtime, $(du -sh "$out/lib" | cut -f1) lib, $(du -sh "$out/test" | cut -f1) test;" \
     ".bundle/kengine-gpu.tar.gz is $((size / 1024 / 1024)) MiB ($size bytes)"
# The device call carries the working tree too, within 64 MiB in all: the bundle gets what the tree leaves, less 2 MiB.
tree=$(git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
limit=$((64 * 1024 * 1024 - tree - 2 * 1024 * 1024))
if [ "$size" -ge "$limit" ]; then
    echo "gpu-bundle: the bundle ($size bytes) and the working tree ($tree bytes) exceed the device call's 64 MiB" >&2
    exit 1
fi
echo "gpu-bundle: carry .bundle/kengine-gpu.tar.gz and scripts/gpu-run.sh; there run: bash scripts/gpu-run.sh .bundle/kengine-gpu.tar.gz \"\$OUT\""
