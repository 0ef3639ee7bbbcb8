/**
 * The conformance kit: JUnit Jupiter tests that prove a backend agrees with a float64 oracle
 * ({@code dev.kengine.conformance}), and the oracle itself ({@code dev.kengine.conformance.oracle}).
 *
 * <p>The kit's packages are open to JUnit, which calls its test methods reflectively.
 * {@code dev.kengine.conformance.certify} is the conformance command, which runs the kit through the
 * JUnit Platform launcher (an optional dependency: put junit-platform-launcher and
 * junit-jupiter-engine on the path to run it; on the module path also {@code --add-modules
 * org.junit.platform.launcher}, since nothing else requires it).
 */
module dev.kengine.conformance {
    requires transitive dev.kengine;
    requires transitive org.junit.jupiter.api;
    requires transitive org.opentest4j;
    requires static org.junit.platform.launcher;
    requires java.logging;

    exports dev.kengine.conformance;
    exports dev.kengine.conformance.oracle;
    exports dev.kengine.conformance.certify;

    opens dev.kengine.conformance to org.junit.platform.commons;
    opens dev.kengine.conformance.certify to org.junit.platform.commons;
}
