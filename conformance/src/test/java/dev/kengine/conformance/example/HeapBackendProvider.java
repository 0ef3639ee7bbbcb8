package dev.kengine.conformance.example;

import dev.kengine.DType;
import dev.kengine.InvalidArgumentException;
import dev.kengine.op.Op;
import dev.kengine.spi.Availability;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.BackendProvider;
import dev.kengine.spi.Capabilities;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A minimal backend, as a third party would start one: float[] storage on the Java heap, and only
 * data movement, elementwise arithmetic and the activations. Every other op is left to the
 * {@link BackendDriver} defaults, out of {@link Capabilities#supportedOps()}, with its reason under
 * the details key {@code unsupported.<OP>}, so that the conformance kit reports it as unsupported
 * rather than failed.
 *
 * <p>Registered in the {@code META-INF/services/dev.kengine.spi.BackendProvider} of its own jar, it
 * certifies with {@code ./engine conformance --classpath heap-backend.jar --backend heap}.
 *
 * <p>Option {@code broken=ADD|SUB|MUL|DIV} makes that op answer one ulp high: the fault the
 * command's tests expect the certificate to name. Option {@code claims=OP,OP} declares ops the driver does not
 * implement (a driver that forgot them), and {@code productError=X} declares a matmul product error: faults of
 * declaration the kit must refuse to certify.
 */
public final class HeapBackendProvider implements BackendProvider {
    static final Set<Op> OPS = EnumSet.of(Op.UPLOAD, Op.DOWNLOAD, Op.FILL, Op.COPY, Op.ADD, Op.SUB, Op.MUL, Op.DIV,
            Op.SCALE, Op.AXPY, Op.ACTIVATION, Op.ACTIVATION_BACKWARD);

    /** Found by {@link java.util.ServiceLoader}. */
    public HeapBackendProvider() {}

    @Override
    public String name() {
        return "heap";
    }

    @Override
    public int rank() {
        return -200; // never chosen when the user names no backend
    }

    static Capabilities capabilities() {
        return capabilities(OPS, null);
    }

    /** The capabilities declaring {@code ops}, and the product error when not null. */
    static Capabilities capabilities(Set<Op> ops, String productError) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("storage", "float[] on the Java heap, one thread");
        for (Op op : Op.values()) {
            if (!ops.contains(op)) {
                details.put("unsupported." + op.name(), reason(op));
            }
        }
        if (productError != null) {
            details.put("matmul.productError", productError);
        }
        return new Capabilities("the Java heap",
                Runtime.getRuntime().maxMemory(), 1, Set.of(DType.FLOAT32), ops, details);
    }

    private static String reason(Op op) {
        return switch (op) {
            case MATMUL, LINEAR, LINEAR_BACKWARD -> "the heap example has no matrix products (use the cpu backend)";
            case SUM, MEAN, L2_NORM, MAX, ARGMAX -> "the heap example has no reductions";
            case DROPOUT, DROPOUT_BACKWARD, INIT_UNIFORM, INIT_NORMAL -> "the heap example has no random numbers";
            case SGD_STEP, ADAM_STEP, PENALTY, CLIP_GRAD_NORM -> "the heap example has no optimisers";
            case CAST -> "the heap example stores float32 only: there is nothing to cast between";
            default -> "the heap example implements only data movement, elementwise arithmetic and activations";
        };
    }

    @Override
    public Availability probe() {
        return Availability.available(capabilities()); // pure Java: available wherever it loads
    }

    @Override
    public BackendDriver open(Map<String, String> options) {
        BackendDriver.Binary broken = null;
        String b = options.get("broken");
        if (b != null) {
            try {
                broken = BackendDriver.Binary.valueOf(b.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidArgumentException("heap: broken=" + b + " is not one of ADD, SUB, MUL, DIV");
            }
        }
        Set<Op> ops = EnumSet.copyOf(OPS);
        for (String claimed : options.getOrDefault("claims", "").split(",")) {
            if (!claimed.isBlank()) {
                ops.add(Op.valueOf(claimed.trim().toUpperCase(Locale.ROOT)));
            }
        }
        return new HeapDriver(capabilities(ops, options.get("productError")), broken);
    }
}
