package dev.kengine.spi;

import dev.kengine.DType;
import dev.kengine.op.Op;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What an available backend offers: the device it runs on, its memory and compute units, the
 * dtypes it stores, the ops it implements, and free-form details (driver version, SIMD width,
 * compute capability) for people to read. Immutable: the constructor copies the collections.
 *
 * @param deviceName the device, as its driver names it, such as the CPU model or the GPU's name
 * @param memoryBytes the memory tensors can use, in bytes; 0 when unknown
 * @param computeUnits cores, OpenCL compute units or CUDA multiprocessors
 * @param dtypes the element types the backend stores
 * @param supportedOps the ops the backend implements; every other op is reported as unsupported
 *     before any work starts
 * @param details free-form facts for people, in insertion order; a key
 *     {@code unsupported.<OP>} gives the reason an op is missing, quoted in the
 *     {@link dev.kengine.UnsupportedOpException}
 * @param opDtypes for each supported op, the dtypes its data tensors (inputs, outputs, gradients, weights) may have;
 *     an op missing from the map takes float32 tensors only. A tensor of another dtype is rejected before any work
 *     starts. The integer tensors an op takes in a role of their own are not listed here, and every backend that
 *     stores their dtype accepts them: {@link DType#INT32} labels ({@link Op#SOFTMAX_CROSS_ENTROPY}),
 *     {@link DType#INT32} indices written by {@link Op#ARGMAX}, and {@link DType#UINT8} dropout masks
 *     ({@link Op#DROPOUT}, {@link Op#DROPOUT_BACKWARD})
 */
public record Capabilities(String deviceName, long memoryBytes, int computeUnits, Set<DType> dtypes,
                           Set<Op> supportedOps, Map<String, String> details, Map<Op, Set<DType>> opDtypes) {

    /** The ops that move or convert elements without computing on them: every stored dtype. */
    private static final Set<Op> STORAGE_OPS = EnumSet.of(Op.FILL, Op.COPY, Op.UPLOAD, Op.DOWNLOAD, Op.CAST);

    /**
     * Copies the collections, so later changes to the arguments do not show.
     *
     * @throws NullPointerException if a collection, or an element, key or value of one, is null
     */
    public Capabilities {
        dtypes = Set.copyOf(dtypes);
        supportedOps = supportedOps.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(supportedOps));
        for (Map.Entry<String, String> e : details.entrySet()) {
            java.util.Objects.requireNonNull(e.getKey(), "a details key is null");
            java.util.Objects.requireNonNull(e.getValue(), () -> "details value of '" + e.getKey() + "' is null");
        }
        details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
        Map<Op, Set<DType>> pairs = new java.util.EnumMap<>(Op.class);
        for (Map.Entry<Op, Set<DType>> e : opDtypes.entrySet()) {
            java.util.Objects.requireNonNull(e.getKey(), "an opDtypes key is null");
            java.util.Objects.requireNonNull(e.getValue(), () -> "opDtypes value of " + e.getKey() + " is null");
            if (supportedOps.contains(e.getKey())) {
                pairs.put(e.getKey(), Set.copyOf(e.getValue()));
            }
        }
        opDtypes = java.util.Collections.unmodifiableMap(pairs);
    }

    /**
     * Capabilities whose storage ops ({@link Op#FILL}, {@link Op#COPY}, {@link Op#UPLOAD},
     * {@link Op#DOWNLOAD}, {@link Op#CAST}) take every stored dtype and whose other ops take float32.
     *
     * @param deviceName the device
     * @param memoryBytes the memory tensors can use; 0 when unknown
     * @param computeUnits cores, compute units or multiprocessors
     * @param dtypes the element types the backend stores
     * @param supportedOps the ops the backend implements
     * @param details free-form facts for people
     * @throws NullPointerException if a collection, or an element, key or value of one, is null
     */
    public Capabilities(String deviceName, long memoryBytes, int computeUnits, Set<DType> dtypes,
                        Set<Op> supportedOps, Map<String, String> details) {
        this(deviceName, memoryBytes, computeUnits, dtypes, supportedOps, details, storageOpsIn(dtypes));
    }

    /**
     * A map giving the storage ops every dtype in {@code dtypes}; a start for a backend's
     * {@link #opDtypes()}.
     *
     * @param dtypes the stored dtypes
     * @return a new, modifiable map
     */
    public static Map<Op, Set<DType>> storageOpsIn(Set<DType> dtypes) {
        Map<Op, Set<DType>> m = new java.util.EnumMap<>(Op.class);
        for (Op op : STORAGE_OPS) {
            m.put(op, Set.copyOf(dtypes));
        }
        return m;
    }

    /**
     * The dtypes {@code op}'s tensors may have on this backend.
     *
     * @param op the op to ask about
     * @return the dtypes; empty when the op is not supported, {@code {FLOAT32}} when the backend names none
     * @throws dev.kengine.InvalidArgumentException when {@code op} is null
     */
    public Set<DType> dtypes(Op op) {
        if (!supports(op)) {
            return Set.of();
        }
        return opDtypes.getOrDefault(op, Set.of(DType.FLOAT32));
    }

    /**
     * Whether {@code op} runs on data tensors of {@code dtype} here (the integer labels, indices and masks some ops
     * take in roles of their own are not asked about here: see {@link Capabilities}).
     *
     * @param op the op to ask about
     * @param dtype the dtype
     * @return true when the op is supported and takes that dtype
     * @throws dev.kengine.InvalidArgumentException when {@code op} or {@code dtype} is null
     */
    public boolean supports(Op op, DType dtype) {
        if (dtype == null) {
            throw new dev.kengine.InvalidArgumentException("dtype is null");
        }
        return dtypes(op).contains(dtype);
    }

    /**
     * Every op of the engine, for a backend that implements them all.
     *
     * @return a new, modifiable set of every {@link Op}
     */
    public static Set<Op> allOps() {
        return EnumSet.allOf(Op.class);
    }

    /**
     * Whether the backend implements {@code op}.
     *
     * @param op the op to ask about
     * @return true when {@code op} is in {@link #supportedOps()}
     * @throws dev.kengine.InvalidArgumentException when {@code op} is null
     */
    public boolean supports(Op op) {
        if (op == null) {
            throw new dev.kengine.InvalidArgumentException("op is null");
        }
        return supportedOps.contains(op);
    }
}
