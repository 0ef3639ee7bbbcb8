package dev.kengine.opencl;

import static org.jocl.CL.*;

import dev.kengine.BackendUnavailableException;
import dev.kengine.DType;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.kernels.Dialect;
import dev.kengine.kernels.KernelFamily;
import dev.kengine.kernels.KernelSource;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Loss;
import dev.kengine.op.Op;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import dev.kengine.random.CounterRandom;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.Capabilities;
import dev.kengine.spi.JvmSignals;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * The OpenCL driver: one context and one in-order command queue on the selected device. Ops
 * enqueue kernels and return; the host waits only in {@link #read}, {@link #argmax} (which
 * returns host data) and {@link #synchronize}. Kernel sources come from the kernels module,
 * assembled with the OpenCL dialect; programs are built once per family and cached in memory
 * and on disk ({@link ProgramCache}). Every JOCL exception is translated here, at the edge.
 */
final class OpenClDriver implements BackendDriver {
    /** Largest host transfer in one call; ByteBuffers address at most 2 GiB. */
    private static final long CHUNK_BYTES = 1L << 30;
    /** Launches between the throttle's markers, at most (see throttle()). */
    private static final int MARK_EVERY = 256;
    /** Bytes of buffers allocated between the throttle's markers. */
    private static final long MARK_BYTES = 128L << 20;
    private int sinceMark;
    private final java.util.concurrent.atomic.AtomicLong bytesSinceMark = new java.util.concurrent.atomic.AtomicLong();
    private cl_event pendingMark;
    /** CPU devices' buffers from this size on are probed against the host allocator first (see HostMemory). */
    private static final long HOST_PROBE_BYTES = 1L << 20;
    /** The heap staging of transfers from memory that could be freed meanwhile: 4 MiB at a time. */
    private static final int STAGING_FLOATS = 1 << 20;
    /** A thread that never runs: a segment accessible by it is not confined to the caller. */
    private static final Thread NO_THREAD = Thread.ofPlatform().unstarted(() -> {});
    /** Work-groups of the first stage of a two-stage reduction: fixed, so sums are deterministic. */
    private static final int PARTIAL_GROUPS = 64;
    private static final System.Logger LOG = System.getLogger(OpenClDriver.class.getName());

    private final DeviceInfo info;
    private final Capabilities capabilities;
    private final cl_context context;
    private final cl_command_queue queue;
    private final ProgramCache programs;
    /** The matmul tiles: lowered once when a device's k_gemm allows fewer work-items per group than they need. */
    private volatile MatmulTuning.Params tuning;
    private final LaunchTuning.Params shape;
    /** Whether every launch takes the 64-bit index variant (option {@code index=64}: tests of that path). */
    private final boolean wideOnly;
    /**
     * Work-items per group of the elementwise kernels, and of the row kernels (softmax and reduce families): the launch
     * shape's, within the device's maximum, and lowered where a kernel allows fewer (see {@link #kernel}).
     */
    private volatile int wg;
    private volatile int rowWg;
    /**
     * The most work-items per group the driver assumes a kernel allows, beside what the device says for it (option
     * {@code group}: a device that misreports, and tests of the lowering on devices that allow more).
     */
    private final long groupCap;
    private final int accBytes;
    private final long maxGroups;
    /**
     * Assembled sources by family and variant (each built when first needed): bit 0 the 64-bit indices,
     * bit 1 the elementwise kernels without their index test, for the whole work-groups of a one-per-item
     * launch (see K_TAIL in common.h).
     */
    private final Map<String, KernelSource.Assembled> sources = new HashMap<>();
    private static final int WIDE = 1;
    private static final int NO_TAIL = 2;
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private final cl_mem dummy;
    private volatile boolean closed;

    OpenClDriver(DeviceInfo info, Path cacheDirectory) {
        this(info, cacheDirectory, MatmulTuning.choose(info), LaunchTuning.choose(info), false);
    }

    /**
     * With explicit matmul parameters (tuning experiments and tests), in the grid-stride shape, whose
     * matmul runs them on every device.
     */
    OpenClDriver(DeviceInfo info, Path cacheDirectory, MatmulTuning.Params tuning) {
        this(info, cacheDirectory, tuning, LaunchTuning.GRID_STRIDE, false);
    }

    /** With explicit matmul parameters and launch shape, and {@code wideOnly} to run every kernel with 64-bit indices. */
    OpenClDriver(DeviceInfo info, Path cacheDirectory, MatmulTuning.Params tuning, LaunchTuning.Params shape,
                 boolean wideOnly) {
        this(info, cacheDirectory, tuning, shape, wideOnly, Long.MAX_VALUE);
    }

    /** As above, and {@code groupCap}, the most work-items per group any kernel is taken to allow. */
    OpenClDriver(DeviceInfo info, Path cacheDirectory, MatmulTuning.Params tuning, LaunchTuning.Params shape,
                 boolean wideOnly, long groupCap) {
        this.info = info;
        this.groupCap = groupCap;
        this.capabilities = capabilitiesOf(info);
        this.tuning = tuning;
        this.shape = shape;
        this.wideOnly = wideOnly;
        this.wg = (int) Math.min(shape.wg(), Long.highestOneBit(Math.max(1, info.maxWorkGroupSize())));
        this.rowWg = (int) Math.min(shape.rowWg(), Long.highestOneBit(Math.max(1, info.maxWorkGroupSize())));
        this.accBytes = info.fp64() ? 8 : 4;
        this.maxGroups = Math.max(32, 8L * info.computeUnits());
        cl_context ctx = null;
        cl_command_queue q = null;
        try (JvmSignals.Guard g = JvmSignals.guard("creating the OpenCL context")) {
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL_CONTEXT_PLATFORM, info.platform());
            ctx = clCreateContext(props, 1, new cl_device_id[] {info.device()}, null, null, null);
            q = clCreateCommandQueue(ctx, info.device(), 0, null);
            this.dummy = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 16, null, null);
        } catch (CLException e) {
            if (q != null) {
                clReleaseCommandQueue(q);
            }
            if (ctx != null) {
                clReleaseContext(ctx);
            }
            throw new BackendUnavailableException("OpenCL could not open " + info.label() + ": "
                    + ClErrors.name(e.getStatus()), e);
        }
        this.context = ctx;
        this.queue = q;
        this.programs = new ProgramCache(ctx, info.device(), info, cacheDirectory);
    }

    static Capabilities capabilitiesOf(DeviceInfo info) {
        Set<Op> ops = EnumSet.allOf(Op.class);
        Map<String, String> details = new LinkedHashMap<>(info.details());
        if (!info.fp64()) {
            ops.remove(Op.INIT_UNIFORM);
            ops.remove(Op.INIT_NORMAL);
        }
        MatmulTuning.Params t = MatmulTuning.choose(info);
        details.put("matmul tile", t.mwg() + "x" + t.nwg() + "x" + t.kwg() + ", " + t.mdimc() + "x" + t.ndimc()
                + " work-items, vector " + t.vw());
        LaunchTuning.Params s = LaunchTuning.choose(info);
        details.put("launch shape", s.onePerItem()
                ? "one element per work-item, groups of " + s.wg() + ", rows in groups of " + s.rowWg()
                        + (s.index32() ? ", 32-bit indices where they fit" : "")
                : "grid stride, groups of " + s.wg());
        return new Capabilities(info.name(), info.globalMemory(), info.computeUnits(), java.util.EnumSet.allOf(DType.class), ops, details, halfPairs());
    }

    @Override
    public String name() {
        return OpenClProvider.NAME;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    DeviceInfo deviceInfo() {
        return info;
    }

    ProgramCache programs() {
        return programs;
    }

    MatmulTuning.Params tuning() {
        return tuning;
    }

    /** The elementwise and the row kernels' work-items per group now (tests of their lowering). */
    int[] groupSizes() {
        return new int[] {wg, rowWg};
    }

    // ---- memory --------------------------------------------------------------------------

    @Override
    public Storage allocate(long elements) {
        return allocate(elements, DType.FLOAT32);
    }

    @Override
    public Storage allocate(long elements, DType dtype) {
        int width = dtype.byteSize();
        // Rounded up to 4 bytes, so that a kernel reading whole words never leaves the buffer.
        long bytes = (Math.max(1, elements) * width + 3) & ~3L;
        if (elements > Long.MAX_VALUE / 8 || bytes > info.maxAllocation()) {
            // The request in bytes saturates at Long.MAX_VALUE (as DeviceOutOfMemoryException documents).
            long requested = elements > Long.MAX_VALUE / width ? Long.MAX_VALUE : elements * width;
            throw new DeviceOutOfMemoryException("opencl: " + elements + " elements of " + dtype + " ("
                    + (requested == Long.MAX_VALUE ? "more than " + Long.MAX_VALUE : Long.toString(requested))
                    + " bytes) exceed the device's largest allocation of " + info.maxAllocation() + " bytes on "
                    + info.name(), requested, null);
        }
        if (!info.isGpuOrAccelerator() && bytes >= HOST_PROBE_BYTES && !HostMemory.available(bytes)) {
            throw new DeviceOutOfMemoryException("opencl: the host cannot allocate " + bytes + " bytes for a buffer of "
                    + info.name() + ", a CPU device whose buffers live in host memory (is a ulimit -v or a cgroup "
                    + "limit reached?)", bytes, null);
        }
        OpenClStorage storage = new OpenClStorage(buffer(bytes), elements, dtype);
        bytesSinceMark.addAndGet(bytes);
        return storage;
    }

    private cl_mem buffer(long bytes) {
        try {
            return clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
        } catch (CLException e) {
            throw ClErrors.translateAllocation(bytes, e);
        }
    }

    private static void release(cl_mem m) {
        try {
            clReleaseMemObject(m);
        } catch (CLException e) {
            // Already gone with its context.
        }
    }

    @Override
    public void write(Storage dst, long dstOffset, MemorySegment src, long count) {
        transfer(true, mem(dst), ((OpenClStorage) dst).width, dstOffset, src, count);
    }

    @Override
    public void read(Storage src, long srcOffset, MemorySegment dst, long count) {
        transfer(false, mem(src), ((OpenClStorage) src).width, srcOffset, dst, count);
    }

    /** Blocking transfers: a read waits for everything enqueued before it (the queue is in order). */
    private void transfer(boolean write, cl_mem mem, int width, long elementOffset, MemorySegment seg, long count) {
        if (count == 0) {
            return;
        }
        long bytes = count * width;
        long deviceOffset = elementOffset * width;
        Object base = seg.heapBase().orElse(null);
        try {
            if (seg.isNative() && !mayBeClosedMeanwhile(seg)) {
                for (long done = 0; done < bytes; done += CHUNK_BYTES) {
                    long len = Math.min(CHUNK_BYTES, bytes - done);
                    Pointer p = Pointer.to(seg.asSlice(done, len).asByteBuffer());
                    enqueueTransfer(write, mem, deviceOffset + done, len, p);
                }
            } else if (base instanceof float[] array && seg.address() % 4 == 0) {
                enqueueTransfer(write, mem, deviceOffset, bytes, Pointer.to(array).withByteOffset(seg.address()));
            } else if (base instanceof short[] array && seg.address() % 2 == 0) {
                enqueueTransfer(write, mem, deviceOffset, bytes, Pointer.to(array).withByteOffset(seg.address()));
            } else if (base instanceof int[] array && seg.address() % 4 == 0) {
                enqueueTransfer(write, mem, deviceOffset, bytes, Pointer.to(array).withByteOffset(seg.address()));
            } else if (base instanceof byte[] array) {
                enqueueTransfer(write, mem, deviceOffset, bytes, Pointer.to(array).withByteOffset(seg.address()));
            } else {
                // Other heap arrays (short[], int[] and float[] at offsets their type does not align, long[] ...) and
                // native memory another thread could free meanwhile:
                // through a float[], by MemorySegment.copy, which checks the segment is alive on every access.
                float[] tmp = new float[(int) Math.min((bytes + 3) / 4, STAGING_FLOATS)];
                MemorySegment staging = MemorySegment.ofArray(tmp);
                for (long done = 0; done < bytes; done += tmp.length * 4L) {
                    long len = Math.min(tmp.length * 4L, bytes - done);
                    if (write) {
                        MemorySegment.copy(seg, done, staging, 0, len);
                        enqueueTransfer(true, mem, deviceOffset + done, len, Pointer.to(tmp));
                    } else {
                        enqueueTransfer(false, mem, deviceOffset + done, len, Pointer.to(tmp));
                        MemorySegment.copy(staging, 0, seg, done, len);
                    }
                }
            }
        } catch (CLException e) {
            throw ClErrors.translate(write ? "writing " + bytes + " bytes" : "reading " + bytes + " bytes", e);
        }
    }

    /**
     * Whether native memory could be freed by another thread while JOCL reads or writes it behind the
     * JVM's back: a segment of a shared arena can be (and one seen as a direct buffer is
     * indistinguishable from it). A segment confined to this thread cannot be closed during this
     * call, nor can global memory; those go to OpenCL directly.
     */
    private static boolean mayBeClosedMeanwhile(MemorySegment seg) {
        return seg.isAccessibleBy(NO_THREAD) && !seg.scope().equals(MemorySegment.NULL.scope());
    }

    private void enqueueTransfer(boolean write, cl_mem mem, long offset, long bytes, Pointer p) {
        if (write) {
            clEnqueueWriteBuffer(queue, mem, CL_TRUE, offset, bytes, p, 0, null, null);
        } else {
            clEnqueueReadBuffer(queue, mem, CL_TRUE, offset, bytes, p, 0, null, null);
        }
    }

    @Override
    public void synchronize() {
        if (closed) {
            return;
        }
        try {
            clFinish(queue);
        } catch (CLException e) {
            throw ClErrors.translate("waiting for the queue", e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            clFinish(queue);
        } catch (CLException e) {
            // Closing anyway (a device that failed earlier may fail this too).
        }
        try {
            releaseMark(); // also when the wait failed: the event would keep the queue and context alive
        } catch (CLException e) {
            // Nothing left to do with it.
        }
        closed = true;
        for (cl_kernel k : kernels.values()) {
            try {
                clReleaseKernel(k);
            } catch (CLException e) {
                // Ignore.
            }
        }
        kernels.clear();
        programs.close();
        release(dummy);
        try {
            clReleaseCommandQueue(queue);
        } catch (CLException e) {
            // The context is released all the same.
        }
        try {
            clReleaseContext(context);
        } catch (CLException e) {
            // Nothing left to do.
        }
    }

    // ---- kernels and launches -----------------------------------------------------------------

    private KernelSource.Assembled source(KernelFamily family) {
        return source(family, 0);
    }

    /** The family's text for this device's launch shape in {@code variant} (WIDE, NO_TAIL). */
    private KernelSource.Assembled source(KernelFamily family, int variant) {
        return sources.computeIfAbsent(family + "/" + variant, key -> {
            KernelFamily f = family;
            boolean wide = (variant & WIDE) != 0;
            Map<String, String> defines = new LinkedHashMap<>();
            defines.put("K_OWN_EXP", shape.ownExp() ? "1" : "0");
            if (f == KernelFamily.MATMUL) {
                defines.putAll(tuning.defines());
                defines.put("K_ONE_PER_ITEM", shape.onePerItem() ? "1" : "0");
            } else {
                defines.put(f.shortName().toUpperCase(java.util.Locale.ROOT).replace("ACTIVATIONS", "ACTIVATION")
                        .replace("LOSSES", "LOSS") + "_WG", Integer.toString(wgOf(f)));
                defines.put("K_ONE_PER_ITEM", shape.onePerItem() ? "1" : "0");
                defines.put("K_ROW_SYNC", shape.onePerItem() ? "1" : "0");
                defines.put("K_INDEX32", shape.index32() && !wide ? "1" : "0");
                defines.put("K_TAIL", (variant & NO_TAIL) != 0 ? "0" : "1");
            }
            return KernelSource.assemble(f, Dialect.OPENCL, defines);
        });
    }

    private cl_kernel kernel(KernelFamily family, String name) {
        return kernel(family, name, 0);
    }

    private synchronized cl_kernel kernel(KernelFamily family, String name, int variant) {
        checkOpen();
        String key = family + "/" + name + "/" + variant;
        cl_kernel k = kernels.get(key);
        if (k == null) {
            long limit;
            try {
                k = clCreateKernel(programs.get(source(family, variant)), name, null);
                limit = Math.min(groupCap, groupLimit(k));
            } catch (CLException e) {
                if (k != null) {
                    clReleaseKernel(k);
                }
                throw ClErrors.translate("creating kernel " + name, e);
            }
            int needed = groupSize(family, name);
            if (limit < needed) {
                // A kernel that needs many registers (or local memory) can allow fewer work-items per group than the
                // device's maximum: CL_KERNEL_WORK_GROUP_SIZE. Its family is rebuilt for a group size it allows, and
                // the launch computes its sizes again (GroupSizeLowered).
                clReleaseKernel(k);
                lowerGroupSize(family, name, limit, needed);
                throw GroupSizeLowered.INSTANCE;
            }
            kernels.put(key, k);
        }
        return k;
    }

    /** The most work-items per group the device runs kernel k with (CL_KERNEL_WORK_GROUP_SIZE). */
    private long groupLimit(cl_kernel k) {
        long[] size = new long[1];
        clGetKernelWorkGroupInfo(k, info.device(), CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(size), null);
        return size[0] > 0 ? size[0] : Long.MAX_VALUE;
    }

    /** The work-items per group kernel {@code name} of {@code family} is launched with. */
    private int groupSize(KernelFamily family, String name) {
        if (family == KernelFamily.MATMUL) {
            return name.endsWith("_cpu") ? (int) CPU_TILE_GROUP[1] : tuning.workGroupSize();
        }
        if (name.equals("k_softmax_xent_rows")) {
            return 8;
        }
        return rowClass(family, name) ? rowWg : wg;
    }

    /** Whether kernel {@code name} is launched in the row kernels' groups (rowWg) rather than the elementwise ones (wg). */
    private static boolean rowClass(KernelFamily family, String name) {
        // k_reduce_axis, a work-item per output, goes through launchOver like the elementwise kernels.
        return (family == KernelFamily.SOFTMAX || family == KernelFamily.REDUCE) && !name.equals("k_reduce_axis");
    }

    /** The smallest group the row and elementwise kernels are built for (their reductions are trees of powers of two). */
    private static final int MIN_GROUP = 16;

    /**
     * Lowers the group size that kernel {@code name} needs ({@code needed}) to one its {@code limit} allows and drops
     * the families built for the old one; a device that allows too few for any supported shape is a DeviceException.
     */
    private void lowerGroupSize(KernelFamily family, String name, long limit, int needed) {
        String what = "kernel " + name + " allows at most " + limit + " work-items per group on " + info.name();
        if (family == KernelFamily.MATMUL && !name.endsWith("_cpu")) {
            java.util.List<MatmulTuning.Params> tilings = new java.util.ArrayList<>(MatmulTuning.allParams());
            tilings.sort(java.util.Comparator.comparingInt(MatmulTuning.Params::workGroupSize).reversed());
            for (MatmulTuning.Params p : tilings) {
                if (p.workGroupSize() <= limit && p.workGroupSize() < needed && p.localBytes() <= info.localMemory()) {
                    LOG.log(System.Logger.Level.DEBUG, "opencl: {0}; matmul tiles lowered to {1} work-items", what,
                            p.workGroupSize());
                    tuning = p;
                    forget(KernelFamily.MATMUL);
                    return;
                }
            }
            throw new dev.kengine.DeviceException("opencl: " + what + "; the smallest matmul tiling needs "
                    + tilings.getLast().workGroupSize(), -54, "CL_INVALID_WORK_GROUP_SIZE", null);
        }
        int size = (int) Long.highestOneBit(limit);
        if (family == KernelFamily.MATMUL || name.equals("k_softmax_xent_rows") || size < MIN_GROUP) {
            throw new dev.kengine.DeviceException("opencl: " + what + "; it is launched with " + needed + " and the engine's kernels need"
                    + " at least " + MIN_GROUP, -54, "CL_INVALID_WORK_GROUP_SIZE", null);
        }
        LOG.log(System.Logger.Level.DEBUG, "opencl: {0}; groups of {1} lowered to {2}", what, needed, size);
        if (rowClass(family, name)) {
            rowWg = size;
            forget(KernelFamily.SOFTMAX);
            forget(KernelFamily.REDUCE);
        } else {
            wg = size;
            for (KernelFamily f : KernelFamily.values()) {
                if (f != KernelFamily.MATMUL && f != KernelFamily.SOFTMAX && f != KernelFamily.REDUCE) {
                    forget(f);
                }
            }
        }
    }

    /** Drops a family's assembled sources and kernels, so that they are built again for the new sizes. */
    private void forget(KernelFamily family) {
        String prefix = family + "/";
        sources.keySet().removeIf(key -> key.startsWith(prefix));
        for (java.util.Iterator<Map.Entry<String, cl_kernel>> it = kernels.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, cl_kernel> e = it.next();
            if (e.getKey().startsWith(prefix)) {
                launchedShapes.remove(e.getValue());
                try {
                    clReleaseKernel(e.getValue());
                } catch (CLException ex) {
                    // released as far as the driver goes
                }
                it.remove();
            }
        }
    }

    /** A launch's sizes went stale: a kernel lowered its family's group size; the launch is made again. */
    private static final class GroupSizeLowered extends RuntimeException {
        static final GroupSizeLowered INSTANCE = new GroupSizeLowered();

        private GroupSizeLowered() {
            super("the group size was lowered", null, false, false);
        }
    }

    /**
     * Runs a launch (which computes its sizes from the current group sizes), again when one of its kernels lowered
     * them: at most once per family and size class, so a few times in a driver's life.
     */
    private void fitted(Runnable launch) {
        for (int attempt = 0; ; attempt++) {
            try {
                // Under the driver's lock from the kernels to the enqueue: another thread's lowering (which releases
                // kernels and changes the sizes) cannot come between them.
                synchronized (this) {
                    launch.run();
                }
                return;
            } catch (GroupSizeLowered e) {
                if (attempt >= 16) {
                    throw new IllegalStateException("opencl: the group sizes kept changing", e);
                }
            }
        }
    }

    /** Builds every family now (the first use would otherwise pay it); returns the milliseconds spent. */
    synchronized long warmUp() {
        long t0 = System.nanoTime();
        for (KernelFamily f : KernelFamily.values()) {
            programs.get(source(f));
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the OpenCL driver is closed");
        }
    }

    /** An elementwise launch over {@code work} items whose element indices are below {@code work}. */
    private void launch(KernelFamily family, String name, long work, Object... args) {
        launchOver(family, name, work, work, args);
    }

    /**
     * An elementwise launch over {@code work} items (see K_FOR_ELEMENT) that index up to
     * {@code extent} elements: on a one-per-item device a global size covering the work, with the
     * 32-bit index variant where every index and work-item id fits in an int; otherwise a grid stride
     * capped at maxGroups work-groups of wg.
     */
    private void launchOver(KernelFamily family, String name, long work, long extent, Object... args) {
        fitted(() -> launchOverOnce(family, name, work, extent, args));
    }

    private void launchOverOnce(KernelFamily family, String name, long work, long extent, Object... args) {
        int wg = this.wg;
        long groups = Math.max(1, (work + wg - 1) / wg);
        if (!shape.onePerItem()) {
            groups = Math.min(maxGroups, groups);
            // Variant 0: with the grid stride, K_INDEX32 is 0 and the loop tests its index anyway.
            enqueue(kernel(family, name, 0), null, new long[] {groups * wg}, new long[] {wg}, args);
            return;
        }
        long global = groups * wg;
        // + 3: the kernels of four elements per work-item index up to the work's last whole group of four.
        int wide = wideOnly || !shape.index32() || Math.max(global, extent + 3) > Integer.MAX_VALUE ? WIDE : 0;
        long whole = work / wg * wg;
        // Both kernels before either launch: creating one may lower the group size, and a launch made twice would
        // apply an in-place op twice.
        cl_kernel body = whole > 0 ? kernel(family, name, wide | NO_TAIL) : null;
        cl_kernel tail = whole < work ? kernel(family, name, wide) : null;
        if (body != null) {
            enqueue(body, null, new long[] {whole}, new long[] {wg}, args);
        }
        if (tail != null) {
            enqueue(tail, new long[] {whole}, new long[] {wg}, new long[] {wg}, args);
        }
    }

    /**
     * An elementwise launch on a one-per-item device in two kernels of the same arguments: {@code name + suffix}, whose
     * work-item g owns elements 16 g .. 16 g + 15 and tests nothing, over the whole work-groups of whole blocks of
     * sixteen, and the per-element {@code name} over the elements past them (a global offset, its index test on).
     */
    private void launch16(KernelFamily family, String name, String suffix, long n, Object... args) {
        blocksThenTail(family, n, name + suffix, 16, args, name, 1, args);
    }

    /**
     * A one-per-item launch in two kernels: {@code body}, a work-item per {@code bodyPerItem} elements with no test,
     * over the whole work-groups of whole blocks, and {@code tail}, a work-item per {@code tailPerItem} elements with
     * its index test, over the rest (a global offset). Both kernels are made before either runs (see launchOverOnce).
     */
    private void blocksThenTail(KernelFamily family, long n, String body, int bodyPerItem, Object[] bodyArgs, String tail,
                                int tailPerItem, Object[] tailArgs) {
        fitted(() -> {
            int wg = this.wg;
            long block = (long) bodyPerItem * wg;
            long start = n / block * block;
            int wide = !shape.index32() || n + block > Integer.MAX_VALUE ? WIDE : 0;
            cl_kernel b = start > 0 ? kernel(family, body, wide | NO_TAIL) : null;
            cl_kernel t = start < n ? kernel(family, tail, wide) : null;
            if (b != null) {
                enqueue(b, null, new long[] {start / bodyPerItem}, new long[] {wg}, bodyArgs);
            }
            if (t != null) {
                enqueue(t, new long[] {start / tailPerItem}, new long[] {ceilDiv(ceilDiv(n - start, tailPerItem), wg) * wg},
                        new long[] {wg}, tailArgs);
            }
        });
    }

    /** Exactly {@code groups} work-groups of the family's size (row kernels and reduction stages). */
    private void launchGroups(KernelFamily family, String name, long groups, Object... args) {
        fitted(() -> {
            cl_kernel k = kernel(family, name); // first: it may lower the family's group size
            int size = wgOf(family);
            enqueue(k, null, new long[] {groups * size}, new long[] {size}, args);
        });
    }

    /** The work-group size a family's kernels are compiled for: the row kernels' for softmax and reduce. */
    private int wgOf(KernelFamily family) {
        return family == KernelFamily.SOFTMAX || family == KernelFamily.REDUCE ? rowWg : wg;
    }

    private long rowGroups(long rows) {
        return Math.max(1, Math.min(rows, 65_536));
    }

    /** The work-group shapes each kernel was launched with, for the guarded first launch (see enqueue). */
    private final Map<cl_kernel, Set<String>> launchedShapes = new IdentityHashMap<>();

    private synchronized void enqueue(cl_kernel k, long[] offset, long[] global, long[] local, Object... args) {
        checkOpen();
        try {
            for (int i = 0; i < args.length; i++) {
                Object a = args[i];
                if (a instanceof OpenClStorage s) {
                    clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(s.mem));
                } else if (a instanceof cl_mem m) {
                    clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
                } else if (a instanceof Integer v) {
                    clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
                } else if (a instanceof Long v) {
                    clSetKernelArg(k, i, Sizeof.cl_long, Pointer.to(new long[] {v}));
                } else if (a instanceof Float v) {
                    clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
                } else if (a instanceof Double v) {
                    clSetKernelArg(k, i, Sizeof.cl_double, Pointer.to(new double[] {v}));
                } else if (a instanceof Boolean v) {
                    clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v ? 1 : 0}));
                } else {
                    throw new IllegalArgumentException("kernel argument " + i + " of type " + a);
                }
            }
            // PoCL compiles a kernel's work-group function at its first launch in each specialisation (the local
            // size, or the runtime's choice of it per global size; a non-zero global offset; a grid past 32-bit
            // indices), and LLVM may install its signal handlers then, as at a program build: the first launch of
            // each runs to completion inside a guard.
            String shape = (local != null ? Arrays.toString(local) : "auto " + Arrays.toString(global))
                    + (offset != null && Arrays.stream(offset).anyMatch(o -> o != 0) ? " offset" : "")
                    + (Arrays.stream(global).anyMatch(g -> g >= Integer.MAX_VALUE) ? " wide" : "");
            if (JvmSignals.supported() && launchedShapes.computeIfAbsent(k, x -> new HashSet<>()).add(shape)) {
                try (JvmSignals.Guard g = JvmSignals.guard("the first launch of an OpenCL kernel at a work-group size")) {
                    clEnqueueNDRangeKernel(queue, k, global.length, offset, global, local, 0, null, null);
                    clFinish(queue);
                }
            } else {
                clEnqueueNDRangeKernel(queue, k, global.length, offset, global, local, 0, null, null);
            }
            throttle();
        } catch (CLException e) {
            // The kernel and its grid, so that a device error names the op; an error of earlier work surfacing here
            // (the throttle's wait) says so through its status.
            throw ClErrors.translate("launching " + kernelName(k) + " over " + Arrays.toString(global)
                    + (local == null ? "" : " in groups of " + Arrays.toString(local)), e);
        }
    }

    /** The kernel's function name, for messages; "a kernel" where the driver will not say. */
    private static String kernelName(cl_kernel k) {
        try {
            long[] size = new long[1];
            clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, 0, null, size);
            byte[] name = new byte[(int) size[0]];
            clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, name.length, Pointer.to(name), null);
            return new String(name, 0, Math.max(0, name.length - 1), java.nio.charset.StandardCharsets.US_ASCII);
        } catch (RuntimeException e) { // a CLException too
            return "a kernel";
        }
    }

    /**
     * Bounds the commands waiting in the queue. A caller that only enqueues (a loop of fills that
     * never reads a result, say) would otherwise run ahead of a slow device without limit, and every
     * waiting command keeps its buffers alive, released or not: PoCL's pthread device, slower than
     * the enqueueing thread, grew by a gigabyte per thousand 1 MiB tensors that way. Every
     * {@value #MARK_EVERY} launches, or sooner once {@value #MARK_BYTES} bytes of buffers were
     * allocated, a marker is enqueued and the previous marker awaited: at most about twice that many
     * commands and bytes wait, and the device never runs dry while the host enqueues.
     */
    private void throttle() {
        if (++sinceMark < MARK_EVERY && bytesSinceMark.get() < MARK_BYTES) {
            return;
        }
        sinceMark = 0;
        bytesSinceMark.set(0);
        cl_event mark = new cl_event();
        clEnqueueMarkerWithWaitList(queue, 0, null, mark);
        cl_event previous = pendingMark;
        pendingMark = mark;
        if (previous != null) {
            try {
                clWaitForEvents(1, new cl_event[] {previous});
            } finally {
                clReleaseEvent(previous);
            }
        }
    }

    /** Forgets the throttle's marker once the queue has drained. */
    private void releaseMark() {
        if (pendingMark != null) {
            clReleaseEvent(pendingMark);
            pendingMark = null;
        }
        sinceMark = 0;
    }

    private static cl_mem mem(Storage s) {
        return ((OpenClStorage) s).mem;
    }

    private Object memOrDummy(Storage s) {
        return s == null ? dummy : mem(s);
    }

    private int partialGroups(long n) {
        return (int) Math.max(1, Math.min(PARTIAL_GROUPS, (n + wg - 1) / wg));
    }

    /** Runs {@code body} with a scratch buffer of {@code bytes}, released after enqueueing (OpenCL keeps it until done). */
    private void withScratch(long bytes, java.util.function.Consumer<cl_mem> body) {
        cl_mem m = buffer(Math.max(16, bytes));
        try {
            body.accept(m);
        } finally {
            release(m);
        }
    }

    // ---- basics ---------------------------------------------------------------------------

    @Override
    public void fill(Storage x, long n, float value) {
        if (n > 0) {
            launch(KernelFamily.ELEMENTWISE, "k_fill", n, mem(x), n, value);
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
            launch(KernelFamily.ELEMENTWISE, kernel, n, mem(x), n, bits);
        }
    }

    /** The storage ops in every dtype, and the activations' own half-precision kernels. */
    private static Map<Op, Set<DType>> halfPairs() {
        Map<Op, Set<DType>> pairs = Capabilities.storageOpsIn(java.util.EnumSet.allOf(DType.class));
        Set<DType> floats = java.util.EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16);
        pairs.put(Op.ACTIVATION, floats);
        pairs.put(Op.ACTIVATION_BACKWARD, floats);
        // Optimiser steps from half-precision gradients, with the half copy of the weights, in one kernel.
        pairs.put(Op.SGD_STEP, floats);
        pairs.put(Op.ADAM_STEP, floats);
        // Dropout on half storage, with a float or a byte mask, in one kernel (no float32 copies of x and y).
        pairs.put(Op.DROPOUT, floats);
        pairs.put(Op.DROPOUT_BACKWARD, floats);
        return pairs;
    }

    @Override
    public void cast(Storage src, DType from, Storage dst, DType to, long n) {
        if (n > 0) {
            String direct = KernelSource.directCastKernel(from.name(), to.name());
            if (direct != null) {
                launch(KernelFamily.ELEMENTWISE, direct, n, mem(src), mem(dst), n);
                return;
            }
            launch(KernelFamily.ELEMENTWISE, "k_cast", n, mem(src), from.ordinal(), mem(dst), to.ordinal(), n);
        }
    }

    @Override
    public void copy(Storage src, Storage dst, long n) {
        if (n > 0) {
            try {
                clEnqueueCopyBuffer(queue, mem(src), mem(dst), 0, 0, n * ((OpenClStorage) src).width, 0, null, null);
            } catch (CLException e) {
                throw ClErrors.translate("copying a buffer", e);
            }
        }
    }

    @Override
    public void binary(Binary op, Storage a, Storage b, Storage out, long rows, long cols, boolean broadcastRow) {
        long n = rows * cols;
        if (n > 0) {
            launch(KernelFamily.ELEMENTWISE, "k_binary", n, mem(a), mem(b), mem(out), n, cols, op.ordinal(), broadcastRow);
        }
    }

    @Override
    public void scale(Storage x, float s, Storage out, long n) {
        if (n > 0) {
            launch(KernelFamily.ELEMENTWISE, "k_scale", n, mem(x), s, mem(out), n);
        }
    }

    @Override
    public void axpy(float alpha, Storage x, Storage y, long n) {
        if (n > 0) {
            launch(KernelFamily.ELEMENTWISE, "k_axpy", n, alpha, mem(x), mem(y), n);
        }
    }

    @Override
    public void reduce(Storage x, Storage out, long outer, long axis, long inner, boolean mean) {
        if (outer * inner == 0) {
            return;
        }
        if (outer == 1 && inner == 1) {
            int groups = partialGroups(axis);
            withScratch((long) groups * accBytes, partial -> {
                launchGroups(KernelFamily.REDUCE, "k_sum_partial", groups, mem(x), axis, partial);
                launchGroups(KernelFamily.REDUCE, "k_sum_finish", 1, partial, groups, mean, axis, mem(out));
            });
        } else if (inner == 1) {
            launchGroups(KernelFamily.REDUCE, "k_reduce_rows", rowGroups(outer), mem(x), mem(out), outer, axis, mean);
        } else {
            launchOver(KernelFamily.REDUCE, "k_reduce_axis", outer * inner, outer * axis * inner, mem(x), mem(out), outer, axis,
                    inner, mean);
        }
    }

    @Override
    public void l2Norm(Storage x, long n, Storage out) {
        int groups = partialGroups(n);
        withScratch(2L * groups * accBytes, partial -> {
            launchGroups(KernelFamily.REDUCE, "k_l2_partial", groups, mem(x), n, partial);
            launchGroups(KernelFamily.REDUCE, "k_l2_finish", 1, partial, groups, mem(out));
        });
    }

    @Override
    public void max(Storage x, Storage out, long rows, long cols) {
        if (rows > 0) {
            launchGroups(KernelFamily.REDUCE, "k_max_rows", rowGroups(rows), mem(x), mem(out), rows, cols);
        }
    }

    @Override
    public boolean finiteChecks() {
        return true;
    }

    /**
     * One kernel per tensor on its raw bits (no conversion), each setting a shared flag where it finds a ±∞ or NaN,
     * then one read of the flag: the whole list waits once (a training step's gradients took a scale, a sum and a
     * read-back each before).
     */
    @Override
    public boolean allFinite(Storage[] tensors, DType[] dtypes, long[] sizes) {
        int[] flag = new int[1];
        withScratch(4, f -> {
            launch(KernelFamily.ELEMENTWISE, "k_fill_u32", 1, f, 1L, 0);
            for (int i = 0; i < tensors.length; i++) {
                long n = sizes[i];
                if (dtypes[i] == DType.FLOAT32) {
                    launchGroups(KernelFamily.REDUCE, "k_nonfinite32", partialGroups(n), mem(tensors[i]), n, f);
                } else {
                    int exponent = dtypes[i] == DType.BFLOAT16 ? 0x7F80 : 0x7C00;
                    launchGroups(KernelFamily.REDUCE, "k_nonfinite16", partialGroups(n), mem(tensors[i]), n, exponent, f);
                }
            }
            try {
                clEnqueueReadBuffer(queue, f, CL_TRUE, 0, 4, Pointer.to(flag), 0, null, null);
            } catch (CLException e) {
                throw ClErrors.translate("reading the finite test's flag", e);
            }
        });
        return flag[0] == 0;
    }

    @Override
    public void argmax(Storage x, int[] out, long rows, long cols) {
        if (rows == 0) {
            return;
        }
        withScratch(rows * 4, indices -> {
            launchGroups(KernelFamily.REDUCE, "k_argmax_rows", rowGroups(rows), mem(x), indices, rows, cols);
            try {
                clEnqueueReadBuffer(queue, indices, CL_TRUE, 0, rows * 4, Pointer.to(out), 0, null, null);
            } catch (CLException e) {
                throw ClErrors.translate("reading argmax indices", e);
            }
        });
    }

    // ---- matmul and linear -----------------------------------------------------------------

    @Override
    public void matmul(Storage a, boolean transA, Storage b, boolean transB, Storage c, long batch, long m, long n, long k,
                       float alpha, float beta, long strideA, long strideB, long strideC) {
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        if (shape.onePerItem() && !transB) {
            fitted(() -> enqueue(kernel(KernelFamily.MATMUL, "k_gemm_cpu"), null, cpuTiles(m, n, batch), CPU_TILE_GROUP,
                    mem(a), transA, mem(b), mem(c), m, n, k, alpha, beta, strideA, strideB, strideC));
            return;
        }
        fitted(() -> {
            cl_kernel kernel = kernel(KernelFamily.MATMUL, "k_gemm"); // first: it may lower the tiles
            MatmulTuning.Params t = tuning;
            long[] global = {ceilDiv(n, t.nwg()) * t.ndimc(), ceilDiv(m, t.mwg()) * t.mdimc(), batch};
            long[] local = {t.ndimc(), t.mdimc(), 1};
            enqueue(kernel, null, global, local, mem(a), transA, mem(b), transB, mem(c),
                    m, n, k, alpha, beta, strideA, strideB, strideC);
        });
    }

    @Override
    public void linear(Storage x, Storage w, Storage bias, Storage z, Storage y, long rows, long in, long out, Activation act) {
        if (rows == 0 || out == 0) {
            return;
        }
        if (shape.onePerItem()) {
            fitted(() -> enqueue(kernel(KernelFamily.MATMUL, "k_linear_cpu"), null, cpuTiles(rows, out, 1), CPU_TILE_GROUP,
                    mem(x), mem(w), memOrDummy(bias), bias != null, mem(z), mem(y), rows, in, out, act.kind().ordinal(),
                    act.parameter()));
            return;
        }
        fitted(() -> {
            cl_kernel kernel = kernel(KernelFamily.MATMUL, "k_linear"); // first: it may lower the tiles
            MatmulTuning.Params t = tuning;
            long[] global = {ceilDiv(out, t.nwg()) * t.ndimc(), ceilDiv(rows, t.mwg()) * t.mdimc()};
            long[] local = {t.ndimc(), t.mdimc()};
            enqueue(kernel, null, global, local, mem(x), mem(w), memOrDummy(bias), bias != null,
                    mem(z), mem(y), rows, in, out, act.kind().ordinal(), act.parameter());
        });
    }

    @Override
    public void linearBackward(Storage dy, Storage x, Storage w, Storage z, Storage y, Storage dx, Storage dw, Storage db,
                               long rows, long in, long out, Activation act) {
        // As the default, but without waiting: the scratch dz is released once enqueued, and
        // OpenCL frees it when the last kernel using it has run.
        Storage dz = allocate(rows * out);
        try {
            activationBackward(act, dy, z, y, dz, rows * out);
            if (dx != null) {
                matmul(dz, false, w, true, dx, 1, rows, in, out, 1f, 0f, 0, 0, 0);
            }
            matmul(x, true, dz, false, dw, 1, in, out, rows, 1f, 0f, 0, 0, 0);
            if (db != null) {
                reduce(dz, db, 1, rows, out, false);
            }
        } finally {
            dz.release();
        }
    }

    /** k_gemm_cpu's groups: 16 tiles of 6 x 32 down one panel of B's columns. */
    private static final long[] CPU_TILE_GROUP = {1, 16, 1};

    /** k_gemm_cpu's global size: a work-item per 6 x 32 tile, the rows of tiles rounded up to whole groups. */
    private static long[] cpuTiles(long m, long n, long batch) {
        return new long[] {ceilDiv(n, 32), ceilDiv(ceilDiv(m, 6), 16) * 16, batch};
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    // ---- activations ---------------------------------------------------------------------

    @Override
    public void activation(Activation act, Storage x, Storage y, long n) {
        DType h = ((OpenClStorage) x).dtype;
        if (n > 0 && h.isHalf()) {
            // Half-precision storage read and written in place: widened, computed in float32, rounded once.
            if (vector16(act)) {
                launch16(KernelFamily.ACTIVATIONS, "k_activation_" + kindName(act) + "_half", "16", n, mem(x), mem(y), n,
                        act.parameter(), h.ordinal());
            } else if (shape.onePerItem()) {
                launch(KernelFamily.ACTIVATIONS, "k_activation_" + kindName(act) + "_half", n, mem(x), mem(y), n,
                        act.parameter(), h.ordinal());
            } else {
                launch(KernelFamily.ACTIVATIONS, "k_activation_half", n, mem(x), mem(y), n, act.kind().ordinal(),
                        act.parameter(), h.ordinal());
            }
            return;
        }
        if (n > 0) {
            if (vector16(act)) {
                launch16(KernelFamily.ACTIVATIONS, "k_activation_" + kindName(act), "16", n, mem(x), mem(y), n, act.parameter());
            } else if (shape.onePerItem()) {
                launch(KernelFamily.ACTIVATIONS, "k_activation_" + kindName(act), n, mem(x), mem(y), n, act.parameter());
            } else {
                launch(KernelFamily.ACTIVATIONS, "k_activation", n, mem(x), mem(y), n, act.kind().ordinal(), act.parameter());
            }
        }
    }

    @Override
    public void activationBackward(Activation act, Storage dy, Storage x, Storage y, Storage dx, long n) {
        DType h = ((OpenClStorage) dy).dtype;
        if (n > 0 && h.isHalf()) {
            if (vector16(act)) {
                launch16(KernelFamily.ACTIVATIONS, "k_activation_" + kindName(act) + "_backward_half", "16", n, mem(dy),
                        mem(x), mem(y), mem(dx), n, act.parameter(), h.ordinal());
            } else if (shape.onePerItem()) {
                launch(KernelFamily.ACTIVATIONS, "k_activation_" + kindName(act) + "_backward_half", n, mem(dy), mem(x),
                        mem(y), mem(dx), n, act.parameter(), h.ordinal());
            } else {
                launch(KernelFamily.ACTIVATIONS, "k_activation_backward_half", n, mem(dy), mem(x), mem(y), mem(dx), n,
                        act.kind().ordinal(), act.parameter(), h.ordinal());
            }
            return;
        }
        if (n > 0) {
            if (vector16(act)) {
                launch16(KernelFamily.ACTIVATIONS, "k_activation_" + kindName(act) + "_backward", "16", n, mem(dy), mem(x),
                        mem(y), mem(dx), n, act.parameter());
            } else if (shape.onePerItem()) {
                launch(KernelFamily.ACTIVATIONS, "k_activation_" + kindName(act) + "_backward", n, mem(dy), mem(x), mem(y),
                        mem(dx), n, act.parameter());
            } else {
                launch(KernelFamily.ACTIVATIONS, "k_activation_backward", n, mem(dy), mem(x), mem(y), mem(dx), n,
                        act.kind().ordinal(), act.parameter());
            }
        }
    }

    /**
     * Whether the float32 activation runs sixteen elements per work-item in explicit vectors (k_activation_<kind>16,
     * CPU devices: PoCL's vectoriser widens the per-element kernels to 8 lanes only). Identity has no such kernel.
     */
    private boolean vector16(Activation act) {
        return shape.onePerItem() && shape.ownExp() && act.kind() != Activation.Kind.IDENTITY;
    }

    /** The kind's suffix of its own kernels: k_activation_gelu_tanh. */
    private static String kindName(Activation act) {
        return act.kind().name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public void prelu(Storage x, Storage alpha, Storage y, long outer, long channels, long inner) {
        long n = outer * channels * inner;
        if (n > 0) {
            launch(KernelFamily.ACTIVATIONS, "k_prelu", n, mem(x), mem(alpha), mem(y), n, channels, inner);
        }
    }

    @Override
    public void preluBackward(Storage dy, Storage x, Storage alpha, Storage dx, Storage dAlpha, long outer, long channels,
                              long inner) {
        long n = outer * channels * inner;
        if (n > 0) {
            launch(KernelFamily.ACTIVATIONS, "k_prelu_backward_x", n, mem(dy), mem(x), mem(alpha), mem(dx), n, channels, inner);
        }
        if (channels > 0) {
            launchGroups(KernelFamily.ACTIVATIONS, "k_prelu_backward_alpha", rowGroups(channels), mem(dy), mem(x), mem(dAlpha),
                    outer, channels, inner);
        }
    }

    @Override
    public void softmax(Storage x, Storage y, long rows, long cols, boolean log) {
        if (rows > 0 && cols > 0) {
            launchGroups(KernelFamily.SOFTMAX, "k_softmax", rowGroups(rows), mem(x), mem(y), rows, cols, log);
        }
    }

    @Override
    public void softmaxBackward(Storage dy, Storage y, Storage dx, long rows, long cols, boolean log) {
        if (rows > 0 && cols > 0) {
            launchGroups(KernelFamily.SOFTMAX, "k_softmax_backward", rowGroups(rows), mem(dy), mem(y), mem(dx), rows, cols, log);
        }
    }

    // ---- losses -----------------------------------------------------------------------------

    @Override
    public void loss(Loss loss, Reduction reduction, Storage pred, Storage target, Storage lossOut, Storage grad, long n) {
        boolean mean = reduction == Reduction.MEAN;
        float gradScale = mean ? (float) (1.0 / n) : 1f;
        int groups = partialGroups(n);
        withScratch((long) groups * accBytes, partial -> {
            launchGroups(KernelFamily.LOSSES, "k_loss", groups, mem(pred), mem(target), memOrDummy(grad), grad != null,
                    gradScale, n, loss.kind().ordinal(), loss.delta(), partial);
            if (lossOut != null) {
                launchGroups(KernelFamily.REDUCE, "k_sum_finish", 1, partial, groups, mean, n, mem(lossOut));
            }
        });
    }

    @Override
    public void softmaxCrossEntropy(Storage logits, int[] labels, Storage targets, Reduction reduction, Storage lossOut,
                                    Storage grad, long rows, long cols) {
        cl_mem labelBuffer = null;
        try {
            if (labels != null && rows > 0) {
                labelBuffer = buffer(rows * 4L);
                clEnqueueWriteBuffer(queue, labelBuffer, CL_TRUE, 0, rows * 4L, Pointer.to(labels), 0, null, null);
            }
            crossEntropy(logits, labels != null, labelBuffer, targets, reduction, lossOut, grad, rows, cols);
        } catch (CLException e) {
            throw ClErrors.translate("uploading labels", e);
        } finally {
            if (labelBuffer != null) {
                release(labelBuffer);
            }
        }
    }

    @Override
    public void softmaxCrossEntropy(Storage logits, Storage labels, int[] hostLabels, Reduction reduction, Storage lossOut,
                                    Storage grad, long rows, long cols) {
        // The kernel reads the INT32 tensor where it is: no upload.
        crossEntropy(logits, true, mem(labels), null, reduction, lossOut, grad, rows, cols);
    }

    private void crossEntropy(Storage logits, boolean hasLabels, cl_mem labelBuffer, Storage targets, Reduction reduction,
                              Storage lossOut, Storage grad, long rows, long cols) {
        boolean mean = reduction == Reduction.MEAN;
        float gradScale = mean ? (float) (1.0 / rows) : 1f;
        if (lossOut != null && rows > Integer.MAX_VALUE) { // before any kernel writes the gradient
            throw new dev.kengine.InvalidArgumentException("opencl: " + rows + " cross-entropy rows exceed the "
                    + Integer.MAX_VALUE + " the loss kernel counts");
        }
        cl_mem rowLoss = buffer(Math.max(16, rows * accBytes));
        try {
            if (rows > 0 && shape.onePerItem()) {
                // One work-item per row (k_softmax_xent_rows), in groups of 8 rows.
                fitted(() -> enqueue(kernel(KernelFamily.SOFTMAX, "k_softmax_xent_rows"), null,
                        new long[] {ceilDiv(rows, 8) * 8}, new long[] {8}, mem(logits),
                        labelBuffer == null ? dummy : labelBuffer, memOrDummy(targets), hasLabels, rowLoss,
                        memOrDummy(grad), grad != null, gradScale, rows, cols));
            } else if (rows > 0) {
                launchGroups(KernelFamily.SOFTMAX, "k_softmax_xent", rowGroups(rows), mem(logits),
                        labelBuffer == null ? dummy : labelBuffer, memOrDummy(targets), hasLabels, rowLoss,
                        memOrDummy(grad), grad != null, gradScale, rows, cols);
            }
            if (lossOut != null) {
                launchGroups(KernelFamily.REDUCE, "k_sum_finish", 1, rowLoss, (int) rows, mean, rows, mem(lossOut));
            }
        } finally {
            release(rowLoss);
        }
    }

    // ---- dropout and initialisation ------------------------------------------------------------

    /** The dropout kernels write and read UINT8 masks themselves (the "8" kernels): a byte an element, no float mask. */
    @Override
    public boolean byteMasks() {
        return true;
    }

    private static boolean bytes(Storage mask) {
        return ((OpenClStorage) mask).dtype == DType.UINT8;
    }

    @Override
    public void dropout(Storage x, Storage y, Storage mask, long n, float p, long seed, long offset) {
        String suffix = bytes(mask) ? "8" : "";
        DType h = ((OpenClStorage) x).dtype;
        if (n > 0 && h.isHalf()) {
            boolean b = bytes(mask);
            Object[] args = {mem(x), mem(y), b ? dummy : mem(mask), b ? mem(mask) : dummy, b, n, p,
                CounterRandom.dropoutScale(p), seed, offset, h.ordinal()};
            if (shape.onePerItem()) {
                blocksThenTail(KernelFamily.DROPOUT, n, "k_dropout16_half", 128, args, "k_dropout_half", 4, args);
            } else {
                launchOver(KernelFamily.DROPOUT, "k_dropout_half", (n + 3) / 4, n, args);
            }
            return;
        }
        if (n > 0) {
            if (shape.onePerItem()) {
                Object[] args = {mem(x), mem(y), mem(mask), n, p, CounterRandom.dropoutScale(p), seed, offset};
                blocksThenTail(KernelFamily.DROPOUT, n, "k_dropout16" + (suffix.isEmpty() ? "" : "_8"), 128, args,
                        "k_dropout" + suffix, 4, args);
            } else {
                launchOver(KernelFamily.DROPOUT, "k_dropout" + suffix, (n + 3) / 4, n, mem(x), mem(y), mem(mask), n, p,
                        CounterRandom.dropoutScale(p), seed, offset);
            }
        }
    }

    @Override
    public void dropoutBackward(Storage dy, Storage mask, Storage dx, long n, float p) {
        DType h = ((OpenClStorage) dy).dtype;
        if (n > 0 && h.isHalf()) {
            boolean b = bytes(mask);
            Object[] args = {mem(dy), b ? dummy : mem(mask), b ? mem(mask) : dummy, b, mem(dx), n,
                CounterRandom.dropoutScale(p), h.ordinal()};
            if (shape.onePerItem()) {
                launch16(KernelFamily.DROPOUT, "k_dropout_backward_half", "16", n, args);
            } else {
                launch(KernelFamily.DROPOUT, "k_dropout_backward_half", n, args);
            }
        } else if (n > 0) {
            launch(KernelFamily.DROPOUT, "k_dropout_backward" + (bytes(mask) ? "8" : ""), n, mem(dy), mem(mask), mem(dx), n,
                    CounterRandom.dropoutScale(p));
        }
    }

    @Override
    public void initUniform(Storage x, long n, long seed, long offset, double lo, double hi) {
        requireFp64(Op.INIT_UNIFORM);
        if (n > 0) {
            launchOver(KernelFamily.INIT, "k_init_uniform", (n + 3) / 4, n, mem(x), n, seed, offset, lo, hi);
        }
    }

    @Override
    public void initNormal(Storage x, long n, long seed, long offset, double mean, double std) {
        requireFp64(Op.INIT_NORMAL);
        if (n > 0) {
            launch(KernelFamily.INIT, "k_init_normal", n, mem(x), n, seed, offset, mean, std);
        }
    }

    private void requireFp64(Op op) {
        if (!info.fp64()) {
            throw unsupported(op);
        }
    }

    // ---- optimisers -------------------------------------------------------------------------

    @Override
    public void sgdStep(Storage w, Storage g, Storage velocity, long n, SgdConfig c) {
        if (n > 0) {
            launch(KernelFamily.OPTIM, "k_sgd", n, mem(w), mem(g), memOrDummy(velocity), velocity != null, n,
                    c.learningRate(), c.momentum(), c.nesterov(), c.l2(), c.l1());
        }
    }

    @Override
    public void adamStep(Storage w, Storage g, Storage m, Storage v, long n, AdamConfig c, long step) {
        if (n > 0) {
            float c1 = (float) (1.0 / c.biasCorrection1(step));
            float c2 = (float) (1.0 / c.biasCorrection2(step));
            launch(KernelFamily.OPTIM, "k_adam", n, mem(w), mem(g), mem(m), mem(v), n, c.learningRate(), c.beta1(), c.beta2(),
                    c.epsilon(), c.weightDecay(), c.decoupled(), c1, c2);
        }
    }

    @Override
    public void sgdStep(Storage w, Storage g, DType gradType, Storage velocity, long n, SgdConfig c, Storage halfWeights,
                        DType halfType) {
        if (n > 0) {
            String kernel = KernelSource.mixedStepKernel("sgd", gradType.name(), halfWeights == null ? null : halfType.name());
            launch(KernelFamily.OPTIM, kernel, n, mem(w), mem(g), memOrDummy(velocity), velocity != null, n,
                    c.learningRate(), c.momentum(), c.nesterov(), c.l2(), c.l1(), memOrDummy(halfWeights));
        }
    }

    @Override
    public void adamStep(Storage w, Storage g, DType gradType, Storage m, Storage v, long n, AdamConfig c, long step,
                         Storage halfWeights, DType halfType) {
        if (n > 0) {
            float c1 = (float) (1.0 / c.biasCorrection1(step));
            float c2 = (float) (1.0 / c.biasCorrection2(step));
            String kernel = KernelSource.mixedStepKernel("adam", gradType.name(), halfWeights == null ? null : halfType.name());
            Object[] args = {mem(w), mem(g), mem(m), mem(v), n, c.learningRate(), c.beta1(), c.beta2(), c.epsilon(),
                c.weightDecay(), c.decoupled(), c1, c2, memOrDummy(halfWeights)};
            if (shape.onePerItem() && shape.ownExp()) {
                // Sixteen lanes per work-item over the whole blocks, the per-pair kernel over the rest.
                Object[] body = java.util.Arrays.copyOf(args, args.length + 2);
                body[args.length] = gradType.ordinal();
                body[args.length + 1] = halfWeights == null ? 0 : halfType.ordinal();
                blocksThenTail(KernelFamily.OPTIM, n, "k_adam_mixed16", 16, body, kernel, 1, args);
            } else {
                launch(KernelFamily.OPTIM, kernel, n, args);
            }
        }
    }

    @Override
    public void penalty(Storage w, long n, float l1, float l2, Storage out) {
        int groups = partialGroups(n);
        withScratch(2L * groups * accBytes, partial -> {
            launchGroups(KernelFamily.OPTIM, "k_penalty_partial", groups, mem(w), n, partial);
            launchGroups(KernelFamily.OPTIM, "k_penalty_finish", 1, partial, groups, l1, l2, mem(out));
        });
    }

    /** Compiles an arbitrary body as if it were {@code family} (tests of error reporting). */
    void buildForTest(KernelFamily family, String body) {
        programs.get(KernelSource.assembleText(family, Dialect.OPENCL, Map.of(), body));
    }

    /** Launches a kernel of {@code family} with these sizes and arguments (tests of error reporting). */
    void launchForTest(KernelFamily family, String name, long[] global, long[] local, Object... args) {
        enqueue(kernel(family, name), null, global, local, args);
    }
}
