package dev.kengine.cpu;

import dev.kengine.DType;
import dev.kengine.InvalidArgumentException;
import dev.kengine.op.Op;
import dev.kengine.spi.Availability;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.BackendProvider;
import dev.kengine.spi.Capabilities;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The CPU backend's provider: always available, ranked below any accelerator. Options:
 * {@code threads} (1 to 1024; default: available processors) and {@code simd}: unset or {@code auto} (the default), each
 * Vector API kernel once the JIT has compiled it and the scalar kernel until then (see {@code Warmup});
 * {@code true}, the vector kernels from the first call; {@code false}, the scalar kernels.
 */
public final class CpuProvider implements BackendProvider {
    public static final String NAME = "cpu";
    private static final Set<String> OPTIONS = Set.of("simd", "threads");
    public static final int RANK = 10;

    @Override
    public String name() {
        return NAME;
    }

    /** The keys {@link #open(Map)} reads: {@code simd} and {@code threads}. */
    @Override
    public Optional<Set<String>> optionNames() {
        return Optional.of(OPTIONS);
    }

    @Override
    public int rank() {
        return RANK;
    }

    @Override
    public Availability probe() {
        return Availability.available(capabilities(Runtime.getRuntime().availableProcessors(), true, true));
    }

    @Override
    public BackendDriver open(Map<String, String> options) {
        int threads = parseThreads(options.get("threads"));
        String simd = parseSimd(options.get("simd"));
        boolean on = !simd.equals("false");
        boolean tiered = simd.equals("auto");
        return new CpuDriver(NAME, capabilities(threads, on, tiered), threads, on, tiered);
    }

    /** The most threads the option takes: far past any machine's cores, short of what exhausts the system. */
    static final int MAX_THREADS = 1024;

    private static int parseThreads(String value) {
        if (value == null) {
            return Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors());
        }
        int threads;
        try {
            threads = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("cpu: option threads must be an integer >= 1, got '" + value + "'");
        }
        if (threads < 1) {
            throw new InvalidArgumentException("cpu: option threads must be >= 1, got " + threads);
        }
        if (threads > MAX_THREADS) {
            throw new InvalidArgumentException("cpu: option threads must be at most " + MAX_THREADS + " (this JVM sees "
                    + Runtime.getRuntime().availableProcessors() + " processors), got " + threads);
        }
        return threads;
    }

    /** "auto", "true" or "false". */
    private static String parseSimd(String value) {
        if (value == null) {
            return "auto";
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "auto", "true", "false" -> v;
            default -> throw new InvalidArgumentException("cpu: option simd must be auto, true or false, got '" + value + "'");
        };
    }

    private static Capabilities capabilities(int threads, boolean simd, boolean tiered) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("threads", Integer.toString(threads));
        details.put("simd", !simd ? "scalar: switched off by option simd=false"
                : tiered && SimdSelection.VECTOR != null
                        ? SimdSelection.DESCRIPTION + ", each kernel once the JIT has compiled it (simd=true: from the first call)"
                        : SimdSelection.DESCRIPTION);
        details.put("java", Runtime.version().toString());
        Set<DType> all = EnumSet.allOf(DType.class);
        Map<Op, Set<DType>> pairs = Capabilities.storageOpsIn(all);
        // Its own half-precision kernels (blocks widened in cache); the facade computes the other ops' half
        // pairs through float32.
        Set<DType> floats = EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16);
        pairs.put(Op.ACTIVATION, floats);
        pairs.put(Op.ACTIVATION_BACKWARD, floats);
        pairs.put(Op.MATMUL, floats);
        // The dense layer on half-precision x, w and b: the product accumulated in float32, the bias and activation
        // applied in float32, z and y rounded once; its backward pass the same way.
        pairs.put(Op.LINEAR, floats);
        // The elementwise arithmetic, widened a block at a time into L1 and rounded once; the softmax cross-entropy
        // on widened logits (and targets), its gradient rounded once.
        for (Op op : new Op[] {Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.SCALE, Op.SOFTMAX_CROSS_ENTROPY}) {
            pairs.put(op, floats);
        }
        pairs.put(Op.LINEAR_BACKWARD, floats);
        // Optimiser steps from half-precision gradients and with the half copy of the weights in the same pass.
        pairs.put(Op.SGD_STEP, floats);
        pairs.put(Op.ADAM_STEP, floats);
        // Dropout on half-precision x and y, through float blocks in L1, with UINT8 or FLOAT32 masks.
        pairs.put(Op.DROPOUT, floats);
        pairs.put(Op.DROPOUT_BACKWARD, floats);
        return new Capabilities(CpuModel.NAME, Runtime.getRuntime().maxMemory(), threads, all, Capabilities.allOps(), details,
                pairs);
    }

    /** The processor's model name, read once. */
    private static final class CpuModel {
        static final String NAME = read();

        private static String read() {
            Path info = Path.of("/proc/cpuinfo");
            if (Files.isReadable(info)) {
                try (Stream<String> lines = Files.lines(info)) {
                    String model = lines.filter(l -> l.startsWith("model name"))
                            .map(l -> l.substring(l.indexOf(':') + 1).trim())
                            .filter(s -> !s.isEmpty())
                            .findFirst().orElse(null);
                    if (model != null) {
                        return model;
                    }
                } catch (IOException | RuntimeException e) {
                    // Fall back to the architecture below.
                }
            }
            return System.getProperty("os.arch", "unknown CPU");
        }
    }
}
