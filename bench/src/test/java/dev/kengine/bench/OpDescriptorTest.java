package dev.kengine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.op.Activation;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OpDescriptorTest {

    @Test
    void everyFamilyOfTheIssueHasADescriptor() {
        Set<String> names = new HashSet<>(Ops.all().stream().map(OpDescriptor::name).toList());
        assertEquals(Ops.all().size(), names.size(), "descriptor names are unique");
        for (String n : List.of("matmul", "matmul_skinny", "linear", "linear_backward", "softmax_cross_entropy", "dropout",
                "dropout_backward", "adam", "sgd_momentum")) {
            assertTrue(names.contains(n), n);
        }
        for (var a : Ops.ACTIVATIONS) {
            assertTrue(names.contains("act_" + Ops.activationName(a)), a.toString());
            assertTrue(names.contains("act_" + Ops.activationName(a) + "_backward"), a.toString());
        }
    }

    @Test
    void matmulCountsTwoFlopsPerMultiplyAddAndThreeMatricesOfTraffic() {
        OpDescriptor d = Ops.byName("matmul");
        assertEquals(2.0 * 1024 * 1024 * 1024, d.flops(1024));
        assertEquals(3 * 4.0 * 1024 * 1024, d.bytes(1024));
        assertEquals(new OpDescriptor.GemmShape(1024, 1024, 1024), d.gemm(1024));
        assertEquals(OpDescriptor.Bound.COMPUTE, d.bound());
        assertEquals("1024x1024x1024", d.shape(1024));
        // 2 GFLOP in 20 ms is 100 GFLOP/s.
        assertEquals(107.374, d.throughput(1024, 0.02), 1e-3);
    }

    @Test
    void skinnyMatmulIsAMiniBatchThroughASquareLayer() {
        OpDescriptor d = Ops.byName("matmul_skinny");
        OpDescriptor.GemmShape g = d.gemm(1024);
        assertEquals(new OpDescriptor.GemmShape(Ops.BATCH, 1024, 1024), g);
        assertEquals(g.flops(), d.flops(1024));
        assertEquals(4.0 * (Ops.BATCH * 1024 * 2 + 1024 * 1024), d.bytes(1024));
    }

    @Test
    void linearIsNoPlainGemmAndItsBackwardDoesTwice() {
        OpDescriptor f = Ops.byName("linear");
        OpDescriptor b = Ops.byName("linear_backward");
        assertNull(f.gemm(256), "anchors must not run the fused layer as if it were plain SGEMM");
        double gemm = 2.0 * 4 * Ops.BATCH * 256 * 256;
        assertTrue(f.flops(256) > gemm && f.flops(256) < gemm * 1.01);
        assertTrue(b.flops(256) > 2 * gemm && b.flops(256) < 2 * gemm * 1.01);
    }

    @Test
    void elementwiseByteCountsAreCompulsoryTraffic() {
        long n = 16L << 20;
        for (var a : Ops.ACTIVATIONS) {
            String name = "act_" + Ops.activationName(a);
            assertEquals(8.0 * n, Ops.byName(name).bytes(n), name + ": read x, write y");
            assertEquals(12.0 * n, Ops.byName(name + "_backward").bytes(n), name + ": read dy and x or y, write dx");
            assertEquals(OpDescriptor.Bound.MEMORY, Ops.byName(name).bound());
        }
        assertEquals(12.0 * n, Ops.byName("dropout").bytes(n), "read x, write y and the mask");
        assertEquals(12.0 * n, Ops.byName("dropout_backward").bytes(n));
        assertEquals(8.0 * n + 4.0 * n / Ops.CLASSES, Ops.byName("softmax_cross_entropy").bytes(n), "logits, gradient, labels");
        assertEquals(28.0 * n, Ops.byName("adam").bytes(n), "read w g m v, write w m v");
        assertEquals(20.0 * n, Ops.byName("sgd_momentum").bytes(n), "read w g v, write w v");
        assertEquals("16384x1024", Ops.byName("softmax_cross_entropy").shape(n));
        assertEquals("16M", Ops.byName("act_relu").shape(n));
    }

    @Test
    void quickSizesAreNoLargerThanFullOnes() {
        for (OpDescriptor d : Ops.all()) {
            assertTrue(d.sizes(true).length > 0 && d.sizes(false).length > 0, d.name());
            long maxFull = java.util.Arrays.stream(d.sizes(false)).max().orElseThrow();
            for (long s : d.sizes(true)) {
                assertTrue(s <= maxFull, d.name());
            }
            assertNotNull(d.op(), d.name());
        }
    }

    @Test
    void relativeErrorHasAFloorNearZeroAndTreatsNaNStrictly() {
        assertEquals(0, OpDescriptor.maxRelativeError(new float[] {1, 2}, new float[] {1, 2}));
        assertEquals(0.5, OpDescriptor.maxRelativeError(new float[] {1, 3}, new float[] {1, 2}), 1e-12);
        // Near zero the floor 2^-10 · max|ref| applies: an absolute error of 1e-6 against 1024 is tiny.
        assertTrue(OpDescriptor.maxRelativeError(new float[] {1024, 1e-6f}, new float[] {1024, 0}) < 1e-6);
        assertEquals(Double.POSITIVE_INFINITY, OpDescriptor.maxRelativeError(new float[] {Float.NaN}, new float[] {1}));
        assertEquals(0, OpDescriptor.maxRelativeError(new float[] {Float.NaN}, new float[] {Float.NaN}));
        assertEquals(Double.POSITIVE_INFINITY, OpDescriptor.maxRelativeError(new float[] {1}, new float[] {1, 2}));
    }

    @Test
    void selectTakesNamesFamiliesAndPrefixes() {
        assertEquals(List.of(Ops.byName("matmul"), Ops.byName("matmul_skinny"), Ops.byName("matmul_bf16"),
                Ops.byName("matmul_fp16")), OpDescriptor.select(Ops.all(), "matmul"));
        assertEquals(20, OpDescriptor.select(Ops.all(), Ops.HALF_PRECISION).size(),
                "bf16 and fp16 rows: 3 activations × 2 + the mixed-precision Adam step + matmul + dropout × 2, each");
        assertEquals(6, OpDescriptor.select(Ops.all(), "dropout").size(), "forward, backward, and each in bf16 and fp16");
        assertEquals(2 * Ops.ACTIVATIONS.size(), OpDescriptor.select(Ops.all(), "activation").size());
        assertEquals(6, OpDescriptor.select(Ops.all(), "act_relu").size(), "forward, backward, and each in bf16 and fp16");
        assertEquals(Ops.all(), OpDescriptor.select(Ops.all(), null));
    }

    @Test
    void backwardRowsGiveEveryBackendTheSameSavedForwardPass() {
        // Backends differ in the last bits of a forward pass; the backward rows must not inherit that difference
        // (ReLU's mask flips where z is within rounding of 0; 1 − y² amplifies y's last bits), so the saved state
        // comes from the host in float64 and is the same whichever backend runs the row.
        try (Backend cpu = Engine.open("cpu")) {
            float[] x = Ops.uniform(1000, 7, -4, 4);
            for (Activation a : List.of(Activation.TANH, Activation.SIGMOID, Activation.elu(1f))) {
                try (Ops.ActivationInstance inst = new Ops.ActivationInstance(cpu, a, 1000, 7, true)) {
                    float[] saved = inst.ty.toArray();
                    for (int i = 0; i < x.length; i++) {
                        assertEquals((float) Ops.ActivationInstance.value64(a, x[i]), saved[i], a + " y[" + i + "]");
                    }
                }
            }
            try (Ops.LinearInstance a = new Ops.LinearInstance(cpu, 8, 33, 17, 5, true);
                 Ops.LinearInstance b = new Ops.LinearInstance(cpu, 8, 33, 17, 5, true)) {
                float[] z = a.forward.preActivation().toArray();
                assertTrue(java.util.Arrays.equals(z, b.forward.preActivation().toArray()));
                for (int i = 0; i < 8; i++) {
                    for (int j = 0; j < 17; j++) {
                        double s = a.bias[j];
                        for (int p = 0; p < 33; p++) {
                            s += (double) a.x[i * 33 + p] * a.w[p * 17 + j];
                        }
                        assertEquals((float) s, z[i * 17 + j], "z[" + i + "][" + j + "]");
                        assertEquals(Math.max((float) s, 0f), a.forward.output().toArray()[i * 17 + j]);
                    }
                }
            }
        }
    }
}
