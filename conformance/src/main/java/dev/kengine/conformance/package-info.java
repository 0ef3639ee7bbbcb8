/**
 * The conformance kit a backend runs to prove it keeps the engine's contract: subclass
 * {@link dev.kengine.conformance.BackendConformanceKit} (and, for a second backend,
 * {@link dev.kengine.conformance.CrossBackendRandomKit}), name the backend, and run the class with
 * JUnit 5. Every op is checked against a float64 oracle under per-op
 * {@link dev.kengine.conformance.Tolerances} that state their reasons, with odd sizes and special
 * inputs ({@link dev.kengine.conformance.Inputs}); gradients against finite differences; random
 * numbers bit for bit against the specification and {@link dev.kengine.conformance.Golden} files;
 * bad inputs, hostile calls and thread races through the {@link dev.kengine.conformance.Fuzzer}.
 * Failures are JUnit assertion errors whose messages name the elements, bounds or seed that
 * reproduce them; an op the backend lacks is reported as skipped, never as passed.
 */
package dev.kengine.conformance;
