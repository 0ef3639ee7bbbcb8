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
 * compute capability) for people to read.
 */
public record Capabilities(String deviceName, long memoryBytes, int computeUnits, Set<DType> dtypes,
                           Set<Op> supportedOps, Map<String, String> details) {

    public Capabilities {
        dtypes = Set.copyOf(dtypes);
        supportedOps = supportedOps.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(supportedOps));
        details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** Every op of the engine. */
    public static Set<Op> allOps() {
        return EnumSet.allOf(Op.class);
    }

    public boolean supports(Op op) {
        return supportedOps.contains(op);
    }
}
