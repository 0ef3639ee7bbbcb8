package dev.kengine.cpu;

import java.lang.System.Logger.Level;

/**
 * Chooses, once per JVM, between the Vector API kernels and the scalar ones. The Vector API is an
 * incubator module that must be added explicitly ({@code --add-modules jdk.incubator.vector}); when
 * it is absent, no class of {@code dev.kengine.cpu.simd} is even loaded, so the backend still runs.
 */
final class SimdSelection {
    private static final System.Logger LOG = System.getLogger(SimdSelection.class.getName());
    private static final String MODULE = "jdk.incubator.vector";

    /** The vector kernels, or null when they cannot or should not be used here. */
    static final Elementwise VECTOR;
    /** Why: the vector shape, or "scalar: reason". */
    static final String DESCRIPTION;

    static {
        Elementwise chosen = null;
        String description;
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            description = "scalar: module " + MODULE + " is not in the boot layer (run with --add-modules " + MODULE + ")";
        } else if (!hardwareFma()) {
            // Without the instruction the Vector API's fma falls back to Math.fma, which the JDK then computes
            // with BigDecimal: the vector kernels (every exponential, every polynomial) would run about a
            // thousand times slower than the scalar ones. Seen with -XX:UseAVX=0 on this machine.
            description = "scalar: this CPU (or the JVM's view of it: -XX:-UseFMA) has no fused multiply-add";
        } else {
            try {
                chosen = loadVectorKernels();
                description = chosen != null ? chosen.description()
                        : "scalar: preferred vectors hold only " + preferredLanes() + " floats (fewer than 4)";
            } catch (LinkageError e) {
                chosen = null;
                description = "scalar: the Vector API failed to load (" + e + ")";
            }
        }
        VECTOR = chosen;
        DESCRIPTION = description;
        // Falling back to the scalar kernels costs several times the speed: said once, as a warning.
        LOG.log(chosen == null ? Level.WARNING : Level.DEBUG, "kengine cpu: elementwise kernels use {0}", DESCRIPTION);
    }

    private SimdSelection() {}

    /**
     * Whether HotSpot uses a hardware fused multiply-add (its UseFMA flag, which it sets from the CPU's
     * features). Another VM, or a runtime without jdk.management, is taken to have one.
     */
    static boolean hardwareFma() {
        try {
            var bean = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean == null || !"false".equals(bean.getVMOption("UseFMA").getValue());
        } catch (RuntimeException | LinkageError e) {
            return true;
        }
    }

    // Kept in their own methods so the simd classes are resolved only after the module check.
    private static Elementwise loadVectorKernels() {
        return dev.kengine.cpu.simd.VectorElementwise.create();
    }

    private static int preferredLanes() {
        return dev.kengine.cpu.simd.VectorElementwise.preferredLanes();
    }

    /**
     * The kernels for a backend opened with {@code simd} on or off; {@code tiered} wraps the vector kernels so that
     * each runs only once compiled ({@link TieredElementwise}).
     */
    static Elementwise kernels(boolean simd, boolean tiered) {
        if (!simd || VECTOR == null) {
            return ScalarElementwise.INSTANCE;
        }
        return tiered ? new TieredElementwise(VECTOR, ScalarElementwise.INSTANCE) : VECTOR;
    }
}
