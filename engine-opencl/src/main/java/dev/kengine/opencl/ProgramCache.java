package dev.kengine.opencl;

import static org.jocl.CL.*;

import dev.kengine.InvalidArgumentException;
import dev.kengine.KernelCompilationException;
import dev.kengine.kernels.KernelSource;
import dev.kengine.spi.JvmSignals;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_program;

/**
 * Compiled programs of one context and device: in memory by assembled text (which carries the
 * family and its defines), and on disk by a hash of the text, the build options, the device name
 * and the driver version, so that a second process loads the binary instead of compiling (PoCL's
 * first build of a family takes a second or two). A disk entry carries its own key and a
 * checksum of the binary; one that is corrupt, stale or rejected by the driver is rebuilt from
 * source and overwritten, never trusted.
 */
final class ProgramCache implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ProgramCache.class.getName());
    private static final byte[] MAGIC = "KENGINE-CLBIN-1\n".getBytes(StandardCharsets.US_ASCII);
    static final String OPTIONS = "-cl-std=CL1.2";
    /** Added where the device supports it (see {@link DeviceInfo#correctlyRoundedDivide()}). */
    static final String CORRECT_DIVISION = " -cl-fp32-correctly-rounded-divide-sqrt";

    private final cl_context context;
    private final cl_device_id device;
    private final String options;
    private final DeviceInfo info;
    private final Path directory;
    private final Map<String, cl_program> programs = new ConcurrentHashMap<>();

    final AtomicInteger compiledFromSource = new AtomicInteger();
    final AtomicInteger loadedFromDisk = new AtomicInteger();
    final AtomicInteger rejectedDiskEntries = new AtomicInteger();
    final AtomicInteger memoryHits = new AtomicInteger();
    volatile long lastBuildNanos;

    ProgramCache(cl_context context, cl_device_id device, DeviceInfo info, Path directory) {
        this.context = context;
        this.device = device;
        this.info = info;
        this.directory = directory;
        this.options = info.correctlyRoundedDivide() ? OPTIONS + CORRECT_DIVISION : OPTIONS;
    }

    /** The directory for binaries: the option, else XDG_CACHE_HOME/kengine/opencl, else ~/.cache/kengine/opencl; null for {@code off}. */
    static Path cacheDirectory(String option) {
        if (option != null && !option.isBlank()) {
            String o = option.trim();
            if (o.equalsIgnoreCase("off") || o.equalsIgnoreCase("none") || o.equalsIgnoreCase("false")) {
                return null;
            }
            try {
                return Path.of(o);
            } catch (RuntimeException e) {
                throw new InvalidArgumentException("opencl: cache '" + option + "' is not a usable path: " + e.getMessage());
            }
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        // A relative XDG_CACHE_HOME is ignored, as the XDG base directory specification asks.
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("kengine").resolve("opencl");
    }

    Path directory() {
        return directory;
    }

    /** The built program for an assembled text, from memory, disk, or the compiler, in that order. */
    cl_program get(KernelSource.Assembled src) {
        cl_program p = programs.get(src.sha256());
        if (p != null) {
            memoryHits.incrementAndGet();
            return p;
        }
        synchronized (this) {
            p = programs.get(src.sha256());
            if (p == null) {
                try (JvmSignals.Guard g = JvmSignals.guard("building OpenCL program " + src.name())) {
                    p = load(src); // PoCL's LLVM may install its signal handlers while it compiles
                }
                programs.put(src.sha256(), p);
            }
            return p;
        }
    }

    private cl_program load(KernelSource.Assembled src) {
        String key = diskKey(src);
        Path file = directory == null ? null : directory.resolve(src.name() + "-" + key.substring(0, 16) + ".clbin");
        if (file != null && Files.isRegularFile(file)) {
            cl_program fromDisk = fromDisk(src, file, key);
            if (fromDisk != null) {
                loadedFromDisk.incrementAndGet();
                return fromDisk;
            }
        }
        long t0 = System.nanoTime();
        cl_program p = fromSource(src);
        lastBuildNanos = System.nanoTime() - t0;
        compiledFromSource.incrementAndGet();
        LOG.log(System.Logger.Level.DEBUG, () -> "opencl: compiled " + src.name() + " in " + lastBuildNanos / 1_000_000 + " ms");
        if (file != null && !(Files.exists(file) && !Files.isReadable(file))) { // another user's entry stays theirs
            store(p, file, key);
        }
        return p;
    }

    /** The disk key: the assembled text, the options, and the device and driver identity. */
    String diskKey(KernelSource.Assembled src) {
        return KernelSource.sha256(src.sha256() + "\n" + options + "\n" + info.name() + "\n" + info.vendor() + "\n"
                + info.driverVersion() + "\n" + info.deviceVersion() + "\n" + info.platformName() + " " + info.platformVersion());
    }

    /** Path of the disk entry for a text (whether it exists or not); null when the disk cache is off. */
    Path diskFile(KernelSource.Assembled src) {
        return directory == null ? null : directory.resolve(src.name() + "-" + diskKey(src).substring(0, 16) + ".clbin");
    }

    cl_program fromSource(KernelSource.Assembled src) {
        cl_program p;
        try {
            p = clCreateProgramWithSource(context, 1, new String[] {src.text()}, null, null);
        } catch (CLException e) {
            throw ClErrors.translate("creating program " + src.name(), e);
        }
        try {
            clBuildProgram(p, 1, new cl_device_id[] {device}, options, null, null);
        } catch (CLException e) {
            String log = buildLog(p);
            safeRelease(p);
            throw new KernelCompilationException(src.name() + " (kernels " + src.kernelNames() + ")", options,
                    log.isBlank() ? ClErrors.name(e.getStatus()) + " with no build log" : log, e);
        }
        return p;
    }

    private cl_program fromDisk(KernelSource.Assembled src, Path file, String key) {
        byte[] binary;
        try {
            binary = readEntry(file, key);
        } catch (java.nio.file.AccessDeniedException e) {
            // Another user's entry in a shared directory: not bad, only not ours to read; compiled here, left there.
            LOG.log(System.Logger.Level.DEBUG, () -> "opencl: cache entry " + file + " cannot be read (" + e + "); compiling");
            return null;
        } catch (IOException | RuntimeException e) {
            binary = null;
        }
        if (binary == null) {
            reject(file, "corrupt or stale");
            return null;
        }
        cl_program p = null;
        try {
            int[] status = new int[1];
            p = clCreateProgramWithBinary(context, 1, new cl_device_id[] {device}, new long[] {binary.length},
                    new byte[][] {binary}, status, null);
            if (status[0] != CL_SUCCESS) {
                throw new CLException("binary status " + status[0], status[0]);
            }
            clBuildProgram(p, 1, new cl_device_id[] {device}, options, null, null);
            for (String k : src.kernelNames()) {
                // A binary that lacks a kernel of the text is not this program.
                clReleaseKernel(clCreateKernel(p, k, null));
            }
            return p;
        } catch (CLException | IllegalArgumentException e) {
            if (p != null) {
                safeRelease(p);
            }
            reject(file, "rejected by the driver (" + e.getMessage() + ")");
            return null;
        }
    }

    private void reject(Path file, String why) {
        rejectedDiskEntries.incrementAndGet();
        LOG.log(System.Logger.Level.DEBUG, () -> "opencl: cache entry " + file + " is " + why + "; rebuilding");
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // The rebuild overwrites it.
        }
    }

    private static byte[] readEntry(Path file, String key) throws IOException {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                return null;
            }
            int keyLength = in.readInt();
            if (keyLength != key.length()) {
                return null;
            }
            String storedKey = new String(in.readNBytes(keyLength), StandardCharsets.US_ASCII);
            if (!storedKey.equals(key)) {
                return null;
            }
            int length = in.readInt();
            if (length <= 0 || length > (1 << 30)) {
                return null;
            }
            String checksum = new String(in.readNBytes(64), StandardCharsets.US_ASCII);
            byte[] binary = in.readNBytes(length);
            if (binary.length != length || in.read() != -1 || !KernelSource.sha256(binary).equals(checksum)) {
                return null;
            }
            return binary;
        }
    }

    private void store(cl_program p, Path file, String key) {
        try {
            long[] sizes = new long[1];
            clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(sizes), null);
            if (sizes[0] <= 0 || sizes[0] > (1 << 30)) {
                return;
            }
            byte[] binary = new byte[(int) sizes[0]];
            Pointer binaryPointer = Pointer.to(binary);
            clGetProgramInfo(p, CL_PROGRAM_BINARIES, Sizeof.POINTER, Pointer.to(binaryPointer), null);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(binary.length + 256);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.write(MAGIC);
                out.writeInt(key.length());
                out.write(key.getBytes(StandardCharsets.US_ASCII));
                out.writeInt(binary.length);
                out.write(KernelSource.sha256(binary).getBytes(StandardCharsets.US_ASCII));
                out.write(binary);
            }
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            boolean moved = false;
            try {
                Files.write(tmp, bytes.toByteArray());
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
                moved = true;
            } finally {
                if (!moved) {
                    Files.deleteIfExists(tmp); // a full disk must not collect a partial file per process start
                }
            }
        } catch (IOException | RuntimeException e) {
            // A cache that cannot be written costs the next process a compile, nothing more; said once per directory, as
            // a warning, since every later process then compiles every program again.
            if (WARNED.add(file.getParent() == null ? "" : file.getParent().toString())) {
                LOG.log(System.Logger.Level.WARNING, () -> "opencl: cannot write the program cache in " + file.getParent()
                        + " (" + e + "); kernels are compiled again in every process; set the opencl option cache to a "
                        + "writable directory, or cache=off");
            } else {
                LOG.log(System.Logger.Level.DEBUG, () -> "opencl: could not write cache entry " + file + ": " + e);
            }
        }
    }

    /** The cache directories already warned about, once per process. */
    private static final java.util.Set<String> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private String buildLog(cl_program p) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(p, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] b = new byte[(int) size[0]];
            clGetProgramBuildInfo(p, device, CL_PROGRAM_BUILD_LOG, b.length, Pointer.to(b), null);
            int n = 0;
            while (n < b.length && b[n] != 0) {
                n++;
            }
            return new String(b, 0, n, StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            return "(the build log could not be read: " + e.getMessage() + ")";
        }
    }

    private static void safeRelease(cl_program p) {
        try {
            clReleaseProgram(p);
        } catch (RuntimeException e) {
            // Nothing more to do with it.
        }
    }

    @Override
    public void close() {
        for (cl_program p : programs.values()) {
            safeRelease(p);
        }
        programs.clear();
    }
}
