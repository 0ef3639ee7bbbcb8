package dev.kengine.cuda;

import dev.kengine.BackendUnavailableException;
import dev.kengine.InvalidArgumentException;
import dev.kengine.spi.Availability;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.BackendProvider;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The CUDA backend: the engine's kernels, compiled ahead of time by nvcc, on an NVIDIA GPU through
 * the CUDA driver API (JCuda; only libcuda.so.1 is needed at run time). Options (as a map or as
 * {@code -Dkengine.cuda.<key>=...}):
 * <ul>
 * <li>{@code device}: an index or a case-insensitive name substring (environment variable
 *     {@code KENGINE_CUDA_DEVICE}); default the first device;
 * <li>{@code precision}: {@code fp32} (default) or {@code tf32}, opt-in tensor-core matmul with
 *     TF32 operands (10-bit mantissa) and FP32 accumulation, on compute capability 8.0 and newer;
 * <li>{@code kernels}: {@code tuned} (default: the CUDA-specific kernels where they exist) or
 *     {@code shared} (only the kernel text shared with OpenCL; for comparisons and diagnosis).
 * </ul>
 * Rank 40: preferred over OpenCL (30) and the CPU (10) when available.
 */
public final class CudaProvider implements BackendProvider {
    static final String NAME = "cuda";
    private static final Set<String> OPTIONS = Set.of("device", "kernels", "precision");
    static final String DEVICE_ENV = "KENGINE_CUDA_DEVICE";

    @Override
    public String name() {
        return NAME;
    }

    /** The keys {@link #open(Map)} reads: {@code device}, {@code precision} and {@code kernels}. */
    @Override
    public Optional<Set<String>> optionNames() {
        return Optional.of(OPTIONS);
    }

    @Override
    public int rank() {
        return 40;
    }

    @Override
    public Availability probe() {
        return probe(propertyOptions());
    }

    @Override
    public Availability probe(Map<String, String> options) {
        try {
            CudaProbe.Result r = CudaProbe.get();
            if (!r.ok()) {
                return Availability.unavailable(r.problem());
            }
            Options o = Options.parse(options);
            CudaDevice d = CudaProbe.select(r.devices(), o.device());
            return Availability.available(CudaDriver.capabilitiesOf(d, o));
        } catch (dev.kengine.InvalidArgumentException e) {
            throw e; // a malformed option, as open would report it
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("CUDA probe failed: " + e);
        }
    }

    @Override
    public BackendDriver open(Map<String, String> options) {
        CudaProbe.Result r = CudaProbe.get();
        if (!r.ok()) {
            throw new BackendUnavailableException("CUDA is unavailable: " + r.problem());
        }
        Options o = Options.parse(options);
        return new CudaDriver(CudaProbe.select(r.devices(), o.device()), o);
    }

    /** The parsed options. */
    record Options(String device, boolean tf32, boolean sharedKernelsOnly) {
        static Options parse(Map<String, String> options) {
            String device = options.get("device");
            if (device == null || device.isBlank()) {
                device = System.getenv(DEVICE_ENV);
            }
            String precision = options.getOrDefault("precision", "fp32").trim().toLowerCase(Locale.ROOT);
            if (!precision.equals("fp32") && !precision.equals("tf32")) {
                throw new InvalidArgumentException("cuda: precision must be fp32 or tf32, got '" + options.get("precision") + "'");
            }
            String kernels = options.getOrDefault("kernels", "tuned").trim().toLowerCase(Locale.ROOT);
            if (!kernels.equals("tuned") && !kernels.equals("shared")) {
                throw new InvalidArgumentException("cuda: kernels must be tuned or shared, got '" + options.get("kernels") + "'");
            }
            return new Options(device, precision.equals("tf32"), kernels.equals("shared"));
        }
    }

    private static Map<String, String> propertyOptions() {
        Map<String, String> m = new HashMap<>();
        String prefix = "kengine." + NAME + ".";
        System.getProperties().forEach((k, v) -> {
            String key = String.valueOf(k);
            if (key.startsWith(prefix)) {
                m.put(key.substring(prefix.length()), String.valueOf(v));
            }
        });
        return m;
    }
}
