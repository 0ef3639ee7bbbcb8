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
 */
public record Capabilities(String deviceName, long memoryBytes, int computeUnits, Set<DType> dtypes,
                           Set<Op> supportedOps, Map<String, String> details) {

    /**
     * Copies the collections, so later changes to the arguments do not show.
     *
     * @throws NullPointerException if a collection, or an element, key or value of one, is null
     */
    public Capabilities {
        dtypes = Set.copyOf(dtypes);
        supportedOps = supportedOps.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(supportedOps));
        details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
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
