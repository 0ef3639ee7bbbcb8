/**
 * The OpenCL backend ({@code opencl}) on JOCL. It exports nothing; {@link dev.kengine.Engine} finds
 * it as a service.
 *
 * <p>Native access: this module calls the C allocator through the foreign function interface and
 * JOCL (the automatic module {@code jocl}) loads its JNI library, so grant both, with
 * {@code dev.kengine} for its signal guards:
 * {@code --enable-native-access=dev.kengine,dev.kengine.opencl,jocl}.
 */
@SuppressWarnings("requires-automatic")
module dev.kengine.opencl {
    requires dev.kengine;
    requires dev.kengine.kernels;
    requires jocl;

    provides dev.kengine.spi.BackendProvider with dev.kengine.opencl.OpenClProvider;
}
