/**
 * {@code ./engine conformance}: the conformance kit run through the JUnit Platform launcher against
 * a backend named on the command line, with no test class to write, and its certificate as text,
 * JSON or HTML ({@link dev.kengine.conformance.certify.ConformanceCommand}).
 */
package dev.kengine.conformance.certify;
