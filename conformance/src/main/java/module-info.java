/**
 * The conformance kit: JUnit Jupiter tests that prove a backend agrees with a float64 oracle
 * ({@code dev.kengine.conformance}), and the oracle itself ({@code dev.kengine.conformance.oracle}).
 *
 * <p>The kit's packages are open to JUnit, which calls its test methods reflectively.
 */
module dev.kengine.conformance {
    requires transitive dev.kengine;
    requires transitive org.junit.jupiter.api;
    requires transitive org.opentest4j;

    exports dev.kengine.conformance;
    exports dev.kengine.conformance.oracle;

    opens dev.kengine.conformance to org.junit.platform.commons;
}
