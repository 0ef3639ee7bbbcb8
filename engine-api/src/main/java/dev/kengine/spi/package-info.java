/**
 * The service-provider interface for writing a backend: a {@link dev.kengine.spi.BackendProvider}
 * found by {@link java.util.ServiceLoader} probes and opens a {@link dev.kengine.spi.BackendDriver},
 * which allocates {@link dev.kengine.spi.Storage} and runs the ops. The facade
 * ({@link dev.kengine.Backend}) checks every argument before a driver sees it, so drivers compute
 * and do not validate. Application code does not use this package, except
 * {@link dev.kengine.spi.Capabilities} through {@code Backend.capabilities()};
 * {@link dev.kengine.spi.JvmSignals} is a helper for backends whose native libraries replace the
 * JVM's signal handlers.
 */
package dev.kengine.spi;
