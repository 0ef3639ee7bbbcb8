/**
 * Benchmarks and the side-by-side report: one {@link dev.kengine.bench.OpDescriptor} per op, shared
 * by the JMH benchmarks ({@code dev.kengine.bench.jmh}) and {@code ./engine compare}
 * ({@code dev.kengine.bench.report}); the anchors (OpenBLAS, netlib's pure-Java BLAS, CLBlast)
 * live here and never in the engine.
 */
package dev.kengine.bench;
