package dev.kengine.opencl;

import java.util.List;

/**
 * The launch shape of the elementwise and row kernels, chosen from a small table as the matmul
 * parameters are ({@link MatmulTuning}): vendor, then device type, then device name, then the
 * default. Two shapes exist (see the launch geometry section of common.h):
 *
 * <ul>
 *   <li><b>one per work-item</b>: one element per work-item, the global size covering the tensor,
 *       the whole work-groups launched without an index test and the last one apart, 32-bit indices
 *       where the launch allows them; row kernels run one small work-group per row whose column loop
 *       carries a barrier, so that every region between barriers is a straight loop over the
 *       work-items. This is what a CPU runtime vectorises: PoCL compiles a work-group into a loop
 *       over its work-items and hands that loop to LLVM's loop vectoriser, which vectorises innermost
 *       loops only, so a loop inside each work-item (a grid stride, a column loop) keeps it scalar.
 *       Where a work-item must own several elements (dropout's Philox blocks, a softmax
 *       cross-entropy row, a GEMM tile) the kernel is written in explicit 16-lane vectors instead,
 *       which that vectoriser leaves alone and LLVM compiles as written; the float32 activations
 *       are written so too (sixteen elements per work-item over whole blocks, the per-element
 *       kernel over the rest), since PoCL's vectoriser widens the per-element form to 8 lanes only
 *       and the explicit form compiles to 512-bit instructions;</li>
 *   <li><b>grid stride</b>: a capped number of work-groups looping over the tensor with 64-bit
 *       indices, and one work-group of {@code wg} per row: what GPUs run well.</li>
 * </ul>
 */
final class LaunchTuning {

    /**
     * A launch shape: {@code onePerItem} as above, {@code wg} work-items per group of the elementwise
     * kernels, {@code rowWg} per group of the row kernels (softmax, cross-entropy, row reductions),
     * whether 32-bit index arithmetic may be used where every index fits, and {@code ownExp}: exp and
     * expm1 as polynomials in plain arithmetic (K_OWN_EXP in dialect_opencl.h) instead of the
     * runtime's, which PoCL calls one element at a time.
     */
    record Params(boolean onePerItem, int wg, int rowWg, boolean index32, boolean ownExp) {}

    /** A row applies to devices of its vendor and name whose kind (GPU or accelerator, or not) matches. */
    private record Row(String vendor, String device, boolean gpu, Params params, String why) {}

    /** GPUs and anything unknown: the grid stride of 256 work-items, unchanged from the first kernels. */
    static final Params GRID_STRIDE = new Params(false, 256, 256, false, false);
    /**
     * CPU devices: PoCL's pthread device on the 2-core AVX-512 EPYC moves 55–70 GB/s with a plain
     * float4 copy, about as much with one element per work-item in groups of 64–4096, and 0.2–1.6 GB/s
     * with the grid stride. Row kernels: softmax cross-entropy at 4096 × 1024 took 21 ms with 16 or 32
     * work-items per row, 26 with 64, 45 with 256 (PoCL runs every step of the work-group's reduction
     * tree as a loop over all its work-items, so a large group pays for its tree on every row); one
     * row per work-item in explicit vectors (k_softmax_xent_rows, what the cross-entropy now runs)
     * took 2.0 ms.
     */
    static final Params ONE_PER_ITEM = new Params(true, 256, 32, true, true);

    private static final List<Row> TABLE = List.of(
            new Row("portable computing language", "", false, ONE_PER_ITEM, "PoCL CPU device"),
            // Other CPU runtimes (Intel's, AMD's old APP SDK) compile work-groups into vectorised loops the same way.
            new Row("", "", false, ONE_PER_ITEM, "CPU device"));

    private LaunchTuning() {}

    static Params choose(DeviceInfo d) {
        for (Row r : TABLE) {
            if (d.matches(r.vendor(), r.device(), r.gpu()) && fits(r.params(), d)) {
                return r.params();
            }
        }
        return GRID_STRIDE;
    }

    static boolean fits(Params p, DeviceInfo d) {
        return Math.max(p.wg(), p.rowWg()) <= d.maxWorkGroupSize();
    }
}
