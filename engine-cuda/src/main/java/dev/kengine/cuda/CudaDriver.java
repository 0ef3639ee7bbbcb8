package dev.kengine.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.kengine.BackendUnavailableException;
import dev.kengine.DType;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.EngineException;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Loss;
import dev.kengine.op.Op;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import dev.kengine.random.CounterRandom;
import dev.kengine.kernels.KernelSource;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.Capabilities;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * The CUDA driver: the device's primary context, one stream of its own, the ahead-of-time kernels
 * ({@link CudaKernels}). Ops enqueue kernels on the stream and return; the host waits only in
 * {@link #read}, {@link #argmax} (which returns host data) and {@link #synchronize}. Transfers go
 * through a pinned staging buffer in two halves, so filling one overlaps the copy of the other.
 * Shared kernels are launched exactly as the OpenCL driver launches them (same arguments, blocks
 * of the text's 256-wide work-groups, grid-stride caps, fixed partial counts for deterministic
 * sums); the CUDA-specific kernels replace them where they are faster. Temporary buffers are
 * per-driver slots reused in stream order, so no op waits to free one.
 */
final class CudaDriver implements BackendDriver {
    /** Work-group size the shared kernel text is built with (its *_WG defaults). */
    private static final int WG = 256;
    /** Threads of the block-per-row kernels that hold the row in registers. */
    private static final int ROW_BLOCK = 1024;
    /** Work-groups of the first stage of a two-stage reduction: fixed, so sums are deterministic. */
    private static final int PARTIAL_GROUPS = 64;
    /** Bytes of one kacc (double: every CUDA device has FP64). */
    private static final int ACC_BYTES = 8;
    /** One half of the pinned staging buffer. */
    private static final long STAGING_HALF = 8L << 20;
    /** The largest grid y and z. */
    private static final long GRID_YZ = 65_535;
    private static final int SCRATCH_PARTIAL = 0;
    private static final int SCRATCH_LABELS = 1;
    private static final int SCRATCH_DZ = 2;
    private static final ThreadLocal<CudaContext> BOUND = new ThreadLocal<>();

    private final CudaDevice device;
    private final CudaProvider.Options options;
    private final boolean tf32;
    private final boolean tuned;
    private final Capabilities capabilities;
    private final CudaContext context;
    private final CUstream stream = new CUstream();
    private final CudaKernels.Loaded kernels;
    private final long maxGroups;
    private final Pointer staging = new Pointer();
    private final MemorySegment[] stagingHalves = new MemorySegment[2];
    private final CUevent[] stagingFree = {new CUevent(), new CUevent()};
    private final CUdeviceptr[] scratch = new CUdeviceptr[3];
    private final long[] scratchBytes = new long[3];
    private final CUdeviceptr dummy = new CUdeviceptr();
    /** The tuned cross-entropy kernels' count of finished blocks (kc_finish_partials): 0 between launches. */
    private final CUdeviceptr xentTicket = new CUdeviceptr();
    private volatile boolean closed;

    CudaDriver(CudaDevice device, CudaProvider.Options options) {
        this.device = device;
        this.options = options;
        // TF32 needs the device (8.0 or newer) and a kernel image built for 8.0 or newer: below it kc_tf32gemm is a
        // trap, which would end the context.
        this.tf32 = options.tf32() && device.major() >= 8
                && CudaKernels.manifest().loadedArch(device.major(), device.minor()) >= 80;
        this.tuned = !options.sharedKernelsOnly();
        this.capabilities = capabilitiesOf(device, options);
        this.maxGroups = Math.max(32, 32L * device.multiprocessors());
        this.kernels = new CudaKernels.Loaded(device);
        CudaContext ctx;
        try {
            ctx = new CudaContext(CudaProbe.device(device.index()));
        } catch (EngineException e) {
            throw new BackendUnavailableException("CUDA could not open " + device.label() + ": " + e.getMessage(), e);
        }
        this.context = ctx;
        BOUND.set(ctx);
        // How far the set-up got: a failure frees what was made, in reverse order, before the context goes (the
        // primary context is shared with any other backend open on the device, so nothing is freed with it).
        int made = 0;
        boolean ok = false;
        try {
            CudaErrors.check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "creating a stream");
            made = 1;
            CudaErrors.checkAllocation(cuMemAllocHost(staging, 2 * STAGING_HALF), 2 * STAGING_HALF, "pinned host staging");
            made = 2;
            for (int h = 0; h < 2; h++) {
                stagingHalves[h] = MemorySegment.ofBuffer(staging.getByteBuffer(h * STAGING_HALF, STAGING_HALF));
                CudaErrors.check(cuEventCreate(stagingFree[h], CUevent_flags.CU_EVENT_DISABLE_TIMING), "creating an event");
                made = 3 + h;
            }
            CudaErrors.checkAllocation(cuMemAlloc(dummy, 16), 16, "a placeholder buffer");
            made = 5;
            CudaErrors.checkAllocation(cuMemAlloc(xentTicket, 4), 4, "the cross-entropy's block counter");
            made = 6;
            CudaErrors.check(cuMemsetD32(xentTicket, 0, 1), "clearing the cross-entropy's block counter");
            ok = true;
        } finally {
            if (!ok) {
                if (made >= 6) {
                    cuMemFree(xentTicket);
                }
                if (made >= 5) {
                    cuMemFree(dummy);
                }
                for (int h = Math.min(2, made - 2) - 1; h >= 0; h--) {
                    cuEventDestroy(stagingFree[h]);
                }
                if (made >= 2) {
                    cuMemFreeHost(staging);
                }
                if (made >= 1) {
                    cuStreamDestroy(stream);
                }
                ctx.close();
                BOUND.remove();
            }
        }
    }

    static Capabilities capabilitiesOf(CudaDevice device, CudaProvider.Options options) {
        Set<Op> ops = EnumSet.allOf(Op.class);
        Map<String, String> details = new LinkedHashMap<>(device.details());
        CudaKernels.Manifest m = CudaKernels.manifest();
        details.put("kernels", "fat binaries for sm_" + m.archs().replace(" ", ", sm_") + " + " + m.ptx() + " PTX, nvcc " + m.nvcc());
        if (options.tf32() && device.major() < 8) {
            details.put("precision", "fp32 (tf32 was asked for but needs compute capability 8.0 or newer)");
        } else {
            details.put("precision", options.tf32() ? "tf32 (matmul and linear on tensor cores, TF32 operands, FP32 sums)" : "fp32");
            if (options.tf32()) {
                // TF32 keeps 10 explicit mantissa bits: each operand rounds within 2⁻¹¹, so a product within 2⁻¹⁰. The
                // conformance kit reads this (Tolerances.PRODUCT_ERROR_DETAIL) and widens the matmul rows by it.
                details.put("matmul.productError", Double.toString(0x1p-10));
                details.put("matmul.precision", "tf32");
            }
        }
        details.put("kernel set", options.sharedKernelsOnly() ? "shared (the OpenCL kernel text only)"
                : "tuned (warp-shuffle rows, vectorised activations, double-buffered SGEMM)");
        java.util.Map<Op, java.util.Set<DType>> pairs = Capabilities.storageOpsIn(java.util.EnumSet.allOf(DType.class));
        // Optimiser steps from half-precision gradients, with the half copy of the weights, in one kernel.
        java.util.Set<DType> floats = java.util.EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16);
        pairs.put(Op.SGD_STEP, floats);
        pairs.put(Op.ADAM_STEP, floats);
        return new Capabilities(device.name(), device.memoryBytes(), device.multiprocessors(), java.util.EnumSet.allOf(DType.class), ops, details, pairs);
    }

    @Override
    public String name() {
        return CudaProvider.NAME;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    CudaDevice device() {
        return device;
    }

    boolean usesTf32() {
        return tf32;
    }

    /** Makes this driver's context current on the calling thread (once per thread and context). */
    private void bind() {
        if (closed) {
            throw new IllegalStateException("the CUDA driver is closed");
        }
        if (BOUND.get() != context) {
            context.bind();
            BOUND.set(context);
        }
    }

    // ---- memory ------------------------------------------------------------------------------

    @Override
    public Storage allocate(long elements) {
        return allocate(elements, DType.FLOAT32);
    }

    @Override
    public synchronized Storage allocate(long elements, DType dtype) {
        bind();
        int width = dtype.byteSize();
        if (elements > Long.MAX_VALUE / 8) {
            throw new DeviceOutOfMemoryException("cuda: " + elements + " elements do not fit in a 64-bit byte count", Long.MAX_VALUE, null);
        }
        // Rounded up to 4 bytes, so that a kernel reading whole words never leaves the allocation.
        long bytes = (Math.max(1, elements) * width + 3) & ~3L;
        if (bytes > device.memoryBytes()) {
            throw new DeviceOutOfMemoryException("cuda: " + elements + " elements of " + dtype + " (" + bytes
                    + " bytes) exceed the " + device.memoryBytes() + " bytes of " + device.name(), bytes, null);
        }
        CUdeviceptr p = new CUdeviceptr();
        CudaErrors.checkAllocation(cuMemAlloc(p, bytes), bytes, "device memory on " + device.name());
        return new CudaStorage(p, elements, context, width);
    }

    @Override
    public synchronized void write(Storage dst, long dstOffset, MemorySegment src, long count) {
        bind();
        int width = ((CudaStorage) dst).width;
        long bytes = count * width;
        CUdeviceptr base = ptr(dst);
        int half = 0;
        for (long done = 0; done < bytes; done += STAGING_HALF, half ^= 1) {
            long len = Math.min(STAGING_HALF, bytes - done);
            // The half is free once the copy that last read it has run.
            CudaErrors.check(cuEventSynchronize(stagingFree[half]), "waiting for the staging buffer");
            MemorySegment.copy(src, done, stagingHalves[half], 0, len);
            CudaErrors.check(cuMemcpyHtoDAsync(base.withByteOffset(dstOffset * width + done), staging.withByteOffset(half * STAGING_HALF),
                    len, stream), "copying " + len + " bytes to the device");
            CudaErrors.check(cuEventRecord(stagingFree[half], stream), "recording an event");
        }
    }

    @Override
    public synchronized void read(Storage src, long srcOffset, MemorySegment dst, long count) {
        bind();
        int width = ((CudaStorage) src).width;
        long bytes = count * width;
        CUdeviceptr base = ptr(src);
        for (long done = 0; done < bytes; done += STAGING_HALF) {
            long len = Math.min(STAGING_HALF, bytes - done);
            CudaErrors.check(cuMemcpyDtoHAsync(staging, base.withByteOffset(srcOffset * width + done), len, stream),
                    "copying " + len + " bytes from the device");
            sync("reading " + len + " bytes");
            MemorySegment.copy(stagingHalves[0], 0, dst, done, len);
        }
    }

    /** Waits for the stream; an error of any kernel enqueued before surfaces here. */
    private void sync(String doing) {
        CudaErrors.check(cuStreamSynchronize(stream), doing + " (waiting for the stream)");
    }

    @Override
    public synchronized void synchronize() {
        if (closed) {
            return;
        }
        bind();
        sync("synchronizing");
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (BOUND.get() != context) {
            context.bind();
            BOUND.set(context);
        }
        cuStreamSynchronize(stream);
        closed = true;
        for (int i = 0; i < scratch.length; i++) {
            if (scratch[i] != null) {
                cuMemFree(scratch[i]);
                scratch[i] = null;
            }
        }
        cuMemFree(dummy);
        cuMemFree(xentTicket);
        for (CUevent e : stagingFree) {
            cuEventDestroy(e);
        }
        cuMemFreeHost(staging);
        kernels.unloadAll();
        cuStreamDestroy(stream);
        context.close();
        BOUND.remove();
    }

    /** A temporary device buffer of at least {@code bytes}, reused in stream order by later ops. */
    private CUdeviceptr scratch(int slot, long bytes) {
        bytes = Math.max(256, bytes);
        if (scratchBytes[slot] < bytes) {
            if (scratch[slot] != null) {
                sync("growing a scratch buffer"); // an enqueued kernel may still use the old one
                cuMemFree(scratch[slot]);
                scratch[slot] = null;
                scratchBytes[slot] = 0;
            }
            long size = Math.max(bytes, 1L << 16);
            CUdeviceptr p = new CUdeviceptr();
            CudaErrors.checkAllocation(cuMemAlloc(p, size), size, "scratch memory");
            scratch[slot] = p;
            scratchBytes[slot] = size;
        }
        return scratch[slot];
    }

    /** Uploads ints through the staging buffer into a scratch slot. */
    private CUdeviceptr uploadInts(int slot, int[] values, long count) {
        long bytes = count * 4;
        CUdeviceptr dst = scratch(slot, bytes);
        write(new CudaStorage(dst, count, context), 0, MemorySegment.ofArray(values), count);
        return dst;
    }

    // ---- launches -----------------------------------------------------------------------------

    private CUfunction kernel(String name) {
        return kernels.function(name);
    }

    private synchronized void launchGrid(String kernel, long gx, long gy, long gz, int bx, int by, Object... args) {
        // CUDA grids hold at most 2^31 − 1 blocks in x and 65,535 in y and z. Checked before the launch, so a shape
        // beyond them is a clear error and never a failed launch (matmul rows map to y: about 4.19 M rows at most).
        if (gx > Integer.MAX_VALUE || gy > 65_535 || gz > 65_535) {
            throw new dev.kengine.InvalidArgumentException(kernel + ": a grid of " + gx + " x " + gy + " x " + gz
                    + " blocks exceeds CUDA's limits (2^31-1 x 65535 x 65535); the shape is too large for the CUDA backend");
        }
        bind();
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof CudaStorage s) {
                params[i] = Pointer.to(s.ptr);
            } else if (a instanceof CUdeviceptr p) {
                params[i] = Pointer.to(p);
            } else if (a instanceof Integer v) {
                params[i] = Pointer.to(new int[] {v});
            } else if (a instanceof Long v) {
                params[i] = Pointer.to(new long[] {v});
            } else if (a instanceof Float v) {
                params[i] = Pointer.to(new float[] {v});
            } else if (a instanceof Double v) {
                params[i] = Pointer.to(new double[] {v});
            } else if (a instanceof Boolean v) {
                params[i] = Pointer.to(new int[] {v ? 1 : 0});
            } else {
                throw new IllegalArgumentException("kernel argument " + i + " of type " + a);
            }
        }
        int r = cuLaunchKernel(kernel(kernel), (int) gx, (int) gy, (int) gz, bx, by, 1, 0, stream, Pointer.to(params), null);
        if (r != CUresult.CUDA_SUCCESS) {
            throw CudaErrors.translate(r, "launching " + kernel + " on a grid of " + gx + "x" + gy + "x" + gz
                    + " blocks of " + bx + "x" + by, 0);
        }
    }

    /** A grid-stride launch over {@code work} items: at most maxGroups blocks of 256. */
    private void launch(String kernel, long work, Object... args) {
        long groups = Math.max(1, Math.min(maxGroups, (work + WG - 1) / WG));
        launchGrid(kernel, groups, 1, 1, WG, 1, args);
    }

    /** Exactly {@code groups} blocks of 256 (row kernels and reduction stages). */
    private void launchGroups(String kernel, long groups, Object... args) {
        launchGrid(kernel, groups, 1, 1, WG, 1, args);
    }

    private static long rowGroups(long rows) {
        return Math.max(1, Math.min(rows, 65_536));
    }

    /** Blocks for the one-warp-per-row kernels: 8 rows per block of 256, strided beyond. */
    private static long warpRowBlocks(long rows) {
        return Math.max(1, Math.min((rows + 7) / 8, 1L << 20));
    }

    /** A softmax cross-entropy launch: the kernel, its blocks of {@code threads}, and the partial losses it writes. */
    record XentLaunch(String kernel, long blocks, int threads, long partials) {}

    /**
     * The softmax cross-entropy's kernel for a shape: the shared kernel (a loss per row) untuned; with
     * labels, a warp per row up to 256 columns, a block per row in registers up to 8192 (128 threads
     * up to 1024 columns, 16 blocks an SM; else 1024, 2), and longer rows streamed twice by one
     * 1024-thread block an SM (the rows in flight stay within L2 for the second read); with targets,
     * a warp per row up to 1024 columns, else a block per row. Each tuned kernel writes a partial per
     * block. A pure function of the shape and the device, so that a test can check every kernel it
     * names against the fat binaries' manifest on a machine without a GPU.
     */
    static XentLaunch xentLaunch(boolean tuned, boolean labels, long rows, long cols, int multiprocessors, long maxGroups) {
        if (!tuned) {
            return new XentLaunch("k_softmax_xent", rowGroups(rows), WG, rows);
        }
        if (labels && cols <= 256) {
            long blocks = Math.min(warpRowBlocks(rows), maxGroups);
            return new XentLaunch("kc_xent_w" + valuesPerLane(cols), blocks, WG, blocks);
        }
        if (labels && cols <= 8L * ROW_BLOCK) {
            int threads = cols <= 1024 ? 128 : ROW_BLOCK;
            long blocks = Math.min(rows, (long) (2048 / threads) * multiprocessors);
            return new XentLaunch("kc_xent_rows" + valuesPerThread(cols, threads) + "_" + threads, blocks, threads, blocks);
        }
        // The stream kernel counts columns in 32 bits, stepping by its block: c + ROW_BLOCK must not wrap.
        if (labels && cols <= Integer.MAX_VALUE - ROW_BLOCK) {
            long blocks = Math.min(rows, multiprocessors);
            return new XentLaunch("kc_xent_stream1024", blocks, ROW_BLOCK, blocks);
        }
        if (!labels && cols <= 1024) {
            long blocks = Math.min(warpRowBlocks(rows), maxGroups);
            return new XentLaunch("kc_xent_targets_w" + valuesPerLane(cols), blocks, WG, blocks);
        }
        long blocks = rowGroups(rows);
        return new XentLaunch("kc_xent_block", blocks, WG, blocks);
    }

    /** Values per thread (2 to 8) of the block-per-row kernels for rows of {@code cols} in blocks of {@code threads}. */
    private static int valuesPerThread(long cols, int threads) {
        int v = threads < ROW_BLOCK ? 4 : 2;
        while ((long) threads * v < cols) {
            v <<= 1;
        }
        return v;
    }

    /** Values per lane of the warp-per-row kernels for rows of {@code cols} (cols ≤ 1024). */
    private static int valuesPerLane(long cols) {
        int v = 1;
        while (32L * v < cols) {
            v <<= 1;
        }
        return v;
    }

    private static CUdeviceptr ptr(Storage s) {
        return ((CudaStorage) s).ptr;
    }

    private Object ptrOrDummy(Storage s) {
        return s == null ? dummy : ptr(s);
    }

    private static int partialGroups(long n) {
        return (int) Math.max(1, Math.min(PARTIAL_GROUPS, (n + WG - 1) / WG));
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    // ---- timing (for the benchmarks) ------------------------------------------------------------

    /** GPU milliseconds between two events recorded on this stream around the work {@code body} enqueues. */
    synchronized float elapsedMillis(Runnable body) {
        bind();
        CUevent start = new CUevent();
        CUevent end = new CUevent();
        CudaErrors.check(cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT), "creating an event");
        CudaErrors.check(cuEventCreate(end, CUevent_flags.CU_EVENT_DEFAULT), "creating an event");
        try {
            CudaErrors.check(cuEventRecord(start, stream), "recording an event");
            body.run();
            CudaErrors.check(cuEventRecord(end, stream), "recording an event");
            CudaErrors.check(cuEventSynchronize(end), "waiting for an event");
            float[] ms = {0};
            CudaErrors.check(cuEventElapsedTime(ms, start, end), "reading an event time");
            return ms[0];
        } finally {
            cuEventDestroy(start);
            cuEventDestroy(end);
        }
    }

    /** Names of the modules loaded so far (a test hook). */
    int loadedModules() {
        return kernels.moduleCount();
    }

    // ---- basics ------------------------------------------------------------------------------

    @Override
    public void fill(Storage x, long n, float value) {
        if (n > 0) {
            launch("k_fill", n, ptr(x), n, value);
        }
    }

    @Override
    public synchronized void copy(Storage src, Storage dst, long n) {
        if (n > 0) {
            bind();
            long bytes = n * ((CudaStorage) src).width;
            CudaErrors.check(cuMemcpyDtoDAsync(ptr(dst), ptr(src), bytes, stream), "copying " + bytes + " bytes on the device");
        }
    }

    @Override
    public void fillBits(Storage x, DType dtype, long n, int bits) {
        if (n > 0) {
            String kernel = switch (dtype.byteSize()) {
                case 4 -> "k_fill_u32";
                case 2 -> "k_fill_u16";
                default -> "k_fill_u8";
            };
            launch(kernel, n, ptr(x), n, bits);
        }
    }

    @Override
    public void cast(Storage src, DType from, Storage dst, DType to, long n) {
        if (n > 0) {
            String direct = KernelSource.directCastKernel(from.name(), to.name());
            if (direct != null) {
                launch(direct, n, ptr(src), ptr(dst), n);
                return;
            }
            launch("k_cast", n, ptr(src), from.ordinal(), ptr(dst), to.ordinal(), n);
        }
    }

    @Override
    public void binary(Binary op, Storage a, Storage b, Storage out, long rows, long cols, boolean broadcastRow) {
        long n = rows * cols;
        if (n > 0) {
            launch("k_binary", n, ptr(a), ptr(b), ptr(out), n, cols, op.ordinal(), broadcastRow);
        }
    }

    @Override
    public void scale(Storage x, float s, Storage out, long n) {
        if (n > 0) {
            launch("k_scale", n, ptr(x), s, ptr(out), n);
        }
    }

    @Override
    public void axpy(float alpha, Storage x, Storage y, long n) {
        if (n > 0) {
            launch("k_axpy", n, alpha, ptr(x), ptr(y), n);
        }
    }

    @Override
    public synchronized void reduce(Storage x, Storage out, long outer, long axis, long inner, boolean mean) {
        if (outer * inner == 0) {
            return;
        }
        if (outer == 1 && inner == 1) {
            int groups = partialGroups(axis);
            CUdeviceptr partial = scratch(SCRATCH_PARTIAL, (long) groups * ACC_BYTES);
            launchGroups("k_sum_partial", groups, ptr(x), axis, partial);
            launchGroups("k_sum_finish", 1, partial, groups, mean, axis, ptr(out));
        } else if (inner == 1) {
            launchGroups("k_reduce_rows", rowGroups(outer), ptr(x), ptr(out), outer, axis, mean);
        } else {
            launch("k_reduce_axis", outer * inner, ptr(x), ptr(out), outer, axis, inner, mean);
        }
    }

    @Override
    public synchronized void l2Norm(Storage x, long n, Storage out) {
        int groups = partialGroups(n);
        CUdeviceptr partial = scratch(SCRATCH_PARTIAL, 2L * groups * ACC_BYTES);
        launchGroups(tuned ? "kc_l2_partial" : "k_l2_partial", groups, ptr(x), n, partial);
        launchGroups("k_l2_finish", 1, partial, groups, ptr(out));
    }

    @Override
    public void max(Storage x, Storage out, long rows, long cols) {
        if (rows > 0) {
            launchGroups("k_max_rows", rowGroups(rows), ptr(x), ptr(out), rows, cols);
        }
    }

    @Override
    public boolean finiteChecks() {
        return true;
    }

    /**
     * One kernel per tensor on its raw bits, each setting a shared flag where it finds a ±∞ or NaN, then one read of
     * the flag: the whole list waits once (the kernels of the shared text that PoCL runs in the OpenCL backend).
     */
    @Override
    public synchronized boolean allFinite(Storage[] tensors, DType[] dtypes, long[] sizes) {
        CUdeviceptr flag = scratch(SCRATCH_LABELS, 4);
        launch("k_fill_u32", 1, flag, 1L, 0);
        for (int i = 0; i < tensors.length; i++) {
            long n = sizes[i];
            if (dtypes[i] == DType.FLOAT32) {
                launchGroups("k_nonfinite32", partialGroups(n), ptr(tensors[i]), n, flag);
            } else {
                launchGroups("k_nonfinite16", partialGroups(n), ptr(tensors[i]), n, dtypes[i] == DType.BFLOAT16 ? 0x7F80 : 0x7C00,
                        flag);
            }
        }
        int[] found = new int[1];
        read(new CudaStorage(flag, 1, context), 0, MemorySegment.ofArray(found), 1);
        return found[0] == 0;
    }

    @Override
    public synchronized void argmax(Storage x, int[] out, long rows, long cols) {
        if (rows == 0) {
            return;
        }
        CUdeviceptr indices = scratch(SCRATCH_LABELS, rows * 4);
        launchGroups("k_argmax_rows", rowGroups(rows), ptr(x), indices, rows, cols);
        read(new CudaStorage(indices, rows, context), 0, MemorySegment.ofArray(out), rows);
    }

    // ---- matmul and linear -----------------------------------------------------------------------

    /** Whether the 128 x 128 CUDA kernels take this product: enough tiles to fill the device. */
    private boolean bigTiles(long batch, long m, long n) {
        if (!tuned || ceilDiv(m, 128) > GRID_YZ) {
            return false;
        }
        return tf32 || ceilDiv(m, 128) * ceilDiv(n, 128) * batch >= Math.max(1, device.multiprocessors() / 4);
    }

    @Override
    public synchronized void matmul(Storage a, boolean transA, Storage b, boolean transB, Storage c, long batch, long m, long n,
                                    long k, float alpha, float beta, long strideA, long strideB, long strideC) {
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        CUdeviceptr pa = ptr(a);
        CUdeviceptr pb = ptr(b);
        CUdeviceptr pc = ptr(c);
        boolean big = bigTiles(batch, m, n);
        // The grid's z dimension holds at most 65535 batch entries: larger batches go in slices.
        for (long b0 = 0; b0 < batch; b0 += GRID_YZ) {
            long nb = Math.min(GRID_YZ, batch - b0);
            CUdeviceptr sa = pa.withByteOffset(b0 * strideA * 4);
            CUdeviceptr sb = pb.withByteOffset(b0 * strideB * 4);
            CUdeviceptr sc = pc.withByteOffset(b0 * strideC * 4);
            if (big) {
                String kernel = (tf32 ? "kc_tf32gemm_" : "kc_sgemm_") + (transA ? "t" : "n") + (transB ? "t" : "n");
                boolean vecA = (transA ? m : k) % 4 == 0 && strideA % 4 == 0;
                boolean vecB = (transB ? k : n) % 4 == 0 && strideB % 4 == 0;
                launchGrid(kernel, ceilDiv(n, 128), ceilDiv(m, 128), nb, WG, 1, sa, sb, sc, m, n, k, alpha, beta,
                        strideA, strideB, strideC, vecA, vecB);
            } else {
                // matmul.cl's defaults: 64 x 64 tiles, 16 x 16 work-items.
                launchGrid("k_gemm", ceilDiv(n, 64), ceilDiv(m, 64), nb, 16, 16, sa, transA, sb, transB, sc, m, n, k, alpha, beta,
                        strideA, strideB, strideC);
            }
        }
    }

    @Override
    public synchronized void linear(Storage x, Storage w, Storage bias, Storage z, Storage y, long rows, long in, long out,
                                    Activation act) {
        if (rows == 0 || out == 0) {
            return;
        }
        if (bigTiles(1, rows, out)) {
            // The fast product, then bias and activation in one streaming pass over z.
            matmul(x, false, w, false, z, 1, rows, out, in, 1f, 0f, 0, 0, 0);
            launch("k_bias_activation", rows * out, ptr(z), ptrOrDummy(bias), bias != null, ptr(y), rows * out, out,
                    act.kind().ordinal(), act.parameter());
        } else {
            launchGrid("k_linear", ceilDiv(out, 64), ceilDiv(rows, 64), 1, 16, 16, ptr(x), ptr(w), ptrOrDummy(bias), bias != null,
                    ptr(z), ptr(y), rows, in, out, act.kind().ordinal(), act.parameter());
        }
    }

    @Override
    public synchronized void linearBackward(Storage dy, Storage x, Storage w, Storage z, Storage y, Storage dx, Storage dw,
                                            Storage db, long rows, long in, long out, Activation act) {
        // As the default, without waiting: dz lives in a scratch slot that later ops reuse in stream order.
        Storage dz = new CudaStorage(scratch(SCRATCH_DZ, rows * out * 4), rows * out, context);
        activationBackward(act, dy, z, y, dz, rows * out);
        if (dx != null) {
            matmul(dz, false, w, true, dx, 1, rows, in, out, 1f, 0f, 0, 0, 0);
        }
        matmul(x, true, dz, false, dw, 1, in, out, rows, 1f, 0f, 0, 0, 0);
        if (db != null) {
            reduce(dz, db, 1, rows, out, false);
        }
    }

    // ---- activations ------------------------------------------------------------------------------

    /** Blocks of 256 for the float4 kernels: one float4 per thread per pass, capped like any grid-stride launch. */
    private long vectorGroups(long n) {
        return Math.max(1, Math.min(maxGroups, ceilDiv(ceilDiv(n, 4), WG)));
    }

    @Override
    public void activation(Activation act, Storage x, Storage y, long n) {
        if (n <= 0) {
            return;
        }
        if (tuned) {
            launchGroups("kc_activation4", vectorGroups(n), ptr(x), ptr(y), n, act.kind().ordinal(), act.parameter());
        } else {
            launch("k_activation", n, ptr(x), ptr(y), n, act.kind().ordinal(), act.parameter());
        }
    }

    @Override
    public void activationBackward(Activation act, Storage dy, Storage x, Storage y, Storage dx, long n) {
        if (n <= 0) {
            return;
        }
        if (tuned) {
            launchGroups("kc_activation_backward4", vectorGroups(n), ptr(dy), ptr(x), ptr(y), ptr(dx), n,
                    act.kind().ordinal(), act.parameter());
        } else {
            launch("k_activation_backward", n, ptr(dy), ptr(x), ptr(y), ptr(dx), n, act.kind().ordinal(), act.parameter());
        }
    }

    @Override
    public void prelu(Storage x, Storage alpha, Storage y, long outer, long channels, long inner) {
        long n = outer * channels * inner;
        if (n > 0) {
            launch("k_prelu", n, ptr(x), ptr(alpha), ptr(y), n, channels, inner);
        }
    }

    @Override
    public void preluBackward(Storage dy, Storage x, Storage alpha, Storage dx, Storage dAlpha, long outer, long channels,
                              long inner) {
        long n = outer * channels * inner;
        if (n > 0) {
            launch("k_prelu_backward_x", n, ptr(dy), ptr(x), ptr(alpha), ptr(dx), n, channels, inner);
        }
        if (channels > 0) {
            launchGroups("k_prelu_backward_alpha", rowGroups(channels), ptr(dy), ptr(x), ptr(dAlpha), outer, channels, inner);
        }
    }

    @Override
    public void softmax(Storage x, Storage y, long rows, long cols, boolean log) {
        if (rows <= 0 || cols <= 0) {
            return;
        }
        if (!tuned) {
            launchGroups("k_softmax", rowGroups(rows), ptr(x), ptr(y), rows, cols, log);
        } else if (cols <= 1024) {
            launchGroups("kc_softmax_w" + valuesPerLane(cols), warpRowBlocks(rows), ptr(x), ptr(y), rows, cols, log);
        } else {
            launchGroups("kc_softmax_block", rowGroups(rows), ptr(x), ptr(y), rows, cols, log);
        }
    }

    @Override
    public void softmaxBackward(Storage dy, Storage y, Storage dx, long rows, long cols, boolean log) {
        if (rows <= 0 || cols <= 0) {
            return;
        }
        if (!tuned) {
            launchGroups("k_softmax_backward", rowGroups(rows), ptr(dy), ptr(y), ptr(dx), rows, cols, log);
        } else if (cols <= 1024) {
            launchGroups("kc_softmax_backward_w" + valuesPerLane(cols), warpRowBlocks(rows), ptr(dy), ptr(y), ptr(dx), rows, cols,
                    log);
        } else {
            launchGroups("kc_softmax_backward_block", rowGroups(rows), ptr(dy), ptr(y), ptr(dx), rows, cols, log);
        }
    }

    // ---- losses ----------------------------------------------------------------------------------

    @Override
    public synchronized void loss(Loss loss, Reduction reduction, Storage pred, Storage target, Storage lossOut, Storage grad,
                                  long n) {
        boolean mean = reduction == Reduction.MEAN;
        float gradScale = mean ? (float) (1.0 / n) : 1f;
        int groups = partialGroups(n);
        CUdeviceptr partial = scratch(SCRATCH_PARTIAL, (long) groups * ACC_BYTES);
        launchGroups("k_loss", groups, ptr(pred), ptr(target), ptrOrDummy(grad), grad != null, gradScale, n,
                loss.kind().ordinal(), loss.delta(), partial);
        if (lossOut != null) {
            launchGroups("k_sum_finish", 1, partial, groups, mean, n, ptr(lossOut));
        }
    }

    @Override
    public synchronized void softmaxCrossEntropy(Storage logits, int[] labels, Storage targets, Reduction reduction,
                                                 Storage lossOut, Storage grad, long rows, long cols) {
        Object labelBuffer = labels != null && rows > 0 ? uploadInts(SCRATCH_LABELS, labels, rows) : null;
        crossEntropy(logits, labels != null, labelBuffer, targets, reduction, lossOut, grad, rows, cols);
    }

    @Override
    public synchronized void softmaxCrossEntropy(Storage logits, Storage labels, int[] hostLabels, Reduction reduction,
                                                 Storage lossOut, Storage grad, long rows, long cols) {
        // The kernel reads the INT32 tensor where it is: no upload.
        crossEntropy(logits, true, rows > 0 ? ptr(labels) : null, null, reduction, lossOut, grad, rows, cols);
    }

    private void crossEntropy(Storage logits, boolean hasLabels, Object labelMem, Storage targets, Reduction reduction,
                              Storage lossOut, Storage grad, long rows, long cols) {
        boolean mean = reduction == Reduction.MEAN;
        float gradScale = mean ? (float) (1.0 / rows) : 1f;
        XentLaunch x = rows > 0 ? xentLaunch(tuned, hasLabels, rows, cols, device.multiprocessors(), maxGroups) : null;
        long partials = x == null ? 0 : x.partials();
        int partialCount = checkedCount(partials, "cross-entropy rows"); // before any kernel writes the gradient
        CUdeviceptr partial = scratch(SCRATCH_PARTIAL, Math.max(1, partials) * ACC_BYTES);
        Object labelBuffer = labelMem == null ? dummy : labelMem;
        boolean labels = hasLabels;
        // The tuned kernels' last block adds the partials and writes the loss itself (no k_sum_finish launch).
        boolean kernelWritesLoss = x != null && tuned;
        if (x != null) {
            List<Object> args = new ArrayList<>(List.of(ptr(logits), labelBuffer, ptrOrDummy(targets), labels, partial,
                    ptrOrDummy(grad), grad != null, gradScale, rows, cols));
            if (kernelWritesLoss) {
                args.addAll(List.of(ptrOrDummy(lossOut), lossOut != null, mean, xentTicket));
            }
            launchGrid(x.kernel(), x.blocks(), 1, 1, x.threads(), 1, args.toArray());
        }
        if (lossOut != null && !kernelWritesLoss) {
            launchGroups("k_sum_finish", 1, partial, partialCount, mean, rows, ptr(lossOut));
        }
    }

    // ---- dropout and initialisation ------------------------------------------------------------------

    @Override
    public void dropout(Storage x, Storage y, Storage mask, long n, float p, long seed, long offset) {
        if (n > 0) {
            launch("k_dropout", (n + 3) / 4, ptr(x), ptr(y), ptr(mask), n, p, CounterRandom.dropoutScale(p), seed, offset);
        }
    }

    @Override
    public void dropoutBackward(Storage dy, Storage mask, Storage dx, long n, float p) {
        if (n > 0) {
            launch("k_dropout_backward", n, ptr(dy), ptr(mask), ptr(dx), n, CounterRandom.dropoutScale(p));
        }
    }

    @Override
    public void initUniform(Storage x, long n, long seed, long offset, double lo, double hi) {
        if (n > 0) {
            launch("k_init_uniform", (n + 3) / 4, ptr(x), n, seed, offset, lo, hi);
        }
    }

    @Override
    public void initNormal(Storage x, long n, long seed, long offset, double mean, double std) {
        if (n > 0) {
            launch("k_init_normal", n, ptr(x), n, seed, offset, mean, std);
        }
    }

    // ---- optimisers --------------------------------------------------------------------------------

    @Override
    public void sgdStep(Storage w, Storage g, Storage velocity, long n, SgdConfig c) {
        if (n > 0) {
            launch("k_sgd", n, ptr(w), ptr(g), ptrOrDummy(velocity), velocity != null, n, c.learningRate(), c.momentum(),
                    c.nesterov(), c.l2(), c.l1());
        }
    }

    @Override
    public void adamStep(Storage w, Storage g, Storage m, Storage v, long n, AdamConfig c, long step) {
        if (n > 0) {
            float c1 = (float) (1.0 / c.biasCorrection1(step));
            float c2 = (float) (1.0 / c.biasCorrection2(step));
            launch("k_adam", n, ptr(w), ptr(g), ptr(m), ptr(v), n, c.learningRate(), c.beta1(), c.beta2(), c.epsilon(),
                    c.weightDecay(), c.decoupled(), c1, c2);
        }
    }

    @Override
    public void sgdStep(Storage w, Storage g, DType gradType, Storage velocity, long n, SgdConfig c, Storage halfWeights,
                        DType halfType) {
        if (n > 0) {
            String kernel = KernelSource.mixedStepKernel("sgd", gradType.name(), halfWeights == null ? null : halfType.name());
            launch(kernel, n, ptr(w), ptr(g), ptrOrDummy(velocity), velocity != null, n,
                    c.learningRate(), c.momentum(), c.nesterov(), c.l2(), c.l1(), ptrOrDummy(halfWeights));
        }
    }

    @Override
    public void adamStep(Storage w, Storage g, DType gradType, Storage m, Storage v, long n, AdamConfig c, long step,
                         Storage halfWeights, DType halfType) {
        if (n > 0) {
            float c1 = (float) (1.0 / c.biasCorrection1(step));
            float c2 = (float) (1.0 / c.biasCorrection2(step));
            String kernel = KernelSource.mixedStepKernel("adam", gradType.name(), halfWeights == null ? null : halfType.name());
            launch(kernel, n, ptr(w), ptr(g), ptr(m), ptr(v), n, c.learningRate(), c.beta1(),
                    c.beta2(), c.epsilon(), c.weightDecay(), c.decoupled(), c1, c2, ptrOrDummy(halfWeights));
        }
    }

    @Override
    public synchronized void penalty(Storage w, long n, float l1, float l2, Storage out) {
        int groups = partialGroups(n);
        CUdeviceptr partial = scratch(SCRATCH_PARTIAL, 2L * groups * ACC_BYTES);
        launchGroups("k_penalty_partial", groups, ptr(w), n, partial);
        launchGroups("k_penalty_finish", 1, partial, groups, l1, l2, ptr(out));
    }

    /** A count a kernel takes as an int, or an InvalidArgumentException naming it. */
    private static int checkedCount(long n, String what) {
        if (n > Integer.MAX_VALUE) {
            throw new dev.kengine.InvalidArgumentException("cuda: " + n + " " + what + " exceed the " + Integer.MAX_VALUE
                    + " the kernels count");
        }
        return (int) n;
    }
}
