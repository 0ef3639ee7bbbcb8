package dev.kengine;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A backend option by its typed name, beside the string form ({@code Map.of("threads", "2")} or
 * {@code -Dkengine.cpu.threads=2}) that {@link Engine#open(String, Map)} accepts. A value is checked
 * when the setting is made, so a mistake fails where it is written:
 *
 * <pre>{@code
 * Backend cpu = Engine.open("cpu", BackendOption.CPU_THREADS.is(2), BackendOption.CPU_SIMD.is(false));
 * Backend gpu = Engine.open("cuda", BackendOption.CUDA_PRECISION.is(BackendOption.Precision.TF32));
 * }</pre>
 *
 * @param <T> the value's type
 */
public final class BackendOption<T> {
    /** The CPU backend's worker threads, at least 1 (default: every core). */
    public static final BackendOption<Integer> CPU_THREADS = new BackendOption<>("cpu", "threads", "at least 1", v -> v >= 1);
    /**
     * Whether the CPU backend uses its Vector API kernels: {@code true}, from the first call; {@code false}, never
     * (the scalar path). Unset (or the string {@code auto}), each vector kernel runs once the JIT has compiled it and
     * the scalar kernel runs until then, so that a short job runs about as fast as on the scalar path (within a
     * machine's noise; README, "Fast from the first call") and a long one at the vector kernels' speed; a run's result
     * bits then depend on when each kernel turned, and {@code true} or {@code false} keep runs bit-reproducible.
     */
    public static final BackendOption<Boolean> CPU_SIMD = new BackendOption<>("cpu", "simd", "true or false", v -> true);
    /** The OpenCL platform: an index or a substring of its name. */
    public static final BackendOption<String> OPENCL_PLATFORM = new BackendOption<>("opencl", "platform", "an index or a name",
            v -> !v.isBlank());
    /** The OpenCL device: an index or a substring of its name. */
    public static final BackendOption<String> OPENCL_DEVICE = new BackendOption<>("opencl", "device", "an index or a name",
            v -> !v.isBlank());
    /** The directory of compiled OpenCL programs, or {@code off} (default {@code $XDG_CACHE_HOME/kengine/opencl} where that variable is set, else {@code ~/.cache/kengine/opencl}). */
    public static final BackendOption<String> OPENCL_CACHE = new BackendOption<>("opencl", "cache", "a directory or off",
            v -> !v.isBlank());
    /** The CUDA device: an index or a substring of its name. */
    public static final BackendOption<String> CUDA_DEVICE = new BackendOption<>("cuda", "device", "an index or a name",
            v -> !v.isBlank());
    /** The precision of the CUDA backend's matmul and fused linear. */
    public static final BackendOption<Precision> CUDA_PRECISION = new BackendOption<>("cuda", "precision", "FP32 or TF32",
            v -> true);

    /** Every typed option, in the order above. */
    public static final List<BackendOption<?>> ALL = List.of(CPU_THREADS, CPU_SIMD, OPENCL_PLATFORM, OPENCL_DEVICE,
            OPENCL_CACHE, CUDA_DEVICE, CUDA_PRECISION);

    /** Matmul precision on tensor-core devices. */
    public enum Precision {
        /** float32 operands and sums. */
        FP32,
        /** TF32 operands (10-bit mantissa) on tensor cores, float32 sums: opt-in, with wider tolerances. */
        TF32
    }

    /**
     * One option with its value, for {@link Engine#open(String, Setting...)}.
     *
     * @param option the option, not null
     * @param value its value as the backend reads it, not null; {@link BackendOption#is} makes settings whose values
     *     are checked, and the backend checks the string form again when it opens
     */
    public record Setting(BackendOption<?> option, String value) {
        /**
         * Checks the components.
         *
         * @throws InvalidArgumentException if {@code option} or {@code value} is null
         */
        public Setting {
            if (option == null || value == null) {
                throw new InvalidArgumentException("a backend option setting needs an option and a value, got " + option
                        + " = " + value);
            }
        }
    }

    private final String backend;
    private final String name;
    private final String accepted;
    private final Predicate<T> valid;

    private BackendOption(String backend, String name, String accepted, Predicate<T> valid) {
        this.backend = backend;
        this.name = name;
        this.accepted = accepted;
        this.valid = valid;
    }

    /**
     * The backend this option belongs to.
     *
     * @return the backend's name, such as {@code cpu}
     */
    public String backend() {
        return backend;
    }

    /**
     * The option's string name.
     *
     * @return the key in the options map and in {@code -Dkengine.<backend>.<name>}, such as {@code threads}
     */
    public String name() {
        return name;
    }

    /**
     * This option set to {@code value}.
     *
     * @param value the value; not null
     * @return the setting, for {@link Engine#open(String, Setting...)}
     * @throws InvalidArgumentException when the value is null or out of range
     */
    public Setting is(T value) {
        if (value == null || !valid.test(value)) {
            throw new InvalidArgumentException(backend + " option " + name + ": " + value + " is not valid; accepted: "
                    + accepted);
        }
        String text = value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : value.toString();
        return new Setting(this, text);
    }

    /** The settings as the string map that backends read; every setting must belong to {@code backendName}. */
    static Map<String, String> toMap(String backendName, Setting... settings) {
        if (settings == null) {
            throw new InvalidArgumentException("backend options are null");
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Setting s : settings) {
            if (s == null) {
                throw new InvalidArgumentException("a backend option is null");
            }
            if (!s.option().backend().equals(backendName)) {
                throw new InvalidArgumentException("option " + s.option() + " belongs to backend '" + s.option().backend()
                        + "', not '" + backendName + "'");
            }
            map.put(s.option().name(), s.value());
        }
        return map;
    }

    @Override
    public String toString() {
        return backend + "." + name;
    }
}
