/**
 * The CUDA backend ({@code cuda}) on JCuda's driver-API binding, with kernels compiled ahead of time
 * into fat binaries. It exports nothing; {@link dev.kengine.Engine} finds it as a service.
 *
 * <p>Native access: JCuda (the automatic module {@code jcuda}) loads its JNI library, so grant it:
 * {@code --enable-native-access=jcuda}.
 */
@SuppressWarnings("requires-automatic")
module dev.kengine.cuda {
    requires dev.kengine;
    requires dev.kengine.kernels;
    requires jcuda;

    provides dev.kengine.spi.BackendProvider with dev.kengine.cuda.CudaProvider;
}
