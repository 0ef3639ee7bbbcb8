/**
 * The backend-neutral tensor API ({@code dev.kengine}), the op and configuration types
 * ({@code dev.kengine.op}), the normative counter-based random numbers ({@code dev.kengine.random})
 * and the service-provider interface that backends implement ({@code dev.kengine.spi}).
 *
 * <p>Backends are found with {@link java.util.ServiceLoader}: on the module path a backend module
 * {@code provides dev.kengine.spi.BackendProvider}; on the class path it lists its provider in
 * {@code META-INF/services/dev.kengine.spi.BackendProvider}. {@link dev.kengine.spi.JvmSignals}
 * calls the C library through the foreign function interface, so a native backend's process grants
 * this module native access ({@code --enable-native-access=dev.kengine}).
 */
module dev.kengine {
    exports dev.kengine;
    exports dev.kengine.op;
    exports dev.kengine.random;
    exports dev.kengine.spi;

    uses dev.kengine.spi.BackendProvider;
}
