package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kengine.Conversions;
import dev.kengine.op.Activation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels' half-precision activations, which convert in registers, against the float32 vector kernel
 * on the widened values rounded once by {@link Conversions}, bit for bit: forward over all 65,536 patterns of each
 * half type, backward with every pattern in each input position, for every activation kind (and the parameters that
 * take another path), at an offset and length that leave a tail. The block path ({@link HalfBlocks}, the default of
 * the other kernels) is checked against the same reference. Repeated until the JIT has compiled the loops
 * (interpreted and compiled vector code must agree). Where the reference is NaN, a quiet NaN of any sign and payload
 * is accepted ({@link #quietNaN}).
 */
class HalfActivationSimdTest {
    private static final int N = 1 << 16;
    /** Elements skipped at the start of each array: the kernels start and end off a vector boundary. */
    private static final int OFF = 3;
    private static final int ROUNDS = 16;

    private static List<Activation> activations() {
        List<Activation> all = new ArrayList<>();
        for (Activation.Kind kind : Activation.Kind.values()) {
            switch (kind) {
                case LEAKY_RELU -> {
                    all.add(Activation.leakyRelu(0.01f));
                    all.add(Activation.leakyRelu(0f));
                }
                case ELU -> {
                    all.add(Activation.elu(1f));
                    all.add(Activation.elu(0.5f));
                }
                case SWISH -> {
                    all.add(Activation.swish(1f));
                    all.add(Activation.swish(1.702f));
                    all.add(Activation.swish(0f));
                }
                default -> all.add(new Activation(kind, 0f));
            }
        }
        return all;
    }

    private static float widen(boolean bf, short h) {
        return bf ? Conversions.fromBFloat16(h) : Conversions.fromFloat16(h);
    }

    private static short narrow(boolean bf, float f) {
        return bf ? Conversions.toBFloat16(f) : Conversions.toFloat16(f);
    }

    /** Patterns in an order given by an odd multiplier: every 16-bit pattern once. */
    private static short[] patterns(int multiplier, int add) {
        short[] h = new short[N + 2 * OFF];
        for (int i = 0; i < N; i++) {
            h[OFF + i] = (short) (i * multiplier + add);
        }
        return h;
    }

    private static float[] widened(boolean bf, short[] h) {
        float[] f = new float[h.length];
        for (int i = 0; i < h.length; i++) {
            f[i] = widen(bf, h[i]);
        }
        return f;
    }

    /**
     * Whether h is a quiet NaN. Where the float32 kernel's result is NaN, its sign and payload are not the kernel's
     * to choose: x86 takes them from the first operand that is NaN, and the JIT may swap the operands of a
     * commutative operation, so two compilations of the same float32 kernel can differ there (seen: swish of a
     * signalling NaN came out with either sign). A NaN result must be a quiet NaN in both paths; nothing more.
     */
    private static boolean quietNaN(boolean bf, short h) {
        return bf ? (h & 0x7FC0) == 0x7FC0 : (h & 0x7E00) == 0x7E00;
    }

    private static void check(String what, boolean bf, float[] reference, short[] got, short[][] inputs) {
        for (int i = OFF; i < OFF + N - 1; i++) {
            short want = narrow(bf, reference[i]);
            if (want != got[i] && !(Float.isNaN(reference[i]) && quietNaN(bf, got[i]))) {
                StringBuilder in = new StringBuilder();
                for (short[] a : inputs) {
                    in.append(' ').append(Integer.toHexString(a[i] & 0xFFFF));
                }
                fail((bf ? "bf16 " : "fp16 ") + what + " of" + in + ": want " + Integer.toHexString(want & 0xFFFF)
                        + " (from float " + reference[i] + "), got " + Integer.toHexString(got[i] & 0xFFFF));
            }
        }
    }

    @Test
    void forwardAndBackwardMatchTheFloat32KernelRoundedOnce() {
        Elementwise k = SimdSelection.VECTOR;
        assumeTrue(k != null, "no Vector API here: " + SimdSelection.DESCRIPTION);
        int n = N - 1; // not a whole number of vectors
        for (int round = 0; round < ROUNDS; round++) {
            for (boolean bf : new boolean[] {true, false}) {
                short[] all = patterns(1, 0);
                float[] wideAll = widened(bf, all);
                for (Activation act : activations()) {
                    Activation.Kind kind = act.kind();
                    float p = act.parameter();
                    // Forward: every pattern.
                    float[] ref = new float[all.length];
                    k.activation(kind, p, wideAll, OFF, ref, OFF, n);
                    short[] y = new short[all.length];
                    k.halfActivation(bf, kind, p, all, OFF, y, OFF, n);
                    check(act + " forward", bf, ref, y, new short[][] {all});
                    short[] blocks = new short[all.length];
                    HalfBlocks.activation(k, bf, kind, p, all, OFF, blocks, OFF, n);
                    check(act + " forward (blocks)", bf, ref, blocks, new short[][] {all});

                    // Backward, x over every pattern with its own forward y and dy in another order; then dy over
                    // every pattern with x and y in two more orders (y need not be act(x) for the kernels).
                    short[][][] cases = {
                        {patterns(40503, 7), all, y},
                        {all, patterns(2047, 12345), patterns(30001, 999)},
                    };
                    for (short[][] c : cases) {
                        short[] dy = c[0];
                        short[] x = c[1];
                        short[] yy = c[2];
                        float[] refDx = new float[all.length];
                        k.activationBackward(kind, p, widened(bf, dy), widened(bf, x), widened(bf, yy), refDx, OFF, OFF + n);
                        short[] dx = new short[all.length];
                        k.halfActivationBackward(bf, kind, p, dy, x, yy, dx, OFF, OFF + n);
                        check(act + " backward (dy x y)", bf, refDx, dx, c);
                        short[] dxBlocks = new short[all.length];
                        HalfBlocks.activationBackward(k, bf, kind, p, dy, x, yy, dxBlocks, OFF, OFF + n);
                        check(act + " backward (dy x y; blocks)", bf, refDx, dxBlocks, c);
                    }
                }
            }
        }
    }
}
