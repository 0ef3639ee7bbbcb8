/**
 * The reference backend ({@code cpu}): multi-threaded SIMD kernels on the Vector API with a scalar
 * path. It exports nothing; {@link dev.kengine.Engine} finds it as a service.
 *
 * <p>It is the only kengine module that needs the incubating {@code jdk.incubator.vector}; it reads
 * HotSpot's {@code UseFMA} flag through {@code jdk.management} to decide whether the vector
 * kernels pay off on this CPU.
 */
module dev.kengine.cpu {
    requires dev.kengine;
    requires jdk.incubator.vector;
    requires jdk.management;

    provides dev.kengine.spi.BackendProvider with dev.kengine.cpu.CpuProvider;
}
