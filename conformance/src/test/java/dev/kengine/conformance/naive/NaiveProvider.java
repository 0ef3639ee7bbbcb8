package dev.kengine.conformance.naive;

import dev.kengine.DType;
import dev.kengine.op.Op;
import dev.kengine.spi.Availability;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.BackendProvider;
import dev.kengine.spi.Capabilities;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * A deliberately slow, obvious backend that lives only in the kit's tests: it lets the kit run end
 * to end without any real backend, and proves the kit's tolerances accept a plain float32
 * implementation. Option {@code without=OP,OP} drops ops, to check they are reported as skipped.
 * Option {@code half=true} also stores float16 and bfloat16 (the facade computes the half-precision ops
 * through float32), and {@code broken=MODE} (with half) plants one of {@link NaiveDriver.Broken}'s gradient
 * faults, for the kit's self-test of its half-precision finite-difference checks.
 */
public final class NaiveProvider implements BackendProvider {
    @Override
    public String name() {
        return "naive";
    }

    @Override
    public int rank() {
        return -100;
    }

    static Capabilities capabilities(Set<Op> ops) {
        // Float32 loops only: nothing to cast between.
        ops = EnumSet.copyOf(ops);
        ops.remove(Op.CAST);
        return new Capabilities("naive float32 loops", 1L << 30, 1, Set.of(DType.FLOAT32), ops,
                Map.of("unsupported.PRELU", "the naive backend was opened without PReLU"));
    }

    /** Float32 loops storing the half types too; ACTIVATION_BACKWARD native in them when {@code broken} says so. */
    static Capabilities halfCapabilities(Set<Op> ops, NaiveDriver.Broken broken) {
        Set<DType> dtypes = Set.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16);
        Map<Op, Set<DType>> pairs = Capabilities.storageOpsIn(dtypes);
        if (broken != null && broken.nativeHalf()) {
            pairs.put(Op.ACTIVATION_BACKWARD, dtypes);
        }
        return new Capabilities("naive float32 loops, half-precision storage", 1L << 30, 1, dtypes, ops,
                Map.of("unsupported.PRELU", "the naive backend was opened without PReLU"), pairs);
    }

    @Override
    public Availability probe() {
        return Availability.available(capabilities(Capabilities.allOps()));
    }

    @Override
    public BackendDriver open(Map<String, String> options) {
        Set<Op> ops = EnumSet.allOf(Op.class);
        String without = options.getOrDefault("without", "");
        for (String s : without.split(",")) {
            if (!s.isBlank()) {
                ops.remove(Op.valueOf(s.trim()));
            }
        }
        String brokenName = options.getOrDefault("broken", "");
        NaiveDriver.Broken broken = brokenName.isBlank() ? null
                : NaiveDriver.Broken.valueOf(brokenName.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        if (Boolean.parseBoolean(options.getOrDefault("half", "false"))) {
            return new NaiveDriver(halfCapabilities(ops, broken), broken);
        }
        if (broken != null) {
            throw new dev.kengine.InvalidArgumentException("naive: broken=" + brokenName + " needs half=true");
        }
        return new NaiveDriver(capabilities(ops));
    }
}
