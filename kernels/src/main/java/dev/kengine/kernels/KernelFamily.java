package dev.kengine.kernels;

import java.util.Locale;

/** The kernel source files, one family of related kernels each. */
public enum KernelFamily {
    ELEMENTWISE, REDUCE, ACTIVATIONS, SOFTMAX, LOSSES, DROPOUT, INIT, OPTIM, MATMUL;

    /** The resource file name, such as {@code matmul.cl}. */
    public String fileName() {
        return name().toLowerCase(Locale.ROOT) + ".cl";
    }

    /** The short name used in program names and cache keys, such as {@code matmul}. */
    public String shortName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
