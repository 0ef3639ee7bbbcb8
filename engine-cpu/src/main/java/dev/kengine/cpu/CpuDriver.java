package dev.kengine.cpu;

import dev.kengine.DType;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.cpu.gemm.GemmOperand;
import dev.kengine.cpu.gemm.Sgemm;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Loss;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import dev.kengine.random.CounterRandom;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.Capabilities;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The CPU backend: tensors are {@code float[]}, ops run synchronously on the calling thread and
 * the backend's {@link Parallel} workers. Elementwise work is split into ranges of about
 * {@value #GRAIN} elements aligned to whole vectors; the arithmetic itself is in an
 * {@link Elementwise} (Vector API or scalar) and, for matmul, in {@link Sgemm}.
 *
 * <p>Every sum over many elements is taken over fixed blocks of {@value #SUM_BLOCK} elements, each
 * accumulated in double, and the block sums are added in order, so a result never depends on the
 * number of threads.
 */
public final class CpuDriver implements BackendDriver {
    /** Elements per thread range below which handing work to another thread costs more than it saves. */
    static final int GRAIN = 1 << 16;
    /** Elements per partial sum; a fixed size keeps sums independent of the thread count. */
    static final int SUM_BLOCK = 1 << 14;
    /** The largest Java array the JVM reliably allocates. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private final String name;
    private final Capabilities capabilities;
    private final Parallel parallel;
    private final Elementwise kernels;
    private final boolean simd;
    /** Whether each vector kernel runs only once compiled ({@link Warmup}). */
    private final boolean tiered;
    private volatile boolean closed;
    /** Arrays of closed tensors, for the next allocation of the same size. */
    private final ArrayPool pool = ArrayPool.forHeap();

    CpuDriver(String name, Capabilities capabilities, int threads, boolean simd, boolean tiered) {
        this.name = name;
        this.capabilities = capabilities;
        this.parallel = new Parallel(threads);
        this.kernels = SimdSelection.kernels(simd, tiered);
        this.simd = kernels != ScalarElementwise.INSTANCE;
        this.tiered = kernels instanceof TieredElementwise;
        if (this.tiered) {
            Warmup.backendOpened();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    /** Whether this instance runs the Vector API kernels. */
    public boolean simd() {
        return simd;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            parallel.close();
            pool.close();
            if (tiered) {
                Warmup.backendClosed();
            }
        }
    }

    private static float[] data(Storage s) {
        return ((CpuStorage) s).data;
    }

    // =====================================================================================
    // Memory
    // =====================================================================================

    @Override
    public Storage allocate(long elements) {
        return allocate(elements, DType.FLOAT32);
    }

    @Override
    public Storage allocate(long elements, DType dtype) {
        int width = dtype.byteSize();
        long bytes = elements > Long.MAX_VALUE / width ? Long.MAX_VALUE : elements * width;
        if (elements > MAX_ELEMENTS) {
            throw new DeviceOutOfMemoryException("cpu: cannot allocate " + elements + " elements of " + dtype
                    + "; a CPU tensor holds at most " + MAX_ELEMENTS + " elements (one Java array)", bytes, null);
        }
        try {
            return pool.allocate(dtype, (int) elements);
        } catch (OutOfMemoryError e) {
            throw new DeviceOutOfMemoryException("cpu: the Java heap has no room for " + elements + " elements of " + dtype
                    + " (" + bytes + " bytes; max heap " + Runtime.getRuntime().maxMemory()
                    + " bytes); free tensors or raise -Xmx", bytes, e);
        }
    }

    // Unaligned access accepts every segment: heap arrays of any type, native, and ByteBuffer-backed.
    @Override
    public void write(Storage dst, long dstOffset, MemorySegment src, long count) {
        CpuStorage d = (CpuStorage) dst;
        if (d.data != null) {
            MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, d.data, (int) dstOffset, (int) count);
        } else {
            long w = d.dtype.byteSize();
            MemorySegment.copy(src, 0, heap(d), dstOffset * w, count * w);
        }
    }

    @Override
    public void read(Storage src, long srcOffset, MemorySegment dst, long count) {
        CpuStorage s = (CpuStorage) src;
        if (s.data != null) {
            MemorySegment.copy(s.data, (int) srcOffset, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, (int) count);
        } else {
            long w = s.dtype.byteSize();
            MemorySegment.copy(heap(s), srcOffset * w, dst, 0, count * w);
        }
    }

    private static MemorySegment heap(CpuStorage s) {
        return switch (s.dtype) {
            case FLOAT32 -> MemorySegment.ofArray(s.data);
            case FLOAT16, BFLOAT16 -> MemorySegment.ofArray(s.shorts());
            case INT32 -> MemorySegment.ofArray(s.ints());
            case UINT8 -> MemorySegment.ofArray(s.bytes());
        };
    }

    // =====================================================================================
    // Basics
    // =====================================================================================

    @Override
    public void fill(Storage x, long n, float value) {
        float[] a = data(x);
        parallel.forRange(n, GRAIN, 16, (s, e) -> Arrays.fill(a, (int) s, (int) e, value));
    }

    @Override
    public void copy(Storage src, Storage dst, long n) {
        Object a = ((CpuStorage) src).array;
        Object b = ((CpuStorage) dst).array;
        parallel.forRange(n, GRAIN, 64, (s, e) -> System.arraycopy(a, (int) s, b, (int) s, (int) (e - s)));
    }

    @Override
    public void fillBits(Storage x, DType dtype, long n, int bits) {
        CpuStorage c = (CpuStorage) x;
        parallel.forRange(n, GRAIN, 64, (s, e) -> {
            switch (dtype) {
                case FLOAT32 -> Arrays.fill(c.data, (int) s, (int) e, Float.intBitsToFloat(bits));
                case FLOAT16, BFLOAT16 -> Arrays.fill(c.shorts(), (int) s, (int) e, (short) bits);
                case INT32 -> Arrays.fill(c.ints(), (int) s, (int) e, bits);
                case UINT8 -> Arrays.fill(c.bytes(), (int) s, (int) e, (byte) bits);
            }
        });
    }

    @Override
    public void cast(Storage src, DType from, Storage dst, DType to, long n) {
        CpuStorage a = (CpuStorage) src;
        CpuStorage b = (CpuStorage) dst;
        if (from == DType.FLOAT32 && to.isHalf()) {
            boolean bf = to == DType.BFLOAT16;
            parallel.forRange(n, GRAIN, 64, (s, e) -> kernels.narrow(bf, a.data, (int) s, b.shorts(), (int) s, (int) (e - s)));
        } else if (from.isHalf() && to == DType.FLOAT32) {
            boolean bf = from == DType.BFLOAT16;
            parallel.forRange(n, GRAIN, 64, (s, e) -> kernels.widen(bf, a.shorts(), (int) s, b.data, (int) s, (int) (e - s)));
        } else {
            parallel.forRange(n, GRAIN, 64, (s, e) -> Casts.cast(a, b, (int) s, (int) e));
        }
    }

    @Override
    public void binary(Binary op, Storage a, Storage b, Storage out, long rows, long cols, boolean broadcastRow) {
        CpuStorage ca = (CpuStorage) a;
        if (ca.dtype.isHalf()) {
            binaryHalf(op, ca, (CpuStorage) b, (CpuStorage) out, rows, cols, broadcastRow);
            return;
        }
        float[] x = data(a);
        float[] y = data(b);
        float[] z = data(out);
        if (broadcastRow) {
            int c = (int) cols;
            parallel.forRange(rows, rowGrain(cols), 1, (r0, r1) -> {
                for (long r = r0; r < r1; r++) {
                    int off = (int) (r * c);
                    kernels.binary(op, x, off, y, 0, z, off, c);
                }
            });
        } else {
            parallel.forRange(rows * cols, GRAIN, kernels.lanes(),
                    (s, e) -> kernels.binary(op, x, (int) s, y, (int) s, z, (int) s, (int) (e - s)));
        }
    }

    /**
     * Half-precision a, b and out: the kernels' half-precision binary op (bfloat16 converted in registers, float16
     * through blocks in L1), the bits of the float32 op on the widened values rounded once; against a broadcast row,
     * the row widened once and each row's blocks widened into L1.
     */
    private void binaryHalf(Binary op, CpuStorage a, CpuStorage b, CpuStorage out, long rows, long cols, boolean broadcastRow) {
        boolean bf = a.dtype == DType.BFLOAT16;
        short[] x = a.shorts();
        short[] y = b.shorts();
        short[] z = out.shorts();
        if (broadcastRow) {
            int c = (int) cols;
            float[] row = widenInto(b, new float[c]);
            parallel.forRange(rows, rowGrain(cols), 1, (r0, r1) -> {
                float[][] t = HALF_SCRATCH.get().f;
                for (long r = r0; r < r1; r++) {
                    int off = (int) (r * c);
                    for (int j = 0; j < c; j += HALF_BLOCK) {
                        int len = Math.min(HALF_BLOCK, c - j);
                        kernels.widen(bf, x, off + j, t[0], 0, len);
                        kernels.binary(op, t[0], 0, row, j, t[2], 0, len);
                        kernels.narrow(bf, t[2], 0, z, off + j, len);
                    }
                }
            });
            return;
        }
        parallel.forRange(rows * cols, GRAIN, 64,
                (from, to) -> kernels.halfBinary(op, bf, x, (int) from, y, (int) from, z, (int) from, (int) (to - from)));
    }

    @Override
    public void scale(Storage x, float s, Storage out, long n) {
        CpuStorage cx = (CpuStorage) x;
        if (cx.dtype.isHalf()) {
            boolean bf = cx.dtype == DType.BFLOAT16;
            short[] a = cx.shorts();
            short[] b = ((CpuStorage) out).shorts();
            parallel.forRange(n, GRAIN, 64,
                    (from, to) -> kernels.halfScale(s, bf, a, (int) from, b, (int) from, (int) (to - from)));
            return;
        }
        float[] a = data(x);
        float[] b = data(out);
        parallel.forRange(n, GRAIN, kernels.lanes(), (from, to) -> kernels.scale(s, a, (int) from, b, (int) from, (int) (to - from)));
    }

    @Override
    public void axpy(float alpha, Storage x, Storage y, long n) {
        float[] a = data(x);
        float[] b = data(y);
        parallel.forRange(n, GRAIN, kernels.lanes(), (from, to) -> kernels.axpy(alpha, a, (int) from, b, (int) from, (int) (to - from)));
    }

    // =====================================================================================
    // Reductions
    // =====================================================================================

    /** A sum over [from, to), accumulated in double. */
    @FunctionalInterface
    private interface RangeSum {
        double sum(int from, int to);
    }

    /** Σ over [base, base + n) as the in-order sum of fixed-block sums, on this thread. */
    private static double blockedSum(RangeSum f, int base, int n) {
        double total = 0;
        for (int b = 0; b < n; b += SUM_BLOCK) {
            total += f.sum(base + b, base + Math.min(n, b + SUM_BLOCK));
        }
        return total;
    }

    /** The same value as {@link #blockedSum} over [0, n), with the blocks spread over the threads. */
    private double parallelBlockedSum(RangeSum f, long n) {
        int blocks = (int) ((n + SUM_BLOCK - 1) / SUM_BLOCK);
        if (blocks <= 1) {
            return n == 0 ? 0 : f.sum(0, (int) n);
        }
        double[] partial = new double[blocks];
        parallel.forRange(blocks, Math.max(1, GRAIN / SUM_BLOCK), 1, (b0, b1) -> {
            for (long b = b0; b < b1; b++) {
                int from = (int) (b * SUM_BLOCK);
                partial[(int) b] = f.sum(from, (int) Math.min(n, from + (long) SUM_BLOCK));
            }
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        return total;
    }

    /** Σ x[from, to) in double with four accumulators for instruction-level parallelism. */
    private static double plainSum(float[] x, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        for (; i < to; i++) {
            s0 += x[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public void reduce(Storage x, Storage out, long outer, long axis, long inner, boolean mean) {
        float[] a = data(x);
        float[] o = data(out);
        if (outer == 0 || inner == 0) {
            return; // the output is empty
        }
        if (axis == 0) {
            Arrays.fill(o, 0, (int) (outer * inner), mean ? Float.NaN : 0f);
            return;
        }
        double divisor = mean ? axis : 1.0;
        RangeSum sum = (from, to) -> plainSum(a, from, to);
        if (inner == 1) {
            if (outer == 1) {
                o[0] = (float) (parallelBlockedSum(sum, axis) / divisor);
                return;
            }
            int len = (int) axis;
            parallel.forRange(outer, Math.max(1, GRAIN / axis), 1, (r0, r1) -> {
                for (long r = r0; r < r1; r++) {
                    o[(int) r] = (float) (blockedSum(sum, (int) (r * len), len) / divisor);
                }
            });
            return;
        }
        // Inner > 1: accumulate whole runs of the inner axis in a double row, streaming x in order.
        int in = (int) inner;
        int ax = (int) axis;
        int chunk = Math.min(in, 1024);
        int chunksPerOuter = (in + chunk - 1) / chunk;
        long tasks = outer * chunksPerOuter;
        parallel.forRange(tasks, Math.max(1, GRAIN / ((long) chunk * ax)), 1, (t0, t1) -> {
            double[] acc = new double[chunk];
            for (long t = t0; t < t1; t++) {
                int ob = (int) (t / chunksPerOuter);
                int j0 = (int) (t % chunksPerOuter) * chunk;
                int len = Math.min(chunk, in - j0);
                Arrays.fill(acc, 0, len, 0.0);
                long base = (long) ob * ax * in + j0;
                for (int k = 0; k < ax; k++) {
                    int row = (int) (base + (long) k * in);
                    for (int j = 0; j < len; j++) {
                        acc[j] += a[row + j];
                    }
                }
                int dst = ob * in + j0;
                for (int j = 0; j < len; j++) {
                    o[dst + j] = (float) (acc[j] / divisor);
                }
            }
        });
    }

    @Override
    public void l2Norm(Storage x, long n, Storage out) {
        float[] a = data(x);
        // Squares of floats in double neither overflow (3.4e38² ≈ 1.2e77) nor underflow (1.4e-45² ≈ 2e-90).
        double sumSquares = parallelBlockedSum((from, to) -> kernels.dot(a, from, a, from, to - from), n);
        data(out)[0] = (float) Math.sqrt(sumSquares);
    }

    @Override
    public void max(Storage x, Storage out, long rows, long cols) {
        float[] a = data(x);
        float[] o = data(out);
        int c = (int) cols;
        parallel.forRange(rows, rowGrain(cols), 1, (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                o[(int) r] = kernels.max(a, (int) (r * c), c);
            }
        });
    }

    @Override
    public void argmax(Storage x, int[] out, long rows, long cols) {
        float[] a = data(x);
        int c = (int) cols;
        parallel.forRange(rows, rowGrain(cols), 1, (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                int off = (int) (r * c);
                int best = -1;
                float bestValue = 0f;
                for (int j = 0; j < c; j++) {
                    float v = a[off + j];
                    if (v != v) {
                        best = j;
                        break;
                    }
                    if (best < 0 || v > bestValue) {
                        best = j;
                        bestValue = v;
                    }
                }
                out[(int) r] = best;
            }
        });
    }

    /** Rows per thread range so a range holds about {@link #GRAIN} elements. */
    private static long rowGrain(long cols) {
        return Math.max(1, GRAIN / Math.max(1, cols));
    }

    // =====================================================================================
    // Matmul and linear
    // =====================================================================================

    @Override
    public void matmul(Storage a, boolean transA, Storage b, boolean transB, Storage c,
                       long batch, long m, long n, long k, float alpha, float beta,
                       long strideA, long strideB, long strideC) {
        CpuStorage ca = (CpuStorage) a;
        CpuStorage cb = (CpuStorage) b;
        CpuStorage cc = (CpuStorage) c;
        if (ca.dtype.isHalf() || cb.dtype.isHalf() || cc.dtype.isHalf()) {
            // Half-precision operands are widened to float32 by the SGEMM's packers as they pack them (exact: the
            // same panels, the same bits, as multiplying float32 copies), the float32 SGEMM accumulates in float32,
            // and a half-precision c is kept in reused float32 scratch and rounded once, a block at a time as the
            // SGEMM finishes it (on the thread that computed it, while it is in that core's cache).
            float[] fc = cc.dtype.isHalf()
                    ? (beta != 0f ? widenInto(cc, matmulScratch((int) cc.size())) : matmulScratch((int) cc.size()))
                    : cc.data;
            Sgemm.Finished round = null;
            if (cc.dtype.isHalf()) {
                boolean bf = cc.dtype == DType.BFLOAT16;
                short[] out = cc.shorts();
                round = (off, rows, cols, ldc) -> {
                    for (int i = 0; i < rows; i++) {
                        kernels.narrow(bf, fc, off + i * ldc, out, off + i * ldc, cols);
                    }
                };
            }
            int half = ca.dtype == DType.BFLOAT16 || cb.dtype == DType.BFLOAT16 ? GemmCall.BFLOAT16
                    : ca.dtype == DType.FLOAT16 || cb.dtype == DType.FLOAT16 ? GemmCall.FLOAT16 : GemmCall.FLOAT32;
            Sgemm.sgemmBatched(parallel, vectorGemm(transA, transB, batch, m, n, k, beta, half), transA, transB, (int) batch,
                    (int) m, (int) n, (int) k, alpha, operand(ca), 0, strideA, operand(cb), 0, strideB, beta, fc, 0,
                    strideC, round);
            return;
        }
        Sgemm.sgemmBatched(parallel, vectorGemm(transA, transB, batch, m, n, k, beta, GemmCall.FLOAT32), transA, transB,
                (int) batch, (int) m, (int) n, (int) k, alpha, data(a), 0, strideA, data(b), 0, strideB, beta, data(c), 0,
                strideC);
    }

    /** A matmul operand as the SGEMM's packers read it: float32, or half-precision bits widened as they are packed. */
    private static GemmOperand operand(CpuStorage s) {
        if (!s.dtype.isHalf()) {
            return GemmOperand.of(s.data);
        }
        return s.dtype == DType.BFLOAT16 ? GemmOperand.bfloat16(s.shorts()) : GemmOperand.float16(s.shorts());
    }

    /** A product's first call, for {@link Warmup}: the probe is built on the warm-up thread. */
    private record GemmCall(int key, boolean transA, boolean transB, long m, long n, long k, float beta, int half)
            implements Warmup.Request {
        /** The operands' element type ({@code half}): float32, or half-precision operands of either type. */
        static final int FLOAT32 = 0;
        static final int BFLOAT16 = 1;
        static final int FLOAT16 = 2;

        @Override
        public Warmup.Probe build() {
            long[] d = {m, n, k};
            // Shrunk by the product's size with k at least 1: a k of 0 would leave m·n whole (a probe C as large as
            // the caller's).
            while (d[0] * d[1] * Math.max(1, d[2]) > (1L << 21)) {
                int largest = d[0] >= d[1] && d[0] >= d[2] ? 0 : d[1] >= d[2] ? 1 : 2;
                d[largest] = (d[largest] + 1) / 2;
            }
            int pm = (int) d[0];
            int pn = (int) d[1];
            int pk = (int) d[2];
            // Half-precision operands are probed as such: their packers (which widen) are then compiled too.
            GemmOperand pa = probeOperand(half, pm * pk);
            GemmOperand pb = probeOperand(half, pk * pn);
            float[] pc = new float[pm * pn];
            Runnable vector = () -> Sgemm.sgemmBatched(null, true, transA, transB, 1, pm, pn, pk, 1f, pa, 0, 0, pb, 0, 0,
                    beta, pc, 0, 0);
            Runnable scalar = () -> Sgemm.sgemmBatched(null, false, transA, transB, 1, pm, pn, pk, 1f, pa, 0, 0, pb, 0, 0,
                    beta, pc, 0, 0);
            // The small calls, which run while the JIT has not compiled the kernels (the first ones interpreted, at
            // tens of milliseconds each), have fewer rows: n and k choose the path, and rows kept congruent modulo
            // 16 take the same row tiles and edges. Wider or deeper ones could take other paths and leave profiles
            // that the real calls pay for.
            int sm = Math.min(pm, 16 + pm % 16);
            Runnable vectorSmall = () -> Sgemm.sgemmBatched(null, true, transA, transB, 1, sm, pn, pk, 1f, pa, 0, 0, pb, 0, 0,
                    beta, pc, 0, 0);
            Runnable scalarSmall = () -> Sgemm.sgemmBatched(null, false, transA, transB, 1, sm, pn, pk, 1f, pa, 0, 0, pb, 0, 0,
                    beta, pc, 0, 0);
            return new Warmup.Probe(key, "matmul " + pm + "x" + pn + "x" + pk, (long) pm * pn * pk, vector, scalar,
                    vectorSmall, scalarSmall, null);
        }

        /**
         * A matmul probe cost 0.1–1.9 s of the warm-up thread on the 2-vCPU EPYC (the first one most: it also has
         * C2 compile the packers and the Vector API's own methods), so the products are probed once their scalar
         * SGEMM has run about a second.
         */
        @Override
        public long costNanos() {
            return java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
        }
    }

    private static GemmOperand probeOperand(int half, int n) {
        return half == GemmCall.FLOAT32 ? GemmOperand.of(TieredElementwise.values(n, -1f, 1f))
                : half == GemmCall.BFLOAT16 ? GemmOperand.bfloat16(TieredElementwise.halfValues(true, n, -1f, 1f))
                : GemmOperand.float16(TieredElementwise.halfValues(false, n, -1f, 1f));
    }

    /**
     * Whether this product runs the vector SGEMM: always with {@code simd=true}; when tiered, once {@link Warmup} has
     * seen the vector SGEMM compiled for its transposes, β = 0 or not, operand type (float32, bfloat16 or float16:
     * the packers differ) and size class. Its probe multiplies
     * matrices of the same shape on one thread, halved along the largest dimension while above 2²¹ multiply-adds.
     */
    private boolean vectorGemm(boolean transA, boolean transB, long batch, long m, long n, long k, float beta, int half) {
        if (!tiered) {
            return simd;
        }
        int variant = (transA ? 1 : 0) + (transB ? 2 : 0) + (beta == 0f ? 4 : 0) + 8 * half;
        int key = Warmup.key(TieredElementwise.MATMUL, variant, m * n * k);
        if (Warmup.vector(key)) {
            return true;
        }
        if (Warmup.state(key) == Warmup.COLD && Warmup.claim(key)) {
            Warmup.submit(new GemmCall(key, transA, transB, m, n, k, beta == 0f ? 0f : 1f, half));
        }
        Warmup.waited(key, batch * m * n * k);
        return false;
    }

    /**
     * Per calling thread, a float array for a half-precision matmul's c, kept between calls (so a training loop does
     * not allocate and zero it every step) behind a soft reference the collector may clear.
     */
    private static final ThreadLocal<java.lang.ref.SoftReference<float[]>> MATMUL_SCRATCH = new ThreadLocal<>();

    private static float[] matmulScratch(int size) {
        return scratch(MATMUL_SCRATCH, size);
    }

    /** The calling thread's array in {@code slot}, of at least {@code size} floats: the kept one, or a new one kept. */
    private static float[] scratch(ThreadLocal<java.lang.ref.SoftReference<float[]>> slot, int size) {
        java.lang.ref.SoftReference<float[]> ref = slot.get();
        float[] s = ref == null ? null : ref.get();
        if (s == null || s.length < size) {
            s = new float[size];
            slot.set(new java.lang.ref.SoftReference<>(s));
        }
        return s;
    }

    /** The storage's values as floats: its own array for float32, else widened into {@code dst}. */
    private float[] widenInto(CpuStorage s, float[] dst) {
        if (!s.dtype.isHalf()) {
            return s.data;
        }
        boolean bf = s.dtype == DType.BFLOAT16;
        short[] src = s.shorts();
        parallel.forRange(s.size(), GRAIN, 64, (a, e) -> kernels.widen(bf, src, (int) a, dst, (int) a, (int) (e - a)));
        return dst;
    }

    /**
     * The product into z, then one pass per row that adds the bias and applies the activation. In half precision the
     * product goes to float32 scratch, each row gets the bias and the activation in float32 and z and y are rounded
     * once: the bits of the float32 layer on the widened values, then rounding.
     */
    @Override
    public void linear(Storage x, Storage w, Storage bias, Storage z, Storage y,
                       long rows, long in, long out, Activation act) {
        CpuStorage cz = (CpuStorage) z;
        if (cz.dtype.isHalf()) {
            linearHalf(x, w, bias, cz, (CpuStorage) y, rows, in, out, act);
            return;
        }
        matmul(x, false, w, false, z, 1, rows, out, in, 1f, 0f, 0, 0, 0);
        float[] zs = data(z);
        float[] ys = data(y);
        float[] bs = bias == null ? null : data(bias);
        int cols = (int) out;
        Activation.Kind kind = act.kind();
        float p = act.parameter();
        parallel.forRange(rows, rowGrain(cols), 1, (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                int off = (int) (r * cols);
                kernels.biasActivation(kind, p, zs, off, bs, ys, off, cols);
            }
        });
    }

    private void linearHalf(Storage x, Storage w, Storage bias, CpuStorage z, CpuStorage y, long rows, long in, long out,
                            Activation act) {
        int cols = (int) out;
        float[] fz = layerScratch((int) (rows * out));
        matmul(x, false, w, false, new CpuStorage(fz), 1, rows, out, in, 1f, 0f, 0, 0, 0);
        float[] fb = bias == null ? null : widenInto((CpuStorage) bias, new float[cols]);
        boolean bf = z.dtype == DType.BFLOAT16;
        short[] zs = z.shorts();
        short[] ys = y.shorts();
        Activation.Kind kind = act.kind();
        float p = act.parameter();
        parallel.forRange(rows, rowGrain(cols), 1, (r0, r1) -> {
            float[] row = new float[cols];
            for (long r = r0; r < r1; r++) {
                int off = (int) (r * cols);
                kernels.biasActivation(kind, p, fz, off, fb, row, 0, cols);
                kernels.narrow(bf, fz, off, zs, off, cols);
                kernels.narrow(bf, row, 0, ys, off, cols);
            }
        });
    }

    /**
     * From dy: dz = act'(z) ⊙ dy, dx = dz·wᵀ, dw = xᵀ·dz, db = Σ_rows dz. In half precision dz is computed in float32
     * from the widened dy, z and y (blocks in L1) and kept in float32 scratch, the products read it and the half
     * operands as they pack them, and dx, dw and db are rounded once: the bits of the float32 pass on the widened
     * values, then rounding. In float32, the interface's composition.
     */
    @Override
    public void linearBackward(Storage dy, Storage x, Storage w, Storage z, Storage y,
                               Storage dx, Storage dw, Storage db, long rows, long in, long out, Activation act) {
        CpuStorage cdy = (CpuStorage) dy;
        if (!cdy.dtype.isHalf()) {
            BackendDriver.super.linearBackward(dy, x, w, z, y, dx, dw, db, rows, in, out, act);
            return;
        }
        long n = rows * out;
        float[] dz = layerScratch((int) n);
        boolean bf = cdy.dtype == DType.BFLOAT16;
        short[] g = cdy.shorts();
        short[] zs = ((CpuStorage) z).shorts();
        short[] ys = ((CpuStorage) y).shorts();
        Activation.Kind kind = act.kind();
        float p = act.parameter();
        parallel.forRange(n, GRAIN, 64, (from, to) -> {
            float[][] t = HALF_SCRATCH.get().f;
            for (long b = from; b < to; b += HALF_BLOCK) {
                int s = (int) b;
                int len = (int) Math.min(HALF_BLOCK, to - b);
                kernels.widen(bf, g, s, t[0], 0, len);
                kernels.widen(bf, zs, s, t[1], 0, len);
                kernels.widen(bf, ys, s, t[2], 0, len);
                kernels.activationBackward(kind, p, t[0], t[1], t[2], t[3], 0, len);
                System.arraycopy(t[3], 0, dz, s, len);
            }
        });
        CpuStorage sdz = new CpuStorage(dz);
        if (dx != null) {
            matmul(sdz, false, w, true, dx, 1, rows, in, out, 1f, 0f, 0, 0, 0);
        }
        matmul(x, true, sdz, false, dw, 1, in, out, rows, 1f, 0f, 0, 0, 0);
        if (db != null) {
            CpuStorage cdb = (CpuStorage) db;
            float[] fdb = new float[(int) out];
            reduce(sdz, new CpuStorage(fdb), 1, rows, out, false);
            kernels.narrow(cdb.dtype == DType.BFLOAT16, fdb, 0, cdb.shorts(), 0, (int) out);
        }
    }

    /**
     * Elements per block where half-precision operands are widened into L1 scratch: a multiple of the vector
     * kernels' Philox block (dropout), and four float arrays of it within L1 without falling on the same 4 KB sets.
     */
    private static final int HALF_BLOCK = 512;

    /** A thread's L1 scratch for the half-precision paths: float blocks, and a block of a UINT8 mask. */
    private static final class HalfScratch {
        final float[][] f = new float[4][HALF_BLOCK];
        final byte[] bytes = new byte[HALF_BLOCK];
    }

    private static final ThreadLocal<HalfScratch> HALF_SCRATCH = ThreadLocal.withInitial(HalfScratch::new);

    /**
     * Per calling thread, a float array for a half-precision layer's product or dz (the matmul's own scratch is in use
     * meanwhile for a half-precision result), kept between calls behind a soft reference the collector may clear.
     */
    private static final ThreadLocal<java.lang.ref.SoftReference<float[]>> LAYER_SCRATCH = new ThreadLocal<>();

    private static float[] layerScratch(int size) {
        return scratch(LAYER_SCRATCH, size);
    }

    // =====================================================================================
    // Activations
    // =====================================================================================

    @Override
    public void activation(Activation act, Storage x, Storage y, long n) {
        CpuStorage cx = (CpuStorage) x;
        if (cx.dtype.isHalf()) {
            // Half precision: computed in float32, rounded once (the vector kernels convert in registers).
            boolean bf = cx.dtype == DType.BFLOAT16;
            short[] a = cx.shorts();
            short[] b = ((CpuStorage) y).shorts();
            Activation.Kind kind = act.kind();
            float p = act.parameter();
            parallel.forRange(n, GRAIN, kernels.lanes(),
                    (s, e) -> kernels.halfActivation(bf, kind, p, a, (int) s, b, (int) s, (int) (e - s)));
            return;
        }
        float[] a = data(x);
        float[] b = data(y);
        Activation.Kind kind = act.kind();
        float p = act.parameter();
        parallel.forRange(n, GRAIN, kernels.lanes(),
                (s, e) -> kernels.activation(kind, p, a, (int) s, b, (int) s, (int) (e - s)));
    }

    @Override
    public void activationBackward(Activation act, Storage dy, Storage x, Storage y, Storage dx, long n) {
        CpuStorage cdy = (CpuStorage) dy;
        if (cdy.dtype.isHalf()) {
            boolean bf = cdy.dtype == DType.BFLOAT16;
            short[] g = cdy.shorts();
            short[] a = ((CpuStorage) x).shorts();
            short[] b = ((CpuStorage) y).shorts();
            short[] d = ((CpuStorage) dx).shorts();
            Activation.Kind kind = act.kind();
            float p = act.parameter();
            parallel.forRange(n, GRAIN, kernels.lanes(),
                    (s, e) -> kernels.halfActivationBackward(bf, kind, p, g, a, b, d, (int) s, (int) e));
            return;
        }
        float[] g = data(dy);
        float[] a = data(x);
        float[] b = data(y);
        float[] d = data(dx);
        Activation.Kind kind = act.kind();
        float p = act.parameter();
        parallel.forRange(n, GRAIN, kernels.lanes(),
                (s, e) -> kernels.activationBackward(kind, p, g, a, b, d, (int) s, (int) e));
    }

    @Override
    public void prelu(Storage x, Storage alpha, Storage y, long outer, long channels, long inner) {
        float[] a = data(x);
        float[] al = data(alpha);
        float[] b = data(y);
        int ch = (int) channels;
        int in = (int) inner;
        // PReLU of channel c is leaky ReLU with slope alpha[c]: one run of `inner` elements per (outer, channel).
        parallel.forRange(outer * channels, rowGrain(inner), 1, (t0, t1) -> {
            for (long t = t0; t < t1; t++) {
                int off = (int) (t * in);
                kernels.activation(Activation.Kind.LEAKY_RELU, al[(int) (t % ch)], a, off, b, off, in);
            }
        });
    }

    @Override
    public void preluBackward(Storage dy, Storage x, Storage alpha, Storage dx, Storage dAlpha,
                              long outer, long channels, long inner) {
        float[] g = data(dy);
        float[] a = data(x);
        float[] al = data(alpha);
        float[] d = data(dx);
        float[] da = data(dAlpha);
        int ch = (int) channels;
        int in = (int) inner;
        parallel.forRange(outer * channels, rowGrain(inner), 1, (t0, t1) -> {
            for (long t = t0; t < t1; t++) {
                int off = (int) (t * in);
                kernels.activationBackward(Activation.Kind.LEAKY_RELU, al[(int) (t % ch)], g, a, a, d, off, off + in);
            }
        });
        // Σ dy·x over x ≤ 0 (and over NaN x, so NaN propagates into the gradient).
        RangeSum negativePart = (from, to) -> {
            double s = 0;
            for (int i = from; i < to; i++) {
                float v = a[i];
                if (!(v > 0f)) {
                    s += (double) g[i] * v;
                }
            }
            return s;
        };
        if (outer * channels == 1) {
            da[0] = (float) parallelBlockedSum(negativePart, inner);
            return;
        }
        parallel.forRange(channels, 1, 1, (c0, c1) -> {
            for (long c = c0; c < c1; c++) {
                double s = 0;
                for (long o = 0; o < outer; o++) {
                    s += blockedSum(negativePart, (int) ((o * ch + c) * in), in);
                }
                da[(int) c] = (float) s;
            }
        });
    }

    @Override
    public void softmax(Storage x, Storage y, long rows, long cols, boolean log) {
        float[] a = data(x);
        float[] b = data(y);
        int c = (int) cols;
        parallel.forRange(rows, rowGrain(cols), 1, (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                int off = (int) (r * c);
                float m = kernels.max(a, off, c);
                if (log) {
                    double s = kernels.expSum(a, off, m, null, 0, c);
                    kernels.subtractTwice(a, off, m, (float) Math.log(s), b, off, c);
                } else {
                    double s = kernels.expSum(a, off, m, b, off, c);
                    kernels.scale((float) (1.0 / s), b, off, b, off, c);
                }
            }
        });
    }

    @Override
    public void softmaxBackward(Storage dy, Storage y, Storage dx, long rows, long cols, boolean log) {
        float[] g = data(dy);
        float[] b = data(y);
        float[] d = data(dx);
        int c = (int) cols;
        parallel.forRange(rows, rowGrain(cols), 1, (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                int off = (int) (r * c);
                double s = log ? plainSum(g, off, off + c) : kernels.dot(g, off, b, off, c);
                kernels.softmaxGradient(log, (float) s, g, b, d, off, c);
            }
        });
    }

    // =====================================================================================
    // Losses
    // =====================================================================================

    @Override
    public void loss(Loss loss, Reduction reduction, Storage pred, Storage target, Storage lossOut, Storage grad, long n) {
        float[] p = data(pred);
        float[] t = data(target);
        float[] g = grad == null ? null : data(grad);
        boolean mean = reduction == Reduction.MEAN;
        float gradScale = mean ? (float) (1.0 / n) : 1f;
        Loss.Kind kind = loss.kind();
        float delta = loss.delta();
        RangeSum partial = (from, to) -> kernels.loss(kind, delta, p, t, g, gradScale, from, to);
        double total;
        if (lossOut == null) {
            parallel.forRange(n, GRAIN, kernels.lanes(), (s, e) -> partial.sum((int) s, (int) e));
            return;
        }
        total = parallelBlockedSum(partial, n);
        data(lossOut)[0] = (float) (mean ? total / n : total);
    }

    @Override
    public void softmaxCrossEntropy(Storage logits, int[] labels, Storage targets, Reduction reduction,
                                    Storage lossOut, Storage grad, long rows, long cols) {
        CpuStorage cl = (CpuStorage) logits;
        if (cl.dtype.isHalf()) {
            // Half precision: the logits (and targets) widened into float32 scratch, the float32 rows there, the
            // gradient kept in float32 and rounded once; the loss is float32. The bits of the float32 op on the
            // widened values.
            int n = (int) (rows * cols);
            float[] fx = widenInto(cl, layerScratch(n));
            CpuStorage ft = targets == null ? null : new CpuStorage(widenInto((CpuStorage) targets, new float[n]));
            CpuStorage cg = (CpuStorage) grad;
            float[] fg = grad == null ? null : matmulScratch(n);
            softmaxCrossEntropy(new CpuStorage(fx), labels, ft, reduction, lossOut, fg == null ? null : new CpuStorage(fg),
                    rows, cols);
            if (cg != null) {
                boolean bf = cg.dtype == DType.BFLOAT16;
                short[] out = cg.shorts();
                parallel.forRange(n, GRAIN, 64, (a, e) -> kernels.narrow(bf, fg, (int) a, out, (int) a, (int) (e - a)));
            }
            return;
        }
        float[] x = data(logits);
        float[] t = targets == null ? null : data(targets);
        float[] g = grad == null ? null : data(grad);
        boolean mean = reduction == Reduction.MEAN;
        double gradScale = mean ? 1.0 / rows : 1.0;
        int c = (int) cols;
        double[] rowLoss = lossOut == null ? null : new double[(int) rows];
        if (labels != null) {
            // One call per range, so the kernel can pipeline rows: the next row's max is read from memory while
            // this row's exponentials are computed from L1 (see ELEMENTWISE-NOTES.md, softmax CE pipelined).
            parallel.forRange(rows, rowGrain(cols), 1, (r0, r1) ->
                    kernels.softmaxCrossEntropyLabelRows(x, labels, g, gradScale, rowLoss, (int) r0, (int) r1, c));
            if (rowLoss != null) {
                double total = 0;
                for (double v : rowLoss) {
                    total += v;
                }
                data(lossOut)[0] = (float) (mean ? total / rows : total);
            }
            return;
        }
        parallel.forRange(rows, rowGrain(cols), 1, (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                int off = (int) (r * c);
                float m = kernels.max(x, off, c);
                float atLabel = labels != null ? x[off + labels[(int) r]] : 0f;
                // With labels and a gradient, exp(x − max) is stored into it while summing and scaled in place
                // afterwards (the row is in L1 by then): one exponential per element, the same bits
                // as exp(x − max)·factor in one step.
                double s = kernels.expSum(x, off, m, labels != null ? g : null, off, c);
                double logSum = Math.log(s);
                if (labels != null) {
                    int label = labels[(int) r];
                    if (rowLoss != null) {
                        rowLoss[(int) r] = ((double) m - atLabel) + logSum;
                    }
                    if (g != null) {
                        // softmax(x)·scale = exp(x − max)·(scale / Σ), then minus scale at the label.
                        kernels.scale((float) (gradScale / s), g, off, g, off, c);
                        g[off + label] -= (float) gradScale;
                    }
                } else {
                    double targetSum = 0;
                    double loss = 0;
                    for (int j = off; j < off + c; j++) {
                        targetSum += t[j];
                        if (t[j] != 0) { // a class with no target mass adds nothing, a masked one's −∞ logit included
                            loss += t[j] * (((double) m - x[j]) + logSum);
                        }
                    }
                    if (rowLoss != null) {
                        rowLoss[(int) r] = loss;
                    }
                    if (g != null) {
                        kernels.expScaled(x, off, m, (float) (gradScale * targetSum / s), g, off, c);
                        kernels.axpy((float) -gradScale, t, off, g, off, c);
                    }
                }
            }
        });
        if (rowLoss != null) {
            double total = 0;
            for (double v : rowLoss) {
                total += v;
            }
            data(lossOut)[0] = (float) (mean ? total / rows : total);
        }
    }

    // =====================================================================================
    // Dropout and initialisation
    // =====================================================================================

    @Override
    public boolean finiteChecks() {
        return true;
    }

    /** Each tensor in turn, stopping at the first that holds a ±∞ or NaN. */
    @Override
    public boolean allFinite(Storage[] tensors, DType[] dtypes, long[] sizes) {
        for (int i = 0; i < tensors.length; i++) {
            if (!allFinite(tensors[i], dtypes[i], sizes[i])) {
                return false;
            }
        }
        return true;
    }

    /** One read of the data (half types tested on their bits, unconverted); a range stops at its first ±∞ or NaN. */
    private boolean allFinite(Storage x, DType dtype, long n) {
        CpuStorage c = (CpuStorage) x;
        java.util.concurrent.atomic.AtomicBoolean finite = new java.util.concurrent.atomic.AtomicBoolean(true);
        if (dtype == DType.FLOAT32) {
            float[] a = c.data;
            parallel.forRange(n, GRAIN, 64, (from, to) -> {
                if (finite.get() && !kernels.allFinite(a, (int) from, (int) (to - from))) {
                    finite.set(false);
                }
            });
        } else {
            boolean bf16 = dtype == DType.BFLOAT16;
            short[] h = c.shorts();
            parallel.forRange(n, GRAIN, 64, (from, to) -> {
                if (finite.get() && !kernels.allFiniteHalf(bf16, h, (int) from, (int) (to - from))) {
                    finite.set(false);
                }
            });
        }
        return finite.get();
    }

    @Override
    public boolean byteMasks() {
        return true;
    }

    @Override
    public void dropout(Storage x, Storage y, Storage mask, long n, float p, long seed, long offset) {
        CpuStorage cx = (CpuStorage) x;
        CpuStorage cy = (CpuStorage) y;
        CpuStorage cm = (CpuStorage) mask;
        float scale = CounterRandom.dropoutScale(p);
        boolean bytes = cm.dtype == DType.UINT8;
        // Ranges start at multiples of 64 so each Philox block (four elements) is drawn once and the
        // vector kernels (64 elements a block with 512-bit vectors) need no scalar head.
        if (cx.dtype == DType.FLOAT32) {
            float[] a = cx.data;
            float[] b = cy.data;
            if (bytes) {
                byte[] mk = cm.bytes();
                parallel.forRange(n, GRAIN, 64,
                        (from, to) -> kernels.dropoutBytes(a, b, mk, p, scale, seed, offset, 0L, (int) from, (int) to));
            } else {
                float[] mk = cm.data;
                parallel.forRange(n, GRAIN, 64,
                        (from, to) -> kernels.dropout(a, b, mk, p, scale, seed, offset, 0L, (int) from, (int) to));
            }
            return;
        }
        // Half-precision x and y: the same bits as float32 dropout on the widened x followed by rounding
        // (Elementwise.halfDropout).
        boolean bf16 = cx.dtype == DType.BFLOAT16;
        short[] xs = cx.shorts();
        short[] ys = cy.shorts();
        float[] fm = bytes ? null : cm.data;
        byte[] bm = bytes ? cm.bytes() : null;
        parallel.forRange(n, GRAIN, 64, (from, to) -> kernels.halfDropout(bf16, xs, ys, fm, bm, p, scale, seed, offset,
                (int) from, (int) to));
    }

    @Override
    public void dropoutBackward(Storage dy, Storage mask, Storage dx, long n, float p) {
        CpuStorage cdy = (CpuStorage) dy;
        CpuStorage cm = (CpuStorage) mask;
        CpuStorage cdx = (CpuStorage) dx;
        float scale = CounterRandom.dropoutScale(p);
        boolean bytes = cm.dtype == DType.UINT8;
        if (cdy.dtype == DType.FLOAT32) {
            float[] g = cdy.data;
            float[] d = cdx.data;
            if (bytes) {
                byte[] mk = cm.bytes();
                parallel.forRange(n, GRAIN, 64, (from, to) -> kernels.dropoutBackwardBytes(scale, g, mk, d, (int) from, (int) to));
            } else {
                float[] mk = cm.data;
                parallel.forRange(n, GRAIN, 64, (from, to) -> kernels.dropoutBackward(scale, g, mk, d, (int) from, (int) to));
            }
            return;
        }
        boolean bf16 = cdy.dtype == DType.BFLOAT16;
        short[] gs = cdy.shorts();
        short[] ds = cdx.shorts();
        parallel.forRange(n, GRAIN, 64, (from, to) -> {
            HalfScratch h = HALF_SCRATCH.get();
            float[][] t = h.f;
            for (long b = from; b < to; b += HALF_BLOCK) {
                int s = (int) b;
                int len = (int) Math.min(HALF_BLOCK, to - b);
                kernels.widen(bf16, gs, s, t[0], 0, len);
                if (bytes) {
                    System.arraycopy(cm.bytes(), s, h.bytes, 0, len);
                    kernels.dropoutBackwardBytes(scale, t[0], h.bytes, t[1], 0, len);
                } else {
                    System.arraycopy(cm.data, s, t[2], 0, len);
                    kernels.dropoutBackward(scale, t[0], t[2], t[1], 0, len);
                }
                kernels.narrow(bf16, t[1], 0, ds, s, len);
            }
        });
    }


    @Override
    public void initUniform(Storage x, long n, long seed, long offset, double lo, double hi) {
        float[] a = data(x);
        parallel.forRange(n, GRAIN, 64, (from, to) -> kernels.initUniform(a, seed, offset, lo, hi, (int) from, (int) to));
    }

    @Override
    public void initNormal(Storage x, long n, long seed, long offset, double mean, double std) {
        float[] a = data(x);
        parallel.forRange(n, GRAIN / 4, 64, (from, to) -> kernels.initNormal(a, seed, offset, mean, std, (int) from, (int) to));
    }

    // =====================================================================================
    // Optimisers
    // =====================================================================================

    @Override
    public void sgdStep(Storage w, Storage g, Storage velocity, long n, SgdConfig config) {
        float[] ws = data(w);
        float[] gs = data(g);
        float[] vs = config.momentum() == 0f || velocity == null ? null : data(velocity);
        parallel.forRange(n, GRAIN, kernels.lanes(), (s, e) -> kernels.sgd(ws, gs, (int) s, vs, config.learningRate(),
                config.momentum(), config.nesterov(), config.l2(), config.l1(), (int) s, (int) e));
    }

    @Override
    public void sgdStep(Storage w, Storage g, DType gradType, Storage velocity, long n, SgdConfig config,
                        Storage halfWeights, DType halfType) {
        // One loop: the gradient widened and the copy rounded in registers.
        float[] ws = data(w);
        float[] vs = config.momentum() == 0f || velocity == null ? null : data(velocity);
        short[] gh = gradType.isHalf() ? ((CpuStorage) g).shorts() : null;
        float[] gf = gh == null ? data(g) : null;
        short[] out = halfWeights == null ? null : ((CpuStorage) halfWeights).shorts();
        boolean gBf16 = gradType == DType.BFLOAT16;
        boolean outBf16 = halfType == DType.BFLOAT16;
        parallel.forRange(n, GRAIN, kernels.lanes(), (s, e) -> kernels.sgdHalf(ws, gf, gh, gBf16, (int) s, vs,
                config.learningRate(), config.momentum(), config.nesterov(), config.l2(), config.l1(), out, outBf16,
                (int) s, (int) e));
    }

    @Override
    public void adamStep(Storage w, Storage g, DType gradType, Storage m, Storage v, long n, AdamConfig config,
                         long step, Storage halfWeights, DType halfType) {
        float[] ws = data(w);
        float[] ms = data(m);
        float[] vs = data(v);
        float c1 = (float) (1.0 / config.biasCorrection1(step));
        float c2 = (float) (1.0 / config.biasCorrection2(step));
        // One loop: the gradient widened and the copy rounded in registers.
        short[] gh = gradType.isHalf() ? ((CpuStorage) g).shorts() : null;
        float[] gf = gh == null ? data(g) : null;
        short[] out = halfWeights == null ? null : ((CpuStorage) halfWeights).shorts();
        boolean gBf16 = gradType == DType.BFLOAT16;
        boolean outBf16 = halfType == DType.BFLOAT16;
        parallel.forRange(n, GRAIN, kernels.lanes(), (s, e) -> kernels.adamHalf(ws, gf, gh, gBf16, (int) s, ms, vs,
                config.learningRate(), config.beta1(), config.beta2(), config.epsilon(), config.weightDecay(),
                config.decoupled(), c1, c2, out, outBf16, (int) s, (int) e));
    }

    @Override
    public void adamStep(Storage w, Storage g, Storage m, Storage v, long n, AdamConfig config, long step) {
        float[] ws = data(w);
        float[] gs = data(g);
        float[] ms = data(m);
        float[] vs = data(v);
        float c1 = (float) (1.0 / config.biasCorrection1(step));
        float c2 = (float) (1.0 / config.biasCorrection2(step));
        parallel.forRange(n, GRAIN, kernels.lanes(), (s, e) -> kernels.adam(ws, gs, (int) s, ms, vs, config.learningRate(),
                config.beta1(), config.beta2(), config.epsilon(), config.weightDecay(), config.decoupled(), c1, c2,
                (int) s, (int) e));
    }

    @Override
    public void penalty(Storage w, long n, float l1, float l2, Storage out) {
        float[] a = data(w);
        double absSum = parallelBlockedSum((from, to) -> {
            double s = 0;
            for (int i = from; i < to; i++) {
                s += Math.abs(a[i]);
            }
            return s;
        }, n);
        double squareSum = parallelBlockedSum((from, to) -> kernels.dot(a, from, a, from, to - from), n);
        data(out)[0] = (float) (l1 * absSum + 0.5 * l2 * squareSum);
    }
}
