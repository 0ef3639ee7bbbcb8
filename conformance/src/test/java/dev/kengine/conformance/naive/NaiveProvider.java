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
        return new NaiveDriver(capabilities(ops));
    }
}
