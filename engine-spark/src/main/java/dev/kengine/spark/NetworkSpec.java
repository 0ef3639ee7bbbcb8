package dev.kengine.spark;

import dev.kengine.DType;
import dev.kengine.op.Activation;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;

/**
 * The shape of a multi-layer perceptron: {@code inputs}, then dense layers of {@code units[l]} each,
 * the last one the class scores (identity activation), the others with the hidden activation. The
 * parameters are laid out flat, W0, b0, W1, b1, ..., each W row-major {@code [in, out]}.
 *
 * @param inputs     number of features
 * @param units      units of every layer, the last one the number of classes
 * @param activation the hidden layers' activation, as {@link Activation#parse} reads it
 * @param precision  dtype of the forward and backward passes (float32, bfloat16 or float16)
 */
public record NetworkSpec(int inputs, int[] units, String activation, DType precision) implements Serializable {
    public NetworkSpec {
        if (inputs < 1) {
            throw new IllegalArgumentException("the network needs at least one input, got " + inputs);
        }
        if (units.length < 1) {
            throw new IllegalArgumentException("the network needs at least one layer");
        }
        for (int u : units) {
            if (u < 1) {
                throw new IllegalArgumentException("every layer needs at least one unit, got " + Arrays.toString(units));
            }
        }
        units = units.clone();
        long count = 0;
        for (int l = 0; l < units.length; l++) {
            count += (long) (l == 0 ? inputs : units[l - 1]) * units[l] + units[l];
        }
        if (count > MAX_PARAMETERS) {
            throw new IllegalArgumentException("the network " + inputs + "-" + Arrays.stream(units).mapToObj(Integer::toString)
                    .reduce((a, b) -> a + "-" + b).orElse("") + " has " + count + " parameters; its flat vector holds at most "
                    + MAX_PARAMETERS + " (fewer features or units, or numClasses set where the labels are sparse)");
        }
        activation = activation.trim().toLowerCase(Locale.ROOT);
        PlainMath.check(activation);
    }

    /**
     * The units of every layer, inputs first.
     *
     * @return a copy (the spec is immutable: a model's weight offsets follow from it)
     */
    @Override
    public int[] units() {
        return units.clone();
    }

    /** The most parameters the flat float vector (one Java array, broadcast each step) can hold. */
    public static final long MAX_PARAMETERS = Integer.MAX_VALUE - 8;

    /** Number of layers. */
    public int layers() {
        return units.length;
    }

    /** Number of classes: the last layer's units. */
    public int classes() {
        return units[units.length - 1];
    }

    /** Inputs of layer {@code l}. */
    public int in(int l) {
        return l == 0 ? inputs : units[l - 1];
    }

    /** Outputs of layer {@code l}. */
    public int out(int l) {
        return units[l];
    }

    /** Offset of W_l in the flat parameter vector. */
    public int weightOffset(int l) {
        int o = 0;
        for (int i = 0; i < l; i++) {
            o += in(i) * out(i) + out(i);
        }
        return o;
    }

    /** Offset of b_l in the flat parameter vector. */
    public int biasOffset(int l) {
        return weightOffset(l) + in(l) * out(l);
    }

    /** Number of parameters (floats). */
    public int parameterCount() {
        return weightOffset(units.length);
    }

    /** The activation of layer {@code l}: the hidden activation, identity for the output layer. */
    public Activation activationOf(int l) {
        return l == units.length - 1 ? Activation.IDENTITY : Activation.parse(activation);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkSpec s && s.inputs == inputs && Arrays.equals(s.units, units)
                && s.activation.equals(activation) && s.precision == precision;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(units) * 31 + inputs;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder().append(inputs);
        for (int u : units) {
            b.append('-').append(u);
        }
        return b.append(' ').append(activation).append(' ').append(precision.name().toLowerCase(Locale.ROOT)).toString();
    }
}
