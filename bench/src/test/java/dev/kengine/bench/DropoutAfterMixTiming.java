package dev.kengine.bench;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.bench.OpDescriptor.Instance;
import dev.kengine.bench.anchor.Anchor;
import dev.kengine.bench.anchor.NetlibAnchor;
import java.util.Locale;

/**
 * Reproduces the dropout kernel's slow mode outside the report (bench/RESULTS.md, "Dropout's two speeds"): the
 * CPU backend's dropout over 1M floats, timed after a mix of earlier work in the same JVM, as the report runs it.
 * Not a test: a main, run by hand.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp bench/target/benchmarks.jar:bench/target/test-classes dev.kengine.bench.DropoutAfterMixTiming mnad
 * </pre>
 *
 * Each letter of the argument is a step, in order: {@code m} the CPU backend's matmul at every size up to 1024
 * (square and skinny), {@code n} netlib's pure-Java sgemm at 64–512, {@code a} every other op (activations,
 * losses, linear, optimisers) at a small size, {@code d} dropout timed (five rounds of the best of 200 calls).
 * On the 2-core EPYC, "d" alone, "md", "nd", "ad", "mad" and "nad" gave 0.33–0.36 ms a call on two threads (one
 * run of "ad" in four gave 0.64); "mnad" gave 0.50–0.72 in 12 of 14 runs.
 */
public final class DropoutAfterMixTiming {
    private DropoutAfterMixTiming() {}

    public static void main(String[] args) throws Exception {
        String steps = args.length > 0 ? args[0] : "mnad";
        try (Backend cpu = Engine.open("cpu")) {
            for (char step : steps.toCharArray()) {
                switch (step) {
                    case 'm' -> {
                        for (String op : new String[] {"matmul", "matmul_skinny"}) {
                            OpDescriptor d = Ops.byName(op);
                            for (long n : d.sizes(false)) {
                                if (n <= 1024) {
                                    try (Instance inst = d.prepare(cpu, n, 1)) {
                                        best(inst, cpu, 30);
                                    }
                                }
                            }
                        }
                    }
                    case 'n' -> {
                        try (NetlibAnchor netlib = NetlibAnchor.pureJava()) {
                            for (long n : new long[] {64, 128, 256, 512}) {
                                OpDescriptor.GemmShape s = Ops.byName("matmul").gemm(n);
                                float[][] ab = Ops.gemmInputs(s, 1);
                                try (Anchor.Call call = netlib.call(s, ab[0], ab[1], new float[s.m() * s.n()], 1)) {
                                    for (int i = 0; i < 50; i++) {
                                        call.run();
                                    }
                                }
                            }
                        }
                    }
                    case 'a' -> {
                        for (OpDescriptor d : Ops.all()) {
                            if (d.name().startsWith("matmul") || d.name().startsWith("dropout")) {
                                continue;
                            }
                            try (Instance inst = d.prepare(cpu, d.bound() == OpDescriptor.Bound.COMPUTE ? 128 : 1 << 16, 1)) {
                                best(inst, cpu, 200);
                            }
                        }
                    }
                    case 'd' -> {
                        try (Instance inst = Ops.byName("dropout").prepare(cpu, 1 << 20, 1)) {
                            for (int round = 0; round < 5; round++) {
                                System.out.printf(Locale.ROOT, "dropout 1M floats on %s: best %.3f ms a call%n",
                                        cpu.name(), best(inst, cpu, 200));
                            }
                        }
                    }
                    default -> throw new IllegalArgumentException("steps are m, n, a and d; got '" + step + "'");
                }
            }
        }
    }

    /** The best of {@code runs} synchronised calls, in milliseconds. */
    private static double best(Instance inst, Backend b, int runs) {
        double best = Double.POSITIVE_INFINITY;
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            inst.run();
            b.synchronize();
            best = Math.min(best, (System.nanoTime() - t0) * 1e-6);
        }
        return best;
    }
}
