# Sourced by ./mvnw, ./engine and .ci/run: exports JAVA_HOME pointing at a JDK 25 or newer.
# Order: JAVA_HOME when it is new enough, then the JDK of `javac` on the PATH, then the usual
# install locations (newest first). When none is found JAVA_HOME is left alone and the
# build's enforcer rule stops with a message that says which version it needs.
kengine_jdk_major() {
  [ -f "$1/release" ] || return 1
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
}
kengine_find_jdk() {
  for candidate in "${JAVA_HOME-}" \
      "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")" \
      $(ls -d /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* 2>/dev/null | sort -rV); do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(kengine_jdk_major "$candidate") || continue
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}
# mvnw runs with globbing off (set -f); the search needs it, so switch it on and back.
case $- in *f*) kengine_noglob=1; set +f ;; *) kengine_noglob=0 ;; esac
if kengine_jdk=$(kengine_find_jdk); then
  JAVA_HOME=$kengine_jdk
  export JAVA_HOME
  # Maven's own libraries call sun.misc.Unsafe, which JDK 24+ warns about on every run.
  MAVEN_OPTS="${MAVEN_OPTS-} --sun-misc-unsafe-memory-access=allow"
  export MAVEN_OPTS
else
  echo "warning: no JDK 25 or newer found (JAVA_HOME=${JAVA_HOME-unset}); install one and set JAVA_HOME" >&2
fi
[ "$kengine_noglob" = 1 ] && set -f
unset kengine_jdk kengine_noglob
